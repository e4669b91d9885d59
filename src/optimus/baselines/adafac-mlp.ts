import { FEATURE_DEFAULTS, featureCount, type FeatureConfig } from '../features.ts';
import { initLearnedState, learnedStep, type LearnedState } from '../learned-step.ts';
import type { Optimizer } from '../types.ts';
import { norm } from '../vector.ts';
import { WeightLayout, linearRows } from '../weights.ts';

/**
 * The per-parameter learned baseline (Adafactor-MLP style, Metz et al. 2022): the same
 * features as Optimus, but a small MLP applied to each parameter on its own (no
 * attention, no preconditioner). Outputs a direction d_raw and a log-magnitude m per
 * parameter; step_i = baseStep · exp(magScale · m_i) · (adam_i + r · d_raw_i), where r is
 * RMS(adam) ('adam-rms') or 1 ('absolute'). Zero output layer ⇒ the untrained network is
 * Adam with learning rate baseStep.
 */
export interface AdafacMlpConfig {
  features: FeatureConfig;
  hidden: number;
  layers: number;
  baseStep: number;
  /** Scale of the log-magnitude output (as `exp_mult` in learned_optimization). */
  magScale: number;
  /** The log-magnitude is clipped to ±magRange. */
  magRange: number;
  /**
   * Units of d_raw. Its inputs are normalised across parameters, so d_raw stays O(|w|) as f
   * converges: 'absolute' adds it as is, a step that never vanishes and floors the gap
   * (docs/notebook/optimus-rounds.md); 'adam-rms' scales it by RMS(adam), which shrinks
   * with Adam's own step.
   */
  directionUnits: 'adam-rms' | 'absolute';
}

export const ADAFAC_MLP_DEFAULTS: AdafacMlpConfig = {
  features: FEATURE_DEFAULTS,
  hidden: 32,
  layers: 2,
  baseStep: 0.03,
  magScale: 1,
  magRange: 8,
  directionUnits: 'adam-rms',
};

export function adafacMlpConfig(partial: Partial<AdafacMlpConfig> = {}): AdafacMlpConfig {
  return { ...ADAFAC_MLP_DEFAULTS, ...partial, features: { ...ADAFAC_MLP_DEFAULTS.features, ...partial.features } };
}

export function adafacMlpLayout(c: AdafacMlpConfig): WeightLayout {
  const L = new WeightLayout();
  let inDim = featureCount(c.features);
  for (let l = 0; l < c.layers; l++) {
    L.add(`h${l}.w`, [inDim, c.hidden], 'glorot');
    L.add(`h${l}.b`, [c.hidden], 'zeros');
    inDim = c.hidden;
  }
  L.add('out.w', [inDim, 2], 'zeros');
  L.add('out.b', [2], 'zeros');
  return L;
}

/** The per-token MLP: tokens (N × F) → [d_raw, m] per token. */
export function adafacMlpForward(c: AdafacMlpConfig, w: Record<string, Float64Array>, tokens: Float32Array, n: number): Float64Array {
  let h: Float64Array = Float64Array.from(tokens);
  let inDim = featureCount(c.features);
  for (let l = 0; l < c.layers; l++) {
    const z = linearRows(h, n, inDim, w[`h${l}.w`]!, w[`h${l}.b`]!, c.hidden);
    for (let i = 0; i < z.length; i++) if (z[i]! < 0) z[i] = 0;
    h = z;
    inDim = c.hidden;
  }
  return linearRows(h, n, inDim, w['out.w']!, w['out.b']!, 2);
}

export function createAdafacMlp(config: AdafacMlpConfig, weights: Float32Array): Optimizer<LearnedState> {
  const typed = adafacMlpLayout(config).unpack(weights);
  return {
    name: 'adafac-mlp',
    init: (objective, x0) => initLearnedState(objective, x0, config.features),
    step: (objective, state) =>
      learnedStep(objective, state, config.features, config.baseStep, (tokens, _width, adam, s) => {
        const n = s.x.length;
        const out = adafacMlpForward(config, typed, tokens, n);
        const delta = new Float64Array(n);
        const units = config.directionUnits === 'adam-rms' ? norm(adam) / Math.sqrt(Math.max(1, n)) : 1;
        for (let i = 0; i < n; i++) {
          const mag = Math.max(-config.magRange, Math.min(config.magRange, config.magScale * out[2 * i + 1]!));
          delta[i] = config.baseStep * Math.exp(mag) * (adam[i]! + units * out[2 * i]!);
        }
        return { delta, memory: s.memory };
      }),
  };
}
