import type { LearnedOptimizerDef } from '../learned.ts';
import type { Objective, Optimizer, OptimizerState } from '../types.ts';

/**
 * "Learned SGD with momentum": the smallest real learned optimizer. Its three
 * meta-parameters are log learning rate, momentum logit and log gradient scale for
 * a soft clip; the trainer's tests and development runs use it as the meta-problem
 * (its meta-gradient on a quadratic has a closed form).
 *   v ← β v − η · c·tanh(g/c),  x ← x + v,   η = e^θ₀, β = σ(θ₁), c = e^θ₂
 */
export interface LearnedSgdConfig {
  /** Initial learning rate and momentum of the untrained optimizer. */
  initLearningRate: number;
  initMomentum: number;
  /** Initial soft-clip scale of the gradient. */
  initClip: number;
}

export const LEARNED_SGD_DEFAULTS: LearnedSgdConfig = {
  initLearningRate: 0.01,
  initMomentum: 0.5,
  initClip: 1e3,
};

export interface LearnedSgdState extends OptimizerState {
  v: Float64Array;
}

export function learnedSgdDef(config: Partial<LearnedSgdConfig> = {}): LearnedOptimizerDef<LearnedSgdConfig> {
  const cfg = { ...LEARNED_SGD_DEFAULTS, ...config };
  return {
    kind: 'learned-sgd',
    config: cfg,
    weightCount: 3,
    initWeights(_seed: number): Float32Array {
      const m = cfg.initMomentum;
      return Float32Array.from([Math.log(cfg.initLearningRate), Math.log(m / (1 - m)), Math.log(cfg.initClip)]);
    },
    create(weights: Float32Array): Optimizer {
      const lr = Math.exp(weights[0]!);
      const beta = 1 / (1 + Math.exp(-weights[1]!));
      const clip = Math.exp(weights[2]!);
      const optimizer: Optimizer<LearnedSgdState> = {
        name: 'learned-sgd',
        init(_objective: Objective, x0: Float64Array): LearnedSgdState {
          return { x: Float64Array.from(x0), step: 0, gradEvals: 0, v: new Float64Array(x0.length) };
        },
        step(objective: Objective, state: LearnedSgdState): LearnedSgdState {
          const { grad } = objective.valueAndGrad(state.x);
          const x = new Float64Array(state.x.length);
          const v = new Float64Array(state.x.length);
          for (let i = 0; i < x.length; i++) {
            v[i] = beta * state.v[i]! - lr * clip * Math.tanh(grad[i]! / clip);
            x[i] = state.x[i]! + v[i]!;
          }
          return { x, v, step: state.step + 1, gradEvals: state.gradEvals + 1 };
        },
      };
      return optimizer as unknown as Optimizer;
    },
  };
}
