/**
 * Adam for the outer (meta) loop: applied to the PES gradient estimate of the
 * learned optimizer's weights. State is plain arrays so it checkpoints exactly.
 */
export interface OuterAdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const OUTER_ADAM_DEFAULTS: OuterAdamOptions = {
  /** Weights are O(0.1–1); PES estimates are noisy, so small steps. */
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
};

export interface OuterAdamState {
  m: Float64Array;
  v: Float64Array;
  t: number;
}

export function outerAdamInit(size: number): OuterAdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), t: 0 };
}

/** One Adam step on `weights` (in place) with gradient `grad`; returns the new moment state (mutated in place too). */
export function outerAdamStep(weights: Float32Array, grad: Float64Array, state: OuterAdamState, options: OuterAdamOptions): OuterAdamState {
  const { learningRate, beta1, beta2, epsilon } = options;
  const t = state.t + 1;
  const c1 = 1 - beta1 ** t;
  const c2 = 1 - beta2 ** t;
  for (let i = 0; i < weights.length; i++) {
    const g = grad[i]!;
    const m = (state.m[i] = beta1 * state.m[i]! + (1 - beta1) * g);
    const v = (state.v[i] = beta2 * state.v[i]! + (1 - beta2) * g * g);
    weights[i] = weights[i]! - (learningRate * (m / c1)) / (Math.sqrt(v / c2) + epsilon);
  }
  state.t = t;
  return state;
}

/** Scales `grad` in place so its Euclidean norm is at most `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(grad: Float64Array, maxNorm: number): number {
  let s = 0;
  for (let i = 0; i < grad.length; i++) s += grad[i]! * grad[i]!;
  const norm = Math.sqrt(s);
  if (norm > maxNorm && norm > 0) {
    const k = maxNorm / norm;
    for (let i = 0; i < grad.length; i++) grad[i] = grad[i]! * k;
  }
  return norm;
}
