import { availableParallelism, loadavg } from 'node:os';
import { initBackend, type BackendName } from '../backend.ts';
import { lbfgs } from '../baselines/quasi-newton.ts';
import { optimusDef } from '../learned.ts';
import { forwardTfjs, forwardTyped, bindNetwork } from '../network.ts';
import { getObjective } from '../objectives/registry.ts';
import { objectiveAt } from '../objectives/spec.ts';
import { optimusNetworkConfig } from '../optimus.ts';
import type { Objective, Optimizer, OptimizerState } from '../types.ts';
import { median } from './summary.ts';

/**
 * Wall time of single optimizer steps (medians over repetitions, after a warm-up).
 * Also times both Optimus forward implementations, which is how the typed/tfjs switch
 * point in network.ts (TFJS_MIN_TOKENS) was chosen.
 */
export interface SpeedOptions {
  dims: number[];
  backend: BackendName;
  /** Wall-time budget per measurement (ms); at least 3 repetitions run. */
  budgetMs: number;
  log: (line: string) => void;
}

export const SPEED_DEFAULTS: SpeedOptions = { dims: [10, 100, 1000, 10000], backend: 'wasm', budgetMs: 2000, log: () => {} };

/**
 * Median wall time and median CPU time of the process per call. On a shared machine the
 * wall time includes waiting for a core; the CPU time is what the call itself costs
 * (≈ the wall time on an idle machine, since everything here is single-threaded).
 */
function timeIt(fn: () => void, budgetMs: number): { median: number; cpu: number; reps: number } {
  fn(); // warm-up (JIT, tfjs kernels)
  const times: number[] = [];
  const cpu: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 200)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { median: median(times), cpu: median(cpu), reps: times.length };
}

/** Steps repeatedly from one state a few steps in (steps never mutate their input), so
 * every repetition costs the same and L-BFGS cannot converge and stop mid-measurement. */
function stepper<S extends OptimizerState>(opt: Optimizer<S>, obj: Objective, x0: Float64Array): () => void {
  let s = opt.init(obj, x0);
  for (let k = 0; k < 5; k++) s = opt.step(obj, s);
  const from = s;
  return () => {
    opt.step(obj, from);
  };
}

/** Throughput of a plain multiply-add loop, to put the timings in context. */
function referenceGmacs(): number {
  const a = new Float64Array(1024).map((_, i) => Math.sin(i));
  const b = new Float64Array(1024).map((_, i) => Math.cos(i));
  let s = 0;
  const c0 = process.cpuUsage();
  for (let r = 0; r < 20000; r++) for (let i = 0; i < 1024; i++) s += a[i]! * b[i]!;
  const c = process.cpuUsage(c0);
  return s === 12345 ? 0 : (1024 * 20000) / ((c.user + c.system) * 1e3);
}

export interface SpeedRow {
  what: string;
  dim: number;
  /** Median wall time (ms). */
  ms: number;
  /** Median CPU time of the process (ms). */
  cpuMs: number;
  reps: number;
}

export async function measureStepSpeed(options: Partial<SpeedOptions> = {}): Promise<SpeedRow[]> {
  const o = { ...SPEED_DEFAULTS, ...options };
  await initBackend(o.backend);
  const def = optimusDef();
  const weights = def.initWeights(0);
  const cfg = optimusNetworkConfig(def.config);
  const net = bindNetwork(cfg, weights);
  const rows: SpeedRow[] = [];
  const spec = getObjective('rosenbrock');
  const report = (what: string, dim: number, r: { median: number; cpu: number; reps: number }) => {
    rows.push({ what, dim, ms: r.median, cpuMs: r.cpu, reps: r.reps });
    o.log(`${what.padEnd(28)} N=${String(dim).padStart(6)}  wall ${r.median.toFixed(3).padStart(9)} ms  cpu ${r.cpu.toFixed(3).padStart(9)} ms  (medians of ${r.reps})`);
  };
  o.log(`load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores (wall times include waiting for a core; cpu = the call's own cost)`);
  o.log(`reference: a plain JS dot-product loop runs at ${referenceGmacs().toFixed(2)} GMAC/s now (compare across machines/loads)`);
  o.log(`backend: ${o.backend}; Optimus network: width ${cfg.width}, ${cfg.heads} heads, ${cfg.layers} layers, ${def.weightCount} weights`);
  for (const n of o.dims) {
    const obj = objectiveAt(spec, n);
    const x0 = spec.init(n, 0);
    report('optimus step (auto path)', n, timeIt(stepper(def.create(weights), obj, x0), o.budgetMs));
    const tokens = new Float32Array(n * cfg.inputs).map((_, i) => Math.sin(i));
    if (n <= 1000) report('  forward, typed arrays', n, timeIt(() => forwardTyped(cfg, net.typed, tokens, n), o.budgetMs));
    report('  forward, tfjs', n, timeIt(() => forwardTfjs(cfg, net.layout, weights, tokens, n), o.budgetMs));
    report('lbfgs step', n, timeIt(stepper(lbfgs(), obj, x0), o.budgetMs));
  }
  return rows;
}
