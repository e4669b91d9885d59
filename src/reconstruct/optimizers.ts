import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOptimizer as createRegistered, parseOptimizerName, type CreateOptimizerOptions } from '../optimus/optimizers.ts';
import type { Optimizer } from '../optimus/types.ts';

/** The registry's names, re-exported for callers that only know the reconstruction. */
export { OPTIMIZER_NAMES, parseOptimizerName, type OptimizerName } from '../optimus/optimizers.ts';

/**
 * What the reconstruction adds to the optimizer registry of src/optimus: which checkpoint
 * its stages load (models/<name>.json, else models/<name>-bench.json; untrained weights,
 * which start as an Adam step, when neither is there — `describeOptimizer` says which).
 */
export interface StageOptimizerOptions {
  /** Seed of the untrained weights (used only when no checkpoint is there). */
  seed: number;
  /** The problem's dimension (informative: every optimizer here works in any dimension). */
  dim?: number;
  /** Learning rate of the first-order baselines (tuned per stage by the caller; 0 = their default). */
  learningRate?: number;
  /** Checkpoint file of a learned optimizer (default: models/<name>.json, then models/<name>-bench.json). */
  checkpoint?: string;
  optimusPrior?: CreateOptimizerOptions['optimusPrior'];
}

const MODELS = resolve(dirname(fileURLToPath(import.meta.url)), '../../models');

/** The checkpoint a learned optimizer would load, or null (untrained weights). */
export function learnedCheckpointPath(name: 'optimus' | 'adafac-mlp', explicit?: string): string | null {
  if (explicit) return explicit;
  for (const f of [`${name}.json`, `${name}-bench.json`]) {
    const p = resolve(MODELS, f);
    if (existsSync(p)) return p;
  }
  return null;
}

/** A stage's optimizer: the registry's, with the checkpoint the reconstruction loads. */
export function stageOptimizer(name: string, options: StageOptimizerOptions): Optimizer {
  const n = parseOptimizerName(name);
  const learned = n === 'optimus' || n === 'adafac-mlp';
  const checkpoint = learned ? learnedCheckpointPath(n, options.checkpoint) : null;
  return createRegistered(n, {
    ...(checkpoint ? { checkpoint } : {}),
    ...(options.learningRate ? { learningRate: options.learningRate } : {}),
    initSeed: options.seed,
    ...(options.optimusPrior ? { optimusPrior: options.optimusPrior } : {}),
  }).optimizer;
}

/** "optimus (models/optimus.json)" or "optimus (untrained)": recorded in reports. */
export function describeOptimizer(name: string, checkpoint?: string): string {
  if (name !== 'optimus' && name !== 'adafac-mlp') return name;
  const p = learnedCheckpointPath(name, checkpoint);
  return p ? `${name} (${p.replace(/^.*\/models\//, 'models/')})` : `${name} (untrained)`;
}
