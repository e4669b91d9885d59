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
