import { computeFeatures, initFeatureState, type FeatureConfig, type FeatureState } from './features.ts';
import type { Objective, OptimizerState } from './types.ts';
import { allFinite } from './vector.ts';

/**
 * The loop shared by the feature-driven learned optimizers (Optimus, Adafactor-MLP):
 * features → a proposed step from the network → a safety net → one evaluation.
 * The state holds only arrays and numbers (never weights), so a meta-trainer can step
 * one persistent state with perturbed weights; `step` never mutates its input state.
 */
export interface LearnedState extends OptimizerState {
  value: number;
  grad: Float64Array;
  features: FeatureState;
  /** Rank-one vectors of the preconditioner (Optimus; empty for per-parameter optimizers). */
  memory: Float64Array[];
  /** Steps where the network's proposal was non-finite and the safe fallback step was taken. */
  fallbackSteps: number;
  /** Evaluations that returned a non-finite value; the step was undone and shrunk. */
  rejectedSteps: number;
  /** log2 of the current step shrink after rejected steps (0 = none), recovers by 1 per good step. */
  backoff: number;
}

export interface Proposal {
  /** The update Δ (x_new = x − Δ) proposed by the network. */
  delta: Float64Array;
  /** Memory to keep if the step is taken. */
  memory: Float64Array[];
}

/** Proposes a step from the current tokens (may be non-finite: `learnedStep` checks and falls back). */
export type Propose = (tokens: Float32Array, width: number, adamDirection: Float64Array, state: LearnedState) => Proposal;

export function initLearnedState(objective: Objective, x0: Float64Array, features: FeatureConfig): LearnedState {
  const x = Float64Array.from(x0);
  const { value, grad } = objective.valueAndGrad(x);
  return {
    x,
    step: 0,
    gradEvals: 1,
    value,
    grad: Float64Array.from(grad),
    features: initFeatureState(x.length, features),
    memory: [],
    fallbackSteps: 0,
    rejectedSteps: 0,
    backoff: 0,
  };
}

/**
 * One step. If the network's step is non-finite, the fallback is an Adam step of
 * `fallbackStep` (recorded in `fallbackSteps`); if the new point evaluates to a
 * non-finite value, the step is undone and later steps are halved (`rejectedSteps`).
 */
export function learnedStep(objective: Objective, state: LearnedState, features: FeatureConfig, fallbackStep: number, propose: Propose): LearnedState {
  const t = state.step + 1;
  const feats = computeFeatures(features, state.features, state.x, state.grad, state.value, t);
  let { delta, memory } = propose(feats.tokens, feats.width, feats.adamDirection, state);
  let fallbackSteps = state.fallbackSteps;
  if (!allFinite(delta)) {
    fallbackSteps++;
    delta = feats.adamDirection.map((d) => fallbackStep * d);
    memory = state.memory;
    if (!allFinite(delta)) delta = new Float64Array(delta.length);
  }
  const shrink = 2 ** state.backoff;
  const x = new Float64Array(state.x.length);
  for (let i = 0; i < x.length; i++) x[i] = state.x[i]! - shrink * delta[i]!;
  const r = objective.valueAndGrad(x);
  const base = { step: t, gradEvals: state.gradEvals + 1, fallbackSteps };
  const grad = Float64Array.from(r.grad);
  if (!Number.isFinite(r.value) || !allFinite(grad)) {
    return { ...state, ...base, features: feats.next, rejectedSteps: state.rejectedSteps + 1, backoff: state.backoff - 1 };
  }
  return { ...state, ...base, x, value: r.value, grad, features: feats.next, memory, backoff: Math.min(0, state.backoff + 1) };
}
