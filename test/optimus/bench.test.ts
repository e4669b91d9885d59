import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { benchFile, type BenchRun } from '../../src/formats/bench.ts';
import { benchMarkdown, benchSvg } from '../../src/optimus/bench/report.ts';
import { runBench } from '../../src/optimus/bench/run.ts';
import { headToHead, pairedDifference, seedGaps, summarize } from '../../src/optimus/bench/summary.ts';
import { minimize } from '../../src/optimus/minimize.ts';
import { getObjective, objectiveAt } from '../../src/optimus/objectives/index.ts';
import { DEFAULT_CHECKPOINTS, createOptimizer } from '../../src/optimus/optimizers.ts';
import { optimusDef } from '../../src/optimus/learned.ts';

const run = (over: Partial<BenchRun>): BenchRun => ({ objective: 'f', dim: 2, optimizer: 'a', seed: 0, finalValue: 1, bestValue: 1, gradEvals: 10, wallMs: 1, curve: [], ...over });

describe('minimize', () => {
  it('spends exactly the budget of gradient evaluations and reports the best point', async () => {
    const obj = objectiveAt(getObjective('rosenbrock'), 5);
    const x0 = getObjective('rosenbrock').init(5, 0);
    for (const optimizer of ['adam', 'lbfgs', 'bfgs', 'sgd', 'momentum', 'adafac-mlp'] as const) {
      const r = await minimize(obj, x0, { optimizer, steps: 37, learningRate: 1e-3 });
      expect(r.gradEvals, optimizer).toBeLessThanOrEqual(37);
      expect(r.curve.length).toBe(r.gradEvals);
      for (let i = 1; i < r.curve.length; i++) expect(r.curve[i]).toBeLessThanOrEqual(r.curve[i - 1]!);
      expect(obj.valueAndGrad(r.x).value).toBeCloseTo(r.value, 10);
      expect(r.value).toBeLessThan(obj.valueAndGrad(x0).value);
    }
    const l = await minimize(obj, x0, { optimizer: 'lbfgs', steps: 300 });
    expect(l.value).toBeLessThan(1e-8);
  });

  it('records when Optimus produced a non-finite step and the safe fallback was taken', async () => {
    const def = optimusDef();
    const w = def.initWeights(0);
    w.fill(NaN, w.length - 4); // poison the α head: every proposed step is NaN
    const obj = objectiveAt(getObjective('quadratic'), 4);
    const x0 = getObjective('quadratic').init(4, 1);
    const r = await minimize(obj, x0, { optimizer: def.create(w), steps: 12 });
    expect(r.fallbackSteps).toBe(11);
    expect(r.diverged).toBe(false);
    expect(r.value).toBeLessThan(obj.valueAndGrad(x0).value);
  });

  it('says whether a learned optimizer is trained, and refuses a missing checkpoint', async () => {
    const obj = objectiveAt(getObjective('quadratic'), 3);
    const r = await minimize(obj, Float64Array.from([1, -1, 0.5]), { optimizer: 'optimus', steps: 20 });
    expect(r.trained).toBe(existsSync(DEFAULT_CHECKPOINTS.optimus));
    expect(r.fallbackSteps).toBe(0);
    expect(() => createOptimizer('optimus', { checkpoint: '/nonexistent/ckpt.json' })).toThrow(/not found/);
    expect(() => createOptimizer('newton')).toThrow(UserError);
  });
});

describe('bench summary (DESIGN §4.2)', () => {
  it('measures gaps from f* when known and from the best value reached otherwise; divergence fails', () => {
    const runs = [
      run({ optimizer: 'a', bestValue: 1e-6 }),
      run({ optimizer: 'b', bestValue: 1e-2 }),
      run({ optimizer: 'a', objective: 'g', bestValue: 5 }),
      run({ optimizer: 'b', objective: 'g', bestValue: 5.001 }),
      run({ optimizer: 'c', bestValue: 0, diverged: true }),
    ];
    const s = summarize(runs, (o) => (o === 'f' ? 0 : undefined));
    const get = (o: string, opt: string) => s.find((x) => x.objective === o && x.optimizer === opt)!;
    expect(get('f', 'a').meanLog10Gap).toBeCloseTo(Math.log10(1e-6 + 1e-12), 10);
    expect(get('f', 'a').successRate).toBe(1);
    expect(get('f', 'b').successRate).toBe(0);
    expect(get('g', 'a').meanLog10Gap).toBeCloseTo(-12, 10);
    expect(get('g', 'b').meanLog10Gap).toBeCloseTo(Math.log10(0.001), 3);
    expect(get('f', 'c').successRate).toBe(0); // reached f* but diverged on the way
  });
});

describe('bench head-to-head counts', () => {
  it('counts cells by mean log10 gap, strictly and with a tolerance for rounding-level differences', () => {
    const cell = (objective: string, optimizer: string, meanLog10Gap: number) =>
      ({ objective, dim: 2, optimizer, meanLog10Gap, medianLog10Gap: meanLog10Gap, successRate: 0, meanGradEvals: 1, meanWallMs: 1 });
    const summary = [
      cell('f', 'opt', -5), cell('f', 'ref', -3), // lower, beyond the tolerance
      cell('g', 'opt', 0.921), cell('g', 'ref', 0.9209), // higher, but only by rounding
      cell('h', 'opt', -12), cell('h', 'ref', -12), // equal (both at the floor)
      cell('d', 'opt', -0.1760912590550299), cell('d', 'ref', -0.17609125905502987), // equal: the same point up to the last bits of f
      cell('k', 'opt', 2), cell('k', 'ref', 1.5), // higher, beyond the tolerance
      cell('m', 'ref', 0), // only the other optimizer ran it: not a cell of the comparison
    ];
    const [h] = headToHead(summary, 'opt', 0.01);
    expect(h).toEqual({ optimizer: 'opt', against: 'ref', cells: 5, lower: 1, equal: 2, higher: 2, tolerance: 0.01, lowerBeyondTolerance: 1, higherBeyondTolerance: 1 });
  });
});

describe('bench paired significance', () => {
  const bySeed = (...gaps: number[]) => new Map(gaps.map((g, seed) => [seed, g]));

  it('pairs seeds: the standard error is that of the per-seed differences, over the seeds both ran', () => {
    const d = pairedDifference(bySeed(1, 2, 3, 4), new Map([[0, 0], [1, 1], [2, 3], [3, 3], [9, 100]]));
    expect(d.seeds).toBe(4);
    expect(d.mean).toBeCloseTo(0.75, 12); // differences 1, 1, 0, 1
    expect(d.standardError).toBeCloseTo(Math.sqrt(0.25 / 4), 12); // sample variance 0.25
  });

  it('counts a cell only when the mean difference is beyond two standard errors', () => {
    const cell = (objective: string, optimizer: string, gaps: number[]) => ({
      summary: { objective, dim: 2, optimizer, meanLog10Gap: gaps.reduce((a, b) => a + b) / gaps.length, medianLog10Gap: 0, successRate: 0, meanGradEvals: 1, meanWallMs: 1 },
      key: `${objective}|2|${optimizer}`,
      gaps: bySeed(...gaps),
    });
    const cells = [
      cell('steady', 'opt', [-5, -6, -5, -6]), cell('steady', 'ref', [-3, -4, -3, -4]), // lower by 2 on every seed
      cell('lottery', 'opt', [-12, 1, 1, 1]), cell('lottery', 'ref', [1, 1, 1, -6]), // lower mean, but one seed decides it
      cell('worse', 'opt', [1.1, 1.2, 1.1, 1.2]), cell('worse', 'ref', [1, 1.1, 1, 1.1]), // higher on every seed
      cell('floor', 'opt', [-12, -12]), cell('floor', 'ref', [-12, -12]),
    ];
    const seeds = new Map(cells.map((c) => [c.key, c.gaps]));
    const [h] = headToHead(cells.map((c) => c.summary), 'opt', 0.01, seeds);
    expect(h).toMatchObject({ lower: 2, equal: 1, higher: 1, significantlyLower: 1, significantlyHigher: 1 });
  });

  it('reads per-seed gaps from runs with the same references as the summary', () => {
    const runs = [0, 1].flatMap((seed) => [
      { objective: 'f', dim: 2, seed, optimizer: 'a', bestValue: 10 ** -(seed + 3), diverged: false, gradEvals: 1, wallMs: 1, curve: [] },
      { objective: 'f', dim: 2, seed, optimizer: 'b', bestValue: 1, diverged: false, gradEvals: 1, wallMs: 1, curve: [] },
    ]);
    const gaps = seedGaps(runs as never, () => 0);
    expect(gaps.get('f|2|a')!.get(1)).toBeCloseTo(-4, 6);
    expect(gaps.get('f|2|b')!.get(0)).toBeCloseTo(0, 9);
  });
});

describe('bench', () => {
  it('runs every optimizer on the same budget and writes valid §4.2 JSON, Markdown and SVG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optimus-bench-'));
    const mod = join(dir, 'bowl.mjs');
    writeFileSync(mod, `export default { name: 'bowl', init: (d, s) => Float64Array.from({ length: d }, (_, i) => 1 + i + s),
      valueAndGrad: (x) => ({ value: x.reduce((a, v) => a + v * v, 0) + 3, grad: x.map((v) => 2 * v) }) };`);
    const { file, learningRates } = await runBench({ objectives: ['rosenbrock'], objectiveModules: [mod], dims: [2, 4], seeds: 2, steps: 30, tuningSeeds: 1 });
    expect(benchFile.safeParse(file).success).toBe(true);
    expect(file.runs.length).toBe(2 * 2 * 2 * 7);
    for (const r of file.runs) {
      expect(r.gradEvals).toBeLessThanOrEqual(30);
      expect(r.curve.length).toBe(r.gradEvals);
    }
    // First-order baselines use every evaluation of the budget.
    for (const r of file.runs.filter((x) => ['adam', 'sgd', 'momentum', 'optimus'].includes(x.optimizer))) expect(r.gradEvals).toBe(30);
    expect(Object.keys(learningRates.rosenbrock!).sort()).toEqual(['adam', 'momentum', 'sgd']);
    // bowl has no known minimum: its best optimizer sits at the −12 floor.
    const bowl = file.summary.filter((s) => s.objective === 'bowl' && s.dim === 2);
    expect(Math.min(...bowl.map((s) => s.meanLog10Gap))).toBeCloseTo(-12, 6);
    const md = benchMarkdown(file);
    expect(md).toContain('| rosenbrock | 2 |');
    expect(md).toMatch(/tuned per objective on seeds 1000000/);
    expect(md).toMatch(/optimus: (checkpoint \S+ \(its provenance|\*\*untrained\*\*)/);
    expect(md).toMatch(new RegExp(`\\| lbfgs \\| ${2 * 2} \\| \\d+ \\| \\d+ \\| \\d+ \\|`));
    const svg = benchSvg(file);
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<path /g) ?? []).length).toBe(4 * 7);
    expect(svg).toContain('bowl, N = 4');
  });

  it('runs a held-out seed set from --first-seed and says so', async () => {
    const { file } = await runBench({ objectives: ['quadratic'], dims: [2], seeds: 2, firstSeed: 100, steps: 10, optimizers: ['adam', 'lbfgs'], tune: false });
    expect([...new Set(file.runs.map((r) => r.seed))]).toEqual([100, 101]);
    expect(file.config.evaluationSeeds).toEqual([100, 101]);
    expect(benchMarkdown(file)).toContain('2 seed(s) per cell (seeds 100–101).');
  });

  it('refuses bad input before doing any work', async () => {
    await expect(runBench({ optimizers: ['adam', 'newton'] })).rejects.toThrow(/unknown optimizer "newton"/);
    await expect(runBench({ objectives: ['nope'] })).rejects.toThrow(/unknown objective "nope"/);
    await expect(runBench({ dims: [0] })).rejects.toThrow(UserError);
    await expect(runBench({ steps: -3 })).rejects.toThrow(/steps/);
    await expect(runBench({ firstSeed: -1 })).rejects.toThrow(/first seed/);
    await expect(runBench({ firstSeed: 999_999, seeds: 2 })).rejects.toThrow(/tuning seeds start there/);
    await expect(runBench({ objectiveModules: ['/nonexistent.mjs'] })).rejects.toThrow(/not found/);
    await expect(runBench({ checkpoint: '/nonexistent.json', optimizers: ['optimus'] })).rejects.toThrow(/not found/);
  });
});

describe('optimus-motion bench (CLI)', () => {
  const bin = resolve(import.meta.dirname, '../../bin/optimus-motion.mjs');
  it('prints one error line, exits non-zero and writes nothing on bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optimus-cli-'));
    const mod = join(dir, 'nan.mjs');
    writeFileSync(mod, `export default { name: 'n', init: (d) => new Float64Array(d), valueAndGrad: (x) => ({ value: NaN, grad: x }) };`);
    const out = join(dir, 'out.json');
    const attempt = promisify(execFile)(process.execPath, [bin, 'bench', '--objective', mod, '--dims', '2', '--json', out, '--quiet']);
    const err = (await attempt.then(() => null, (e: unknown) => e)) as { code: number; stderr: string } | null;
    expect(err).not.toBeNull();
    expect(err!.code).not.toBe(0);
    expect(err!.stderr.trim().split('\n')).toHaveLength(1);
    expect(err!.stderr).toMatch(/^optimus-motion: error: .*nan\.mjs: valueAndGrad returned NaN/);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(mod, 'utf8')).toContain('NaN');
  });
});
