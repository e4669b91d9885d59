import { UserError } from '../../errors.ts';
import { benchFile, type BenchFile, type BenchRun } from '../../formats/bench.ts';
import { validate } from '../../formats/io.ts';
import { initBackend, type BackendName } from '../backend.ts';
import { BFGS_MAX_DIM } from '../baselines/quasi-newton.ts';
import { runWithBudget } from '../minimize.ts';
import { TFJS_MIN_TOKENS } from '../network.ts';
import { checkedObjective, loadObjectiveModule } from '../objectives/module.ts';
import { getObjective } from '../objectives/registry.ts';
import { specMinimum, type ObjectiveSpec } from '../objectives/spec.ts';
import { TUNABLE_OPTIMIZERS, createOptimizer, parseOptimizerName, type OptimizerName } from '../optimizers.ts';
import { summarize } from './summary.ts';
import { TUNING_SEED_BASE, tuneLearningRate, tuningSeeds } from './tune.ts';

/**
 * The benchmark: objectives × dims × seeds × optimizers, every run with the same
 * budget of gradient evaluations. Learning rates of sgd / momentum / adam are tuned per
 * objective on tuning seeds disjoint from the evaluation seeds firstSeed … firstSeed + seeds − 1.
 */
export interface BenchOptions {
  /** Built-in objective names. */
  objectives: string[];
  /** Paths of §4.1 objective modules. */
  objectiveModules: string[];
  dims: number[];
  /** Number of evaluation seeds (firstSeed … firstSeed + seeds − 1). */
  seeds: number;
  /** The first evaluation seed: 0 for the study, others for held-out seed sets. */
  firstSeed: number;
  optimizers: string[];
  /** Budget of gradient evaluations per run. */
  steps: number;
  /** Optimus checkpoint (default: models/optimus-bench.json when present). */
  checkpoint?: string;
  /** Adafactor-MLP checkpoint (default: models/adafac-mlp-bench.json when present). */
  adafacCheckpoint?: string;
  backend: BackendName;
  /** Tune learning rates of the first-order baselines (else their defaults). */
  tune: boolean;
  /** Tuning seeds per objective and dimension. */
  tuningSeeds: number;
  onProgress?: (done: number, total: number, detail: string) => void;
}

export const BENCH_DEFAULTS: BenchOptions = {
  objectives: ['rosenbrock', 'rastrigin', 'ackley', 'quadratic', 'dixon-price'],
  objectiveModules: [],
  dims: [2, 10, 30],
  seeds: 3,
  firstSeed: 0,
  optimizers: ['optimus', 'adafac-mlp', 'adam', 'sgd', 'momentum', 'bfgs', 'lbfgs'],
  steps: 200,
  backend: 'wasm',
  tune: true,
  tuningSeeds: 2,
};

function evaluationSeeds(o: BenchOptions): number[] {
  return Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i);
}

interface ObjectiveEntry {
  spec: ObjectiveSpec;
  source: string;
}

/** Resolves and checks everything before any work, so bad input fails fast and writes nothing. */
export async function prepareBench(options: Partial<BenchOptions> = {}): Promise<{ o: BenchOptions; objectives: ObjectiveEntry[]; optimizers: OptimizerName[] }> {
  const hasUserObjectives = (options.objectives?.length ?? 0) > 0 || (options.objectiveModules?.length ?? 0) > 0;
  const o: BenchOptions = { ...BENCH_DEFAULTS, ...options };
  if (!hasUserObjectives) o.objectives = BENCH_DEFAULTS.objectives;
  if (!Number.isInteger(o.steps) || o.steps < 2) throw new UserError(`steps must be an integer ≥ 2, got ${o.steps}`);
  if (!Number.isInteger(o.seeds) || o.seeds < 1 || o.seeds > TUNING_SEED_BASE) throw new UserError(`seeds must be an integer in 1 … ${TUNING_SEED_BASE}, got ${o.seeds}`);
  if (!Number.isInteger(o.firstSeed) || o.firstSeed < 0 || o.firstSeed + o.seeds > TUNING_SEED_BASE) {
    throw new UserError(`first seed must be an integer ≥ 0 with first seed + seeds ≤ ${TUNING_SEED_BASE} (the tuning seeds start there), got ${o.firstSeed}`);
  }
  if (o.dims.length === 0) throw new UserError('dims must list at least one dimension');
  for (const d of o.dims) if (!Number.isInteger(d) || d < 1) throw new UserError(`dims must be positive integers, got ${d}`);
  const optimizers = [...new Set(o.optimizers.map(parseOptimizerName))];
  if (optimizers.length === 0) throw new UserError('optimizers must list at least one optimizer');
  if (optimizers.includes('bfgs') && Math.max(...o.dims) > BFGS_MAX_DIM) throw new UserError(`bfgs keeps an N×N matrix and is limited to dims ≤ ${BFGS_MAX_DIM}; drop it or use lbfgs`);
  const objectives: ObjectiveEntry[] = [];
  for (const name of o.objectives) objectives.push({ spec: getObjective(name), source: name });
  for (const path of o.objectiveModules) objectives.push({ spec: await loadObjectiveModule(path), source: path });
  const names = new Set<string>();
  for (const e of objectives) {
    if (names.has(e.spec.name)) throw new UserError(`objective name "${e.spec.name}" appears twice (${e.source})`);
    names.add(e.spec.name);
    for (const dim of o.dims) {
      if (dim < (e.spec.minDim ?? 1)) throw new UserError(`objective "${e.spec.name}" needs dims ≥ ${e.spec.minDim}, got ${dim}`);
      // Probe every evaluation and tuning start point: NaN, wrong lengths, throws → UserError now.
      for (const seed of evaluationSeeds(o)) checkedObjective(e.spec, dim, e.source, seed);
    }
  }
  // Checkpoints are checked up front too.
  for (const name of optimizers) {
    if (name === 'optimus') createOptimizer(name, o.checkpoint === undefined ? {} : { checkpoint: o.checkpoint });
    if (name === 'adafac-mlp') createOptimizer(name, o.adafacCheckpoint === undefined ? {} : { checkpoint: o.adafacCheckpoint });
  }
  return { o, objectives, optimizers };
}

export interface BenchResult {
  file: BenchFile;
  /** Tuned learning rates per objective and optimizer. */
  learningRates: Record<string, Record<string, number>>;
  /** Whether each learned optimizer ran from a trained checkpoint. */
  learned: Record<string, { trained: boolean; checkpoint: string | null }>;
}

export async function runBench(options: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const { o, objectives, optimizers } = await prepareBench(options);
  // tfjs serves only Optimus's large-N path (or an explicitly chosen backend).
  if (optimizers.includes('optimus') && (options.backend !== undefined || Math.max(...o.dims) >= TFJS_MIN_TOKENS.wasm!)) await initBackend(o.backend);
  const learningRates: Record<string, Record<string, number>> = {};
  const tunable = optimizers.filter((n) => TUNABLE_OPTIMIZERS.includes(n));
  const tuneUnits = o.tune ? objectives.length * tunable.length : 0;
  const total = tuneUnits + objectives.length * o.dims.length * o.seeds * optimizers.length;
  let done = 0;
  for (const e of objectives) {
    learningRates[e.spec.name] = {};
    if (!o.tune) continue;
    for (const name of tunable) {
      o.onProgress?.(done, total, `tuning ${name} on ${e.spec.name}`);
      learningRates[e.spec.name]![name] = tuneLearningRate(e.spec, e.source, name, { dims: o.dims, steps: o.steps, tuningSeeds: o.tuningSeeds });
      done++;
    }
  }

  const learned: BenchResult['learned'] = {};
  const runs: BenchRun[] = [];
  for (const e of objectives) {
    for (const dim of o.dims) {
      for (const seed of evaluationSeeds(o)) {
        const { objective, x0 } = checkedObjective(e.spec, dim, e.source, seed);
        for (const name of optimizers) {
          o.onProgress?.(done, total, `${e.spec.name} d${dim} seed ${seed} ${name}`);
          const lr = learningRates[e.spec.name]![name];
          const ckpt = name === 'optimus' ? o.checkpoint : name === 'adafac-mlp' ? o.adafacCheckpoint : undefined;
          const choice = createOptimizer(name, { ...(lr === undefined ? {} : { learningRate: lr }), ...(ckpt === undefined ? {} : { checkpoint: ckpt }) });
          if (choice.trained !== null) learned[name] = { trained: choice.trained, checkpoint: choice.checkpoint };
          const r = runWithBudget(choice.optimizer, objective, x0, o.steps);
          const c = r.counted;
          runs.push({
            objective: e.spec.name,
            dim,
            optimizer: name,
            seed,
            finalValue: Number.isFinite(r.finalValue) ? r.finalValue : null,
            bestValue: Number.isFinite(c.bestValue) ? c.bestValue : null,
            gradEvals: c.evals,
            wallMs: r.wallMs,
            curve: c.curve.map((v) => (Number.isFinite(v) ? v : null)),
            diverged: c.diverged,
            ...(lr === undefined ? {} : { learningRate: lr }),
            ...(choice.trained === null ? {} : { trained: choice.trained }),
            ...(r.fallbackSteps ? { fallbackSteps: r.fallbackSteps } : {}),
          });
          done++;
        }
      }
    }
  }
  const minimumOf = new Map(objectives.map((e) => [e.spec.name, e.spec]));
  const summary = summarize(runs, (name, dim) => specMinimum(minimumOf.get(name)!, dim));
  const file: BenchFile = {
    config: {
      steps: o.steps,
      seeds: o.seeds,
      dims: o.dims,
      optimizers,
      objectives: objectives.map((e) => e.spec.name),
      budget: 'gradient evaluations per run (line-search evaluations count); curve[i] = best value after i + 1 evaluations',
      evaluationSeeds: evaluationSeeds(o),
      tuning: o.tune
        ? { optimizers: tunable, seeds: tuningSeeds(o.tuningSeeds), note: 'learning rates tuned per objective on seeds disjoint from the evaluation seeds', learningRates }
        : null,
      learned,
      backend: o.backend,
      /** f* per "objective|dim" (null when unknown: gaps are then measured from the best value reached). */
      minima: Object.fromEntries(objectives.flatMap((e) => o.dims.map((d) => [`${e.spec.name}|${d}`, specMinimum(e.spec, d) ?? null]))),
    },
    runs,
    summary,
  };
  return { file: validate(benchFile, file, 'bench result'), learningRates, learned };
}
