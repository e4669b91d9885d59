import { Rng } from '../../random.ts';
import type { LearnedOptimizerDef } from '../learned.ts';
import type { TaskFamily } from '../types.ts';
import type { TrainConfig } from './config.ts';
import { evaluateOptimizer, type EvaluationResult } from './evaluate.ts';
import { clipByGlobalNorm, outerAdamInit, outerAdamStep, type OuterAdamState } from './outer-adam.ts';
import { pesInit, pesStep, TaskCache, type PesOptions, type PesState } from './pes.ts';
import { decodeState, encodeState } from './state-codec.ts';
import { expandGrid, type TaskSpec } from './task-distribution.ts';

/**
 * The outer trainer: PES estimate → NaN check → clip → Adam, with periodic
 * validation. Its whole state (weights, Adam moments, particles, generator states,
 * counters, history) is plain data and round-trips exactly through `encodeTrainer`.
 */
export interface TrainerSetup {
  def: LearnedOptimizerDef;
  families: Readonly<Record<string, TaskFamily>>;
  config: TrainConfig;
  /** Which weights are trained (from config.trainable); absent: all. */
  mask?: Uint8Array;
}

export interface EvalRecord {
  step: number;
  metaLoss: number;
  meanLog10Gap: number | null;
}

export interface TrainerState {
  weights: Float32Array;
  adam: OuterAdamState;
  pes: PesState;
  outerStep: number;
  skippedSteps: number;
  innerSteps: number;
  tasksFinished: number;
  /** Meta-loss of every outer step (NaN where skipped or where no pair scored a step). */
  metaLossHistory: number[];
  evalHistory: EvalRecord[];
  /** Weights with the lowest validation meta-loss so far (what gets shipped). */
  best: { step: number; metaLoss: number; meanLog10Gap?: number | null; weights: Float32Array } | null;
  /** Training wall time summed over all invocations. */
  wallMs: number;
}

export interface StepReport {
  outerStep: number;
  metaLoss: number;
  skipped: boolean;
  nanPairs: number;
  gradNorm: number;
}

export function pesOptions(config: TrainConfig): PesOptions {
  return { pairs: config.population, sigma: config.sigma, truncation: config.truncation, metaLoss: config.metaLoss, estimator: config.estimator };
}

export function trainerInit(setup: TrainerSetup, seed: number, initialWeights?: Float32Array): TrainerState {
  const { def, config } = setup;
  const weights = initialWeights ?? def.initWeights(seed);
  if (weights.length !== def.weightCount) throw new Error(`${def.kind}: initWeights returned ${weights.length} weights, expected ${def.weightCount}`);
  const root = new Rng(seed);
  const taskRng = root.fork();
  const noiseRng = root.fork();
  return {
    weights: Float32Array.from(weights),
    adam: outerAdamInit(def.weightCount),
    pes: pesInit(def.weightCount, config.population, taskRng, noiseRng),
    outerStep: 0,
    skippedSteps: 0,
    innerSteps: 0,
    tasksFinished: 0,
    metaLossHistory: [],
    evalHistory: [],
    best: null,
    wallMs: 0,
  };
}

/** One outer step. A NaN meta-loss skips the update (weights unchanged) and resets the affected pairs. */
export function trainerStep(setup: TrainerSetup, state: TrainerState, cache: TaskCache): StepReport {
  const { def, families, config } = setup;
  const result = pesStep(def, state.weights, state.pes, { families, train: config.tasks.train }, { ...pesOptions(config), ...(setup.mask ? { mask: setup.mask } : {}) }, cache);
  state.outerStep += 1;
  state.innerSteps += result.innerSteps;
  state.tasksFinished += result.tasksFinished;
  // The meta-loss itself may be NaN with no NaN pair: no pair reached a scored step (metaLoss.countFrom).
  let finite = result.nanPairs === 0;
  for (let i = 0; finite && i < result.grad.length; i++) if (!Number.isFinite(result.grad[i]!)) finite = false;
  if (!finite) {
    state.skippedSteps += 1;
    state.metaLossHistory.push(NaN);
    return { outerStep: state.outerStep, metaLoss: NaN, skipped: true, nanPairs: result.nanPairs, gradNorm: NaN };
  }
  const gradNorm = clipByGlobalNorm(result.grad, config.clipNorm);
  outerAdamStep(state.weights, result.grad, state.adam, config.outerAdam);
  state.metaLossHistory.push(result.metaLoss);
  return { outerStep: state.outerStep, metaLoss: result.metaLoss, skipped: false, nanPairs: 0, gradNorm };
}

/** Scores `weights` on a fixed task list with the config's evaluation budget. */
export function evaluateWeights(setup: TrainerSetup, weights: Float32Array, specs: readonly TaskSpec[]): EvaluationResult {
  return evaluateOptimizer(setup.def.create(weights), specs, setup.families, { gradEvals: setup.config.evalGradEvals, metaLoss: setup.config.metaLoss });
}

/** Validation pass: records the result and keeps the best weights. */
export function trainerValidate(setup: TrainerSetup, state: TrainerState): EvalRecord {
  const result = evaluateWeights(setup, state.weights, expandGrid(setup.config.tasks.validation));
  const record = { step: state.outerStep, metaLoss: result.metaLoss, meanLog10Gap: result.meanLog10Gap };
  state.evalHistory.push(record);
  if (Number.isFinite(result.metaLoss) && (!state.best || isBetter(setup.config.selectBy, result, state.best))) {
    state.best = { step: state.outerStep, metaLoss: result.metaLoss, meanLog10Gap: result.meanLog10Gap, weights: Float32Array.from(state.weights) };
  }
  return record;
}

/** Whether a validation result beats the best so far under the config's selection rule. */
export function isBetter(selectBy: TrainConfig['selectBy'], r: { metaLoss: number; meanLog10Gap: number | null }, best: { metaLoss: number; meanLog10Gap?: number | null }): boolean {
  if (selectBy === 'log10Gap' && r.meanLog10Gap !== null && Number.isFinite(r.meanLog10Gap)) {
    const b = best.meanLog10Gap;
    return b === undefined || b === null || !Number.isFinite(b) || r.meanLog10Gap < b;
  }
  return r.metaLoss < best.metaLoss;
}

/** Exact, JSON-safe form of the trainer state. */
export function encodeTrainer(state: TrainerState): unknown {
  return encodeState({
    ...state,
    pes: { pairs: state.pes.pairs, taskRng: state.pes.taskRng.getState(), noiseRng: state.pes.noiseRng.getState() },
  });
}

/** Inverse of encodeTrainer; throws on a structurally wrong state (the caller names the file). */
export function decodeTrainer(encoded: unknown, setup: TrainerSetup): TrainerState {
  const raw = decodeState(encoded) as Record<string, unknown> & { pes: { pairs: unknown[]; taskRng: RngState; noiseRng: RngState } };
  const weights = raw.weights;
  if (!(weights instanceof Float32Array) || weights.length !== setup.def.weightCount) {
    throw new Error(`weights do not match ${setup.def.kind} (${setup.def.weightCount} weights)`);
  }
  const pes = raw.pes;
  if (!pes || !Array.isArray(pes.pairs) || pes.pairs.length !== setup.config.population) throw new Error('particle states missing or of the wrong population');
  const taskRng = new Rng(0);
  taskRng.setState(checkRngState(pes.taskRng));
  const noiseRng = new Rng(0);
  noiseRng.setState(checkRngState(pes.noiseRng));
  const adam = raw.adam as OuterAdamState;
  if (!(adam?.m instanceof Float64Array) || !(adam.v instanceof Float64Array) || adam.m.length !== weights.length) throw new Error('outer Adam state missing or malformed');
  for (const p of pes.pairs as Array<{ xi?: unknown }>) {
    if (!(p?.xi instanceof Float64Array) || p.xi.length !== weights.length) throw new Error('particle perturbation accumulator malformed');
  }
  for (const key of ['outerStep', 'skippedSteps', 'innerSteps', 'tasksFinished', 'wallMs'] as const) {
    if (typeof raw[key] !== 'number') throw new Error(`${key} missing`);
  }
  return { ...(raw as unknown as TrainerState), pes: { pairs: pes.pairs as PesState['pairs'], taskRng, noiseRng } };
}

type RngState = { state: number; spare: number | null };

function checkRngState(s: unknown): RngState {
  const r = s as RngState;
  if (!r || typeof r.state !== 'number' || !(r.spare === null || typeof r.spare === 'number')) throw new Error('random generator state malformed');
  return r;
}
