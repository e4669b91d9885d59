import type { Objective, Optimizer, OptimizerState } from '../types.ts';

/** State of the first-order baselines: the iterate, its value and gradient, and accumulators. */
export interface FirstOrderState extends OptimizerState {
  value: number;
  grad: Float64Array;
  /** Momentum / first moment (empty for SGD). */
  m: Float64Array;
  /** Second moment (Adam only). */
  v: Float64Array;
}

function init(objective: Objective, x0: Float64Array): FirstOrderState {
  const x = Float64Array.from(x0);
  const { value, grad } = objective.valueAndGrad(x);
  return { x, step: 0, gradEvals: 1, value, grad: Float64Array.from(grad), m: new Float64Array(x.length), v: new Float64Array(0) };
}

function moveTo(objective: Objective, state: FirstOrderState, x: Float64Array, m: Float64Array, v: Float64Array): FirstOrderState {
  const { value, grad } = objective.valueAndGrad(x);
  return { x, step: state.step + 1, gradEvals: state.gradEvals + 1, value, grad: Float64Array.from(grad), m, v };
}

export interface SgdOptions {
  learningRate: number;
}
export const SGD_DEFAULTS: SgdOptions = { learningRate: 0.01 };

/** Plain gradient descent: x ← x − η g. */
export function sgd(options: Partial<SgdOptions> = {}): Optimizer<FirstOrderState> {
  const { learningRate } = { ...SGD_DEFAULTS, ...options };
  return {
    name: 'sgd',
    init,
    step(objective, s) {
      const x = s.x.map((xi, i) => xi - learningRate * s.grad[i]!);
      return moveTo(objective, s, x, s.m, s.v);
    },
  };
}

export interface MomentumOptions {
  learningRate: number;
  /** Heavy-ball coefficient μ. */
  momentum: number;
}
export const MOMENTUM_DEFAULTS: MomentumOptions = { learningRate: 0.01, momentum: 0.9 };

/** SGD with heavy-ball momentum: m ← μ m + g, x ← x − η m. */
export function momentum(options: Partial<MomentumOptions> = {}): Optimizer<FirstOrderState> {
  const { learningRate, momentum: mu } = { ...MOMENTUM_DEFAULTS, ...options };
  return {
    name: 'momentum',
    init,
    step(objective, s) {
      const m = s.m.map((mi, i) => mu * mi + s.grad[i]!);
      const x = s.x.map((xi, i) => xi - learningRate * m[i]!);
      return moveTo(objective, s, x, m, s.v);
    },
  };
}

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
}
export const ADAM_DEFAULTS: AdamOptions = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Adam (Kingma & Ba 2015) with bias correction. */
export function adam(options: Partial<AdamOptions> = {}): Optimizer<FirstOrderState> {
  const { learningRate, beta1, beta2, eps } = { ...ADAM_DEFAULTS, ...options };
  return {
    name: 'adam',
    init: (objective, x0) => {
      const s = init(objective, x0);
      return { ...s, v: new Float64Array(s.x.length) };
    },
    step(objective, s) {
      const t = s.step + 1;
      const c1 = 1 / (1 - beta1 ** t);
      const c2 = 1 / (1 - beta2 ** t);
      const m = s.m.map((mi, i) => beta1 * mi + (1 - beta1) * s.grad[i]!);
      const v = s.v.map((vi, i) => beta2 * vi + (1 - beta2) * s.grad[i]! * s.grad[i]!);
      const x = s.x.map((xi, i) => xi - (learningRate * m[i]! * c1) / (Math.sqrt(v[i]! * c2) + eps));
      return moveTo(objective, s, x, m, v);
    },
  };
}
