import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Guards of the house's shape (DESIGN §2): no import cycle in src/ or viewer/src/, no
 * function over MAX_LINES in src/, and imports that respect the floors. Each violation is
 * reported by file:line; KNOWN_VIOLATIONS names the ones still being fixed by someone else
 * (empty it as they go: a listed violation that no longer occurs is reported as stale).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_LINES = 120;

/** Violations owned elsewhere, by key (see `key` below): fixed in parallel, then removed here. */
const KNOWN_VIOLATIONS: string[] = [];

/** Floors of DESIGN §2: a room may import its own floor or below (plus the rules in `floorViolation`). */
const FLOORS: Record<string, number> = {
  cli: 3, batch: 3,
  reconstruct: 2,
  physics: 1, export: 1, eval: 1,
  optimus: 0, ingest: 0, body: 0, geometry: 0, formats: 0,
};
/** Leaf utilities at the top of src/ (they import nothing): every room may use them. */
const BASE = new Set(['src/errors.ts', 'src/random.ts', 'src/ts-thread.ts']);
/** What the viewer may import from src/: pure, browser-safe ground floors. */
const VIEWER_MAY_IMPORT = new Set(['formats', 'geometry', 'export']);

interface Module { file: string; source: ts.SourceFile; imports: { target: string; line: number }[] }

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function lineOf(source: ts.SourceFile, pos: number): number {
  return source.getLineAndCharacterOfPosition(pos).line + 1;
}

/** Relative imports of a file (static, re-exports and dynamic `import('…')`), resolved to files. */
function parse(file: string): Module {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const imports: Module['imports'] = [];
  const add = (spec: ts.Expression | undefined, node: ts.Node) => {
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) return;
    imports.push({ target: relative(ROOT, resolve(ROOT, dirname(file), spec.text)), line: lineOf(source, node.getStart()) });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, node);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], node);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { file, source, imports };
}

const modules = [...tsFiles('src'), ...tsFiles('viewer/src')].map(parse);

/** Strongly connected components of more than one module (or a module importing itself). */
function cycles(mods: Module[]): string[][] {
  const graph = new Map(mods.map((m) => [m.file, m.imports.map((i) => i.target)]));
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string) => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || graph.get(v)!.includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) strong(v);
  return found;
}

/** A readable name for a function-like node: its own, its variable's or its property's. */
function nameOf(node: ts.Node): string {
  const named = node as { name?: ts.Node };
  if (named.name && (ts.isIdentifier(named.name) || ts.isStringLiteral(named.name))) return named.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

interface Violation { key: string; where: string; message: string }

function longFunctions(m: Module): Violation[] {
  const out: Violation[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      const first = lineOf(m.source, node.getStart()), last = lineOf(m.source, node.getEnd());
      const lines = last - first + 1;
      const name = nameOf(node);
      if (lines > MAX_LINES) out.push({ key: `length ${m.file} ${name}`, where: `${m.file}:${first}`, message: `${name} is ${lines} lines (limit ${MAX_LINES})` });
    }
    ts.forEachChild(node, visit);
  };
  visit(m.source);
  return out;
}

/** The room of a src/ file (its folder under src/), 'base' for BASE, 'viewer' for viewer/src. */
function roomOf(file: string): string {
  if (file.startsWith('viewer/')) return 'viewer';
  if (BASE.has(file)) return 'base';
  return file.split('/')[1]!;
}

function floorViolation(from: string, to: string): string | null {
  const a = roomOf(from), b = roomOf(to);
  if (a === b || b === 'base') return a === 'base' ? `${from} is a leaf utility and imports nothing` : null;
  if (a === 'viewer') return VIEWER_MAY_IMPORT.has(b) ? null : `the viewer imports ${b}/ (allowed: ${[...VIEWER_MAY_IMPORT].join(', ')})`;
  if (b === 'viewer' || !(b in FLOORS)) return `${a}/ imports ${to}, outside the rooms of DESIGN §2`;
  if (!(a in FLOORS)) return `${from} is in no room of DESIGN §2`;
  // formats/ holds the file contracts every room reads and writes (bench.json included).
  if (a === 'optimus' && b !== 'formats') return `optimus/ imports ${b}/ (it imports nothing of the project but the file contracts)`;
  if (a === 'formats') return `formats/ imports ${b}/ (the file contracts stand alone)`;
  if (a === 'eval' && b === 'reconstruct') return 'eval/ imports reconstruct/ (the measuring stick must not lean on what it measures)';
  if (FLOORS[b]! > FLOORS[a]!) return `${a}/ (floor ${FLOORS[a]}) imports ${b}/ (floor ${FLOORS[b]}), a floor above it`;
  return null;
}

function floorViolations(m: Module): Violation[] {
  return m.imports.flatMap(({ target, line }) => {
    if (!modules.some((x) => x.file === target)) return [];
    const problem = floorViolation(m.file, target);
    return problem ? [{ key: `floor ${m.file} -> ${target}`, where: `${m.file}:${line}`, message: problem }] : [];
  });
}

function cycleViolations(): Violation[] {
  return cycles(modules).map((scc) => {
    const first = modules.find((m) => m.file === scc[0])!;
    const edge = first.imports.find((i) => scc.includes(i.target))!;
    return { key: `cycle ${scc.join(' ')}`, where: `${first.file}:${edge.line}`, message: `import cycle through ${scc.join(', ')}` };
  });
}

/** Fails with every new violation listed; stale KNOWN_VIOLATIONS entries are printed. */
function check(found: Violation[], prefix: string): void {
  const known = KNOWN_VIOLATIONS.filter((k) => k.startsWith(prefix));
  const stale = known.filter((k) => !found.some((v) => v.key === k));
  if (stale.length) console.warn(`test/guards: KNOWN_VIOLATIONS entries that no longer occur (remove them):\n  ${stale.join('\n  ')}`);
  const fresh = found.filter((v) => !known.includes(v.key)).map((v) => `${v.where}: ${v.message}  [${v.key}]`);
  expect(fresh, `\n${fresh.join('\n')}\n`).toEqual([]);
}

describe('structure guards (DESIGN §2)', () => {
  it('reads the tree', () => {
    expect(modules.length).toBeGreaterThan(50);
    expect(modules.some((m) => m.file.startsWith('viewer/src/'))).toBe(true);
  });

  it('has no import cycle in src/ or viewer/src/', () => {
    check(cycleViolations(), 'cycle ');
  });

  it(`has no function, method or arrow over ${MAX_LINES} lines in src/`, () => {
    check(modules.filter((m) => m.file.startsWith('src/')).flatMap(longFunctions), 'length ');
  });

  it('keeps imports on their floors: optimus imports nothing of the project, eval not reconstruct, cli on top, the viewer only pure ground floors', () => {
    check(modules.flatMap(floorViolations), 'floor ');
  });

  it('catches what it guards against', () => {
    const a: Module = { file: 'src/x/a.ts', source: ts.createSourceFile('a.ts', '', ts.ScriptTarget.Latest), imports: [{ target: 'src/x/b.ts', line: 1 }] };
    const b: Module = { ...a, file: 'src/x/b.ts', imports: [{ target: 'src/x/a.ts', line: 1 }] };
    expect(cycles([a, b])).toEqual([['src/x/a.ts', 'src/x/b.ts']]);
    expect(floorViolation('src/optimus/a.ts', 'src/body/fk.ts')).toMatch(/imports nothing/);
    expect(floorViolation('src/formats/a.ts', 'src/geometry/camera.ts')).toMatch(/stand alone/);
    expect(floorViolation('src/eval/a.ts', 'src/reconstruct/pipeline.ts')).toMatch(/measuring stick/);
    expect(floorViolation('src/body/a.ts', 'src/cli/main.ts')).toMatch(/floor above/);
    expect(floorViolation('viewer/src/a.ts', 'src/reconstruct/pipeline.ts')).toMatch(/viewer imports/);
    expect(floorViolation('src/cli/a.ts', 'src/reconstruct/pipeline.ts')).toBeNull();
    const long = `function big() {\n${'  x();\n'.repeat(MAX_LINES)}}\n`;
    const m: Module = { file: 'src/x/long.ts', source: ts.createSourceFile('long.ts', long, ts.ScriptTarget.Latest, true), imports: [] };
    expect(longFunctions(m).map((v) => v.message)).toEqual([`big is ${MAX_LINES + 2} lines (limit ${MAX_LINES})`]);
  });
});
