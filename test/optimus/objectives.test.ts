import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import {
  BUILTIN_OBJECTIVES,
  applyReflections,
  checkedObjective,
  getObjective,
  householderVectors,
  loadObjectiveModule,
  taskFamily,
  transformedTask,
} from '../../src/optimus/objectives/index.ts';
import { Rng } from '../../src/random.ts';

/** Central finite differences, compared with a tolerance relative to the gradient size. */
function expectGradMatchesFd(f: (x: Float64Array) => { value: number; grad: Float64Array }, x: Float64Array, label: string): void {
  const { grad } = f(x);
  const h = 1e-6;
  let scale = 1;
  for (const g of grad) scale = Math.max(scale, Math.abs(g));
  for (let i = 0; i < x.length; i++) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[i]! += h;
    xm[i]! -= h;
    const fd = (f(xp).value - f(xm).value) / (2 * h);
    expect(Math.abs(fd - grad[i]!), `${label} index ${i}: fd ${fd} vs ${grad[i]}`).toBeLessThan(1e-5 * scale + 1e-6 * Math.abs(fd));
  }
}

describe('built-in objectives', () => {
  for (const [name, spec] of Object.entries(BUILTIN_OBJECTIVES)) {
    it(`${name}: analytic gradient matches finite differences at several dimensions`, () => {
      for (const dim of [1, 2, 3, 5, 8, 9]) {
        if (dim < (spec.minDim ?? 1)) continue;
        for (const seed of [1, 2]) {
          const x0 = spec.init(dim, seed);
          expect(x0.length).toBe(dim);
          // Perm's large powers make FD noisy far from the minimiser; test closer in.
          expectGradMatchesFd((x) => spec.valueAndGrad(x), x0, `${name} d${dim} s${seed}`);
        }
      }
    });

    it(`${name}: f* = 0 with a zero gradient at the known minimiser`, () => {
      for (const dim of [1, 2, 4, 7, 30]) {
        const { value, grad } = spec.valueAndGrad(spec.argmin!(dim));
        expect(Math.abs(value)).toBeLessThan(1e-10);
        for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-8);
      }
    });
  }

  it('stays finite at dimension 100 from the seeded start', () => {
    for (const spec of Object.values(BUILTIN_OBJECTIVES)) {
      const { value, grad } = spec.valueAndGrad(spec.init(100, 3));
      expect(Number.isFinite(value), spec.name).toBe(true);
      expect(grad.every(Number.isFinite), spec.name).toBe(true);
    }
  });

  it('refuses unknown names with a UserError listing the built-ins', () => {
    expect(() => getObjective('nope')).toThrow(UserError);
    expect(() => getObjective('nope')).toThrow(/rosenbrock/);
  });
});

describe('task families', () => {
  it('Householder reflections form an orthogonal map whose transpose inverts it', () => {
    const vs = householderVectors(6, 3, 9);
    const rng = new Rng(4);
    const x = Float64Array.from({ length: 6 }, () => rng.normal());
    const y = applyReflections(vs, x, false);
    const back = applyReflections(vs, y, true);
    let nx = 0;
    let ny = 0;
    for (let i = 0; i < 6; i++) {
      expect(back[i]).toBeCloseTo(x[i]!, 12);
      nx += x[i]! ** 2;
      ny += y[i]! ** 2;
    }
    expect(ny).toBeCloseTo(nx, 10);
    // Not the identity.
    expect(Math.abs(y[0]! - x[0]!) + Math.abs(y[1]! - x[1]!)).toBeGreaterThan(1e-3);
  });

  it('transformed tasks keep f* at the shifted minimiser and have correct gradients', () => {
    for (const name of ['rosenbrock', 'quadratic', 'levy', 'griewank']) {
      const task = transformedTask(getObjective(name), 6, 11);
      expectGradMatchesFd((x) => task.objective.valueAndGrad(x), task.x0, name);
      expect(task.objective.valueAndGrad(task.x0).value).toBeGreaterThan(task.objective.minimum! + 1e-6);
    }
  });

  it('sample(seed) is deterministic, varies with the seed and honours a given dimension', () => {
    const fam = taskFamily({ dims: [2, 16] });
    const a = fam.sample(5);
    const b = fam.sample(5);
    expect(a.objective.name).toBe(b.objective.name);
    expect(Array.from(a.x0)).toEqual(Array.from(b.x0));
    const dims = new Set<number>();
    const names = new Set<string>();
    for (let s = 0; s < 40; s++) {
      const t = fam.sample(s);
      dims.add(t.objective.dim);
      names.add(t.objective.name.split('/')[0]!);
      expect(t.x0.length).toBe(t.objective.dim);
    }
    expect(dims.size).toBeGreaterThan(5);
    expect(names.size).toBeGreaterThan(4);
    expect(fam.sample(3, 9).objective.dim).toBe(9);
  });
});

describe('objective modules (DESIGN §4.1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optimus-obj-'));
  const write = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, body);
    return p;
  };

  it('loads a valid module and checks it', async () => {
    const p = write(
      'sphere.mjs',
      `export default { name: 'sphere', minimum: 0,
        init(dim, seed) { return Float64Array.from({ length: dim }, (_, i) => 1 + i + seed); },
        valueAndGrad(x) { let v = 0; const g = new Float64Array(x.length);
          for (let i = 0; i < x.length; i++) { v += x[i] * x[i]; g[i] = 2 * x[i]; } return { value: v, grad: g }; } };`,
    );
    const spec = await loadObjectiveModule(p);
    const { objective, x0 } = checkedObjective(spec, 3, p);
    expect(objective.minimum).toBe(0);
    expect(objective.valueAndGrad(x0).value).toBe(1 + 4 + 9);
  });

  const bad: [string, string, RegExp][] = [
    ['syntax.mjs', 'export default {', /does not load/],
    ['nomethod.mjs', `export default { name: 'x', init: (d) => new Float64Array(d) };`, /lacks the method "valueAndGrad"/],
    ['noname.mjs', `export default { init: (d) => new Float64Array(d), valueAndGrad: (x) => ({ value: 0, grad: x }) };`, /lacks a "name"/],
    ['nan.mjs', `export default { name: 'n', init: (d) => new Float64Array(d), valueAndGrad: (x) => ({ value: NaN, grad: new Float64Array(x.length) }) };`, /NaN/],
    ['len.mjs', `export default { name: 'l', init: (d) => new Float64Array(d), valueAndGrad: (x) => ({ value: 1, grad: new Float64Array(x.length + 1) }) };`, /length 4, expected 3/],
    ['throws.mjs', `export default { name: 't', init: (d) => new Float64Array(d), valueAndGrad: () => { throw new Error('boom'); } };`, /threw \(boom\)/],
    ['badinit.mjs', `export default { name: 'i', init: (d) => [1], valueAndGrad: (x) => ({ value: 1, grad: x }) };`, /init\(3, 0\) has length 1/],
  ];
  for (const [file, body, message] of bad) {
    it(`refuses ${file} with one UserError line`, async () => {
      const p = write(file, body);
      const attempt = async () => {
        const spec = await loadObjectiveModule(p);
        checkedObjective(spec, 3, p);
      };
      await expect(attempt()).rejects.toThrow(UserError);
      await expect(attempt()).rejects.toThrow(message);
    });
  }

  it('refuses a missing file', async () => {
    await expect(loadObjectiveModule(join(dir, 'absent.mjs'))).rejects.toThrow(/not found/);
  });
});
