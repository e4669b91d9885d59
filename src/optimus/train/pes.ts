import type { Rng } from '../../random.ts';
import type { LearnedOptimizerDef } from '../learned.ts';
import type { Objective, Optimizer, OptimizerState, Task, TaskFamily } from '../types.ts';
import { gapReference, isScored, metaLossTerm, scoredValue, type GapReference, type MetaLossOptions } from './meta-loss.ts';
import { sampleTrainingTask, buildTask, type TaskSpec, type TrainingTasks } from './task-distribution.ts';
import { sampleUnrollsPerTask, type TruncationOptions } from './truncation.ts';

/**
 * Persistent Evolution Strategies (Vicol, Metz, Sohl-Dickstein, ICML 2021), antithetic.
 *
 * Each pair of particles shares one inner task and runs two persistent inner states,
 * one with weights θ+ε and one with θ−ε. ξ accumulates the perturbations used since
 * the task started; the estimate for one truncated unroll is
 *   ĝ = 1/(2 P σ²) Σ_pairs ξ (L⁺ − L⁻),
 * which is unbiased for the gradient of the (smoothed) unroll loss including the
 * effect of θ on the state the unroll started from — the bias that plain truncated
 * ES has. ξ is reset when the pair's task ends and a new task is sampled.
 */
export interface PesOptions {
  /** Number of antithetic pairs P. */
  pairs: number;
  /** Standard deviation σ of the weight perturbations. */
  sigma: number;
  truncation: TruncationOptions;
  metaLoss: MetaLossOptions;
  /**
   * 'pes' accumulates ξ over the task (unbiased); 'tes' (truncated ES) uses only this
   * unroll's ε — biased, kept as an ablation and as the contrast in the unbiasedness test.
   */
  estimator?: 'pes' | 'tes';
  /** 1 for weights that are perturbed (trained), 0 for frozen ones; default: all trained. */
  mask?: Uint8Array;
}

export const PES_DEFAULTS: Omit<PesOptions, 'truncation' | 'metaLoss'> = {
  pairs: 8,
  sigma: 0.01,
};

/** One antithetic pair's persistent state. */
export interface PesPair {
  task: TaskSpec | null;
  /** Unrolls left before this task ends (0 → sample a new task first). */
  unrollsLeft: number;
  unrollsDone: number;
  ref: GapReference;
  pos: OptimizerState | null;
  neg: OptimizerState | null;
  /** Best value so far of each particle on this task (meta-loss value 'best'). */
  bestPos: number;
  bestNeg: number;
  /** Accumulated perturbation ξ since the task started. */
  xi: Float64Array;
}

export interface PesState {
  pairs: PesPair[];
  /** Draws tasks and horizons. */
  taskRng: Rng;
  /** Draws the weight perturbations. */
  noiseRng: Rng;
}

export interface PesResult {
  /** Gradient estimate (not clipped); meaningless when `nanPairs` > 0. */
  grad: Float64Array;
  /** Mean of (L⁺ + L⁻)/2 over the pairs whose unroll scored steps: the meta-loss around θ (NaN when none did). */
  metaLoss: number;
  /** Pairs whose unroll produced a NaN meta-loss (their tasks are reset). */
  nanPairs: number;
  tasksFinished: number;
  innerSteps: number;
}

/** Anything that turns task specs into tasks and knows how to sample one. */
export interface TaskSource {
  families: Readonly<Record<string, TaskFamily>>;
  train: TrainingTasks;
}

export function pesInit(weightCount: number, pairs: number, taskRng: Rng, noiseRng: Rng): PesState {
  const list: PesPair[] = [];
  for (let i = 0; i < pairs; i++) {
    list.push({ task: null, unrollsLeft: 0, unrollsDone: 0, ref: { floor: 0, gap0: 1 }, pos: null, neg: null, bestPos: Infinity, bestNeg: Infinity, xi: new Float64Array(weightCount) });
  }
  return { pairs: list, taskRng, noiseRng };
}

/** Rebuilt objectives, cached per pair (they are pure functions of the task spec, so never checkpointed). */
export class TaskCache {
  private cache = new Map<string, Task>();
  get(spec: TaskSpec, families: Readonly<Record<string, TaskFamily>>): Task {
    const key = `${spec.family}/${spec.dim}/${spec.seed}`;
    let task = this.cache.get(key);
    if (!task) {
      task = buildTask(spec, families);
      if (this.cache.size > 256) this.cache.clear();
      this.cache.set(key, task);
    }
    return task;
  }
}

/** Where an unroll sits in its task: steps already done, the task's horizon, the particle's best value so far. */
export interface UnrollPlace {
  stepsDone: number;
  horizon: number;
  best: number;
}

/**
 * Runs K inner steps from `state`; the loss is the sum of the scored meta-loss terms / K
 * (every step is scored unless `metaLoss.countFrom` says otherwise).
 */
export function unroll(
  optimizer: Optimizer,
  objective: Objective,
  state: OptimizerState,
  steps: number,
  ref: GapReference,
  metaLoss: MetaLossOptions,
  place: UnrollPlace = { stepsDone: 0, horizon: steps, best: Infinity },
): { state: OptimizerState; loss: number; best: number; scored: number } {
  let sum = 0;
  let scored = 0;
  let best = place.best;
  let s = state;
  for (let k = 0; k < steps; k++) {
    s = optimizer.step(objective, s);
    const value = scoredValue(valueAt(objective, s), best, metaLoss);
    if (Number.isNaN(value)) return { state: s, loss: NaN, best, scored };
    best = Math.min(best, value);
    if (!isScored(place.stepsDone + k + 1, place.horizon, metaLoss)) continue;
    sum += metaLossTerm(value, ref, metaLoss);
    scored++;
  }
  return { state: s, loss: sum / steps, best, scored };
}

/** f at the state's point (the state's own `value` when it carries one); a non-finite point counts as NaN. */
export function valueAt(objective: Objective, state: OptimizerState): number {
  for (let i = 0; i < state.x.length; i++) if (!Number.isFinite(state.x[i]!)) return NaN;
  const own = (state as { value?: unknown }).value;
  if (typeof own === 'number') return Number.isNaN(own) ? NaN : own;
  const v = objective.valueAndGrad(state.x).value;
  return Number.isNaN(v) ? NaN : v;
}

/** Starts a new task on `pair`: sampled spec and horizon, fresh inner states, ξ = 0. */
function resetPair(pair: PesPair, def: LearnedOptimizerDef, weights: Float32Array, source: TaskSource, rng: Rng, options: PesOptions, tasks: TaskCache): void {
  const spec = sampleTrainingTask(rng, source.train);
  const task = tasks.get(spec, source.families);
  pair.task = spec;
  pair.unrollsLeft = sampleUnrollsPerTask(rng, options.truncation);
  pair.unrollsDone = 0;
  const f0 = task.objective.valueAndGrad(task.x0).value;
  pair.ref = gapReference(f0, task.objective.minimum);
  pair.bestPos = f0;
  pair.bestNeg = f0;
  // Initial state does not depend on the weights of learned optimizers (arrays only), but create one per sign to be safe.
  const opt = def.create(weights);
  pair.pos = opt.init(task.objective, Float64Array.from(task.x0));
  pair.neg = opt.init(task.objective, Float64Array.from(task.x0));
  disposeOptimizer(opt);
  pair.xi.fill(0);
}

/** Learned optimizers may hold tfjs tensors; release them if the optimizer offers a way. */
export function disposeOptimizer(opt: Optimizer): void {
  (opt as { dispose?: () => void }).dispose?.();
}

/** One PES estimate: every pair advances one truncated unroll with θ±ε. */
export function pesStep(
  def: LearnedOptimizerDef,
  weights: Float32Array,
  state: PesState,
  source: TaskSource,
  options: PesOptions,
  tasks: TaskCache,
): PesResult {
  const n = weights.length;
  const { sigma } = options;
  const k = options.truncation.unrollSteps;
  const grad = new Float64Array(n);
  const eps = new Float64Array(n);
  const wPos = new Float32Array(n);
  const wNeg = new Float32Array(n);
  let lossSum = 0;
  let nanPairs = 0;
  let scoredPairs = 0;
  let tasksFinished = 0;
  let innerSteps = 0;
  for (const pair of state.pairs) {
    if (pair.unrollsLeft <= 0 || !pair.task || !pair.pos || !pair.neg) resetPair(pair, def, weights, source, state.taskRng, options, tasks);
    const task = tasks.get(pair.task!, source.families);
    const mask = options.mask;
    for (let i = 0; i < n; i++) {
      // Draw for every weight so the noise stream does not depend on the mask.
      const z = state.noiseRng.normal();
      const e = mask && !mask[i] ? 0 : sigma * z;
      eps[i] = e;
      wPos[i] = weights[i]! + e;
      wNeg[i] = weights[i]! - e;
    }
    const optPos = def.create(wPos);
    const optNeg = def.create(wNeg);
    const horizon = (pair.unrollsDone + pair.unrollsLeft) * k;
    const stepsDone = pair.unrollsDone * k;
    // States saved before best values were kept start their best from here.
    const pos = unroll(optPos, task.objective, pair.pos!, k, pair.ref, options.metaLoss, { stepsDone, horizon, best: pair.bestPos ?? Infinity });
    const neg = unroll(optNeg, task.objective, pair.neg!, k, pair.ref, options.metaLoss, { stepsDone, horizon, best: pair.bestNeg ?? Infinity });
    disposeOptimizer(optPos);
    disposeOptimizer(optNeg);
    innerSteps += 2 * k;
    pair.pos = pos.state;
    pair.neg = neg.state;
    pair.bestPos = pos.best;
    pair.bestNeg = neg.best;
    pair.unrollsLeft -= 1;
    pair.unrollsDone += 1;
    if (pair.unrollsLeft <= 0) tasksFinished++;
    if (Number.isNaN(pos.loss) || Number.isNaN(neg.loss)) {
      nanPairs++;
      pair.unrollsLeft = 0; // the pair starts a new task next time
      continue;
    }
    const diff = pos.loss - neg.loss;
    const accumulate = options.estimator !== 'tes';
    for (let i = 0; i < n; i++) {
      const xi = (pair.xi[i] = accumulate ? pair.xi[i]! + eps[i]! : eps[i]!);
      grad[i] = grad[i]! + xi * diff;
    }
    if (pos.scored > 0) {
      lossSum += 0.5 * (pos.loss + neg.loss) * (k / pos.scored);
      scoredPairs++;
    }
  }
  const scale = 1 / (2 * state.pairs.length * sigma * sigma);
  for (let i = 0; i < n; i++) grad[i] = grad[i]! * scale;
  return { grad, metaLoss: scoredPairs > 0 ? lossSum / scoredPairs : NaN, nanPairs, tasksFinished, innerSteps };
}
