import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../optimus/checkpoint.ts';
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
  /** The stage's own Optimus checkpoint, used unless `checkpoint` or reconstruct --checkpoint chose one. */
  stageDefault?: string;
  optimusPrior?: CreateOptimizerOptions['optimusPrior'];
}

const MODELS = resolve(dirname(fileURLToPath(import.meta.url)), '../../models');

/** The checkpoint a learned optimizer would load, or null (untrained weights). */
export function learnedCheckpointPath(name: 'optimus' | 'adafac-mlp', explicit?: string, stageDefault?: string): string | null {
  if (explicit) return explicit;
  if (name === 'optimus' && chosenCheckpoint) return chosenCheckpoint;
  if (name === 'optimus' && stageDefault) return resolve(MODELS, '..', stageDefault);
  for (const f of [`${name}.json`, `${name}-bench.json`]) {
    const p = resolve(MODELS, f);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Builds a stage's optimizer in place of the registry's (null: the registry's), e.g. to capture the stage's window objectives. */
export type StageOptimizerHook = (name: string, options: StageOptimizerOptions) => Optimizer | null;

let hook: StageOptimizerHook | null = null;

/**
 * Runs `body` with every stage optimizer built by `h` where it returns one: window-tasks-physics.ts
 * takes the physics stage's window objectives this way, through the stage's public entry point.
 */
export async function withStageOptimizerHook<T>(h: StageOptimizerHook, body: () => Promise<T>): Promise<T> {
  if (hook) throw new Error('a stage optimizer hook is already active');
  hook = h;
  try {
    return await body();
  } finally {
    hook = null;
  }
}

/** The checkpoint this process's stages load for Optimus (reconstruct --checkpoint), or null: the default. */
let chosenCheckpoint: string | null = null;

/** Makes `path` (a loadable Optimus checkpoint) the one every stage's Optimus loads; null restores the default. */
export function chooseStageCheckpoint(path: string | null): void {
  if (path !== null) loadCheckpoint(path, 'optimus');
  chosenCheckpoint = path === null ? null : resolve(path);
}

/** A stage's optimizer: the registry's, with the checkpoint the reconstruction loads. */
export function stageOptimizer(name: string, options: StageOptimizerOptions): Optimizer {
  const hooked = hook?.(name, options);
  return hooked ?? registryOptimizer(name, options);
}

/** The registry's optimizer with the reconstruction's checkpoint lookup (no hook). */
export function registryOptimizer(name: string, options: StageOptimizerOptions): Optimizer {
  const n = parseOptimizerName(name);
  const learned = n === 'optimus' || n === 'adafac-mlp';
  const checkpoint = learned ? learnedCheckpointPath(n, options.checkpoint, options.stageDefault) : null;
  return createRegistered(n, {
    ...(checkpoint ? { checkpoint } : {}),
    ...(options.learningRate ? { learningRate: options.learningRate } : {}),
    initSeed: options.seed,
    ...(options.optimusPrior ? { optimusPrior: options.optimusPrior } : {}),
  }).optimizer;
}

/** "optimus (models/optimus-bench.json sha256:1a2b3c4d5e6f7a8b)" or "optimus (untrained)": recorded in reports. */
export function describeOptimizer(name: string, checkpoint?: string, stageDefault?: string): string {
  if (name !== 'optimus' && name !== 'adafac-mlp') return name;
  const p = learnedCheckpointPath(name, checkpoint, stageDefault);
  return p ? `${name} (${p.replace(/^.*\/models\//, 'models/')} sha256:${fileHash(p)})` : `${name} (untrained)`;
}

/** First 16 hex digits of a file's SHA-256: which checkpoint bytes ran. */
function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}
