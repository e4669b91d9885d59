import { adafacMlpConfig, adafacMlpLayout, createAdafacMlp, type AdafacMlpConfig } from './baselines/adafac-mlp.ts';
import { networkLayout } from './network.ts';
import { createOptimus, optimusConfig, optimusNetworkConfig, type OptimusConfig } from './optimus.ts';
import type { Optimizer } from './types.ts';

/**
 * A learned optimizer as the meta-trainer sees it: a flat vector of meta-parameters
 * (the network weights) and a way to turn any such vector into an ordinary Optimizer.
 * The optimizer's state holds only arrays, never the weights, so the trainer can step
 * one persistent inner state with different (perturbed) weights.
 */
export interface LearnedOptimizerDef<Config = Record<string, unknown>> {
  /** 'optimus' (Transformer, attention across parameters) or 'adafac-mlp' (per-parameter MLP). */
  kind: string;
  /** Architecture, stored in checkpoints; a checkpoint with another architecture is refused. */
  config: Config;
  /** Length of the flat meta-parameter vector. */
  weightCount: number;
  /** Deterministic initial weights from a seed (an untrained network that already optimizes). */
  initWeights(seed: number): Float32Array;
  /** An optimizer running with these weights. */
  create(weights: Float32Array): Optimizer;
}

export type LearnedKind = 'optimus' | 'adafac-mlp';
export const LEARNED_KINDS: readonly LearnedKind[] = ['optimus', 'adafac-mlp'];

/** Optimus (Transformer over parameters, BFGS-like rank-one preconditioner). */
export function optimusDef(config: Partial<OptimusConfig> = {}): LearnedOptimizerDef<OptimusConfig> {
  const c = optimusConfig(config);
  const layout = networkLayout(optimusNetworkConfig(c));
  return {
    kind: 'optimus',
    config: c,
    weightCount: layout.size,
    initWeights: (seed) => layout.init(seed),
    create: (weights) => createOptimus(c, weights) as unknown as Optimizer,
  };
}

/** The per-parameter Adafactor-MLP learned baseline (same features, no attention). */
export function adafacMlpDef(config: Partial<AdafacMlpConfig> = {}): LearnedOptimizerDef<AdafacMlpConfig> {
  const c = adafacMlpConfig(config);
  const layout = adafacMlpLayout(c);
  return {
    kind: 'adafac-mlp',
    config: c,
    weightCount: layout.size,
    initWeights: (seed) => layout.init(seed),
    create: (weights) => createAdafacMlp(c, weights) as unknown as Optimizer,
  };
}

/** The definition for a kind with an architecture config (e.g. read from a checkpoint). */
export function learnedDef(kind: LearnedKind, config: Record<string, unknown> = {}): LearnedOptimizerDef<OptimusConfig> | LearnedOptimizerDef<AdafacMlpConfig> {
  return kind === 'optimus' ? optimusDef(config as Partial<OptimusConfig>) : adafacMlpDef(config as Partial<AdafacMlpConfig>);
}
