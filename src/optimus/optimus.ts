import { FEATURE_DEFAULTS, featureCount, type FeatureConfig } from './features.ts';
import { initLearnedState, learnedStep, type LearnedState } from './learned-step.ts';
import { NETWORK_DEFAULTS, bindNetwork, forward, type ForwardImpl, type NetworkConfig } from './network.ts';
import { applyPreconditioner, pushRankOne } from './preconditioner.ts';
import type { Optimizer } from './types.ts';

/**
 * Optimus (Gärtner et al., CVPR 2023): a Transformer over the parameters proposes a
 * rank-one vector u, a direction d and a step length α; the update is BFGS-like,
 *   B_{k+1} = B_k + u_k u_kᵀ (B_0 = I),   x_{k+1} = x_k − α_k B_{k+1} d_k.
 * Conditioning is kept in check by construction: u = uScale · tanh(u_raw) / √N, so
 * ‖u‖ ≤ uScale; old terms decay by `decay` per step and at most `memory` are kept.
 * With its zero-initialised heads the untrained network takes Adam's step
 * d = m̂/(√v̂ + ε), α = baseStep, B = I, so meta-training starts from an optimizer.
 */
export interface OptimusConfig {
  features: FeatureConfig;
  network: Omit<NetworkConfig, 'inputs'>;
  /** Rank-one terms kept in B. */
  memory: number;
  /** Per-step decay of older rank-one terms. */
  decay: number;
  /** Bound on ‖u‖. */
  uScale: number;
  /** α at α_raw = 0 (and the fallback step size). */
  baseStep: number;
  /** α_raw is clipped to ±alphaRange before exp, so one step never explodes. */
  alphaRange: number;
}

export const OPTIMUS_DEFAULTS: OptimusConfig = {
  features: FEATURE_DEFAULTS,
  network: NETWORK_DEFAULTS,
  memory: 8,
  decay: 0.9,
  uScale: 1,
  baseStep: 0.03,
  alphaRange: 8,
};

export function optimusConfig(partial: Partial<OptimusConfig> = {}): OptimusConfig {
  return {
    ...OPTIMUS_DEFAULTS,
    ...partial,
    features: { ...OPTIMUS_DEFAULTS.features, ...partial.features },
    network: { ...OPTIMUS_DEFAULTS.network, ...partial.network },
  };
}

export function optimusNetworkConfig(c: OptimusConfig): NetworkConfig {
  return { ...c.network, inputs: featureCount(c.features) };
}

export type OptimusState = LearnedState;

export interface OptimusOptions {
  /** Which forward implementation to run ('auto' picks by N). */
  impl?: ForwardImpl;
}

/** An Optimus optimizer running with the given flat weights. */
export function createOptimus(config: OptimusConfig, weights: Float32Array, options: OptimusOptions = {}): Optimizer<OptimusState> {
  const net = bindNetwork(optimusNetworkConfig(config), weights);
  return {
    name: 'optimus',
    init: (objective, x0) => initLearnedState(objective, x0, config.features),
    step: (objective, state) =>
      learnedStep(objective, state, config.features, config.baseStep, (tokens, _width, adamDirection, s) => {
        const n = s.x.length;
        const out = forward(net, tokens, n, options.impl);
        const uNorm = config.uScale / Math.sqrt(n);
        const u = out.uRaw.map((r) => uNorm * Math.tanh(r));
        const d = adamDirection.map((a, i) => a + out.dRaw[i]!);
        const alpha = config.baseStep * Math.exp(Math.max(-config.alphaRange, Math.min(config.alphaRange, out.alphaRaw)));
        const memory = pushRankOne(s.memory, u, config.memory, config.decay);
        const p = applyPreconditioner(memory, d);
        return { delta: p.map((e) => alpha * e), memory };
      }),
  };
}
