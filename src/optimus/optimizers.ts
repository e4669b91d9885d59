import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { adam, momentum, sgd } from './baselines/first-order.ts';
import { bfgs, lbfgs } from './baselines/quasi-newton.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { adafacMlpDef, optimusDef, type LearnedKind } from './learned.ts';
import type { OptimusConfig } from './optimus.ts';
import type { Optimizer } from './types.ts';

/**
 * The one optimizer registry: every optimizer by name, as `minimize`, `bench --optimizers`
 * and the reconstruction's `--optimizer` accept them.
 */
export const OPTIMIZER_NAMES = ['optimus', 'adafac-mlp', 'adam', 'sgd', 'momentum', 'bfgs', 'lbfgs'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Optimizers with a learning rate that benchmarks tune per objective family. */
export const TUNABLE_OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd', 'momentum'];

export function parseOptimizerName(name: string): OptimizerName {
  if ((OPTIMIZER_NAMES as readonly string[]).includes(name)) return name as OptimizerName;
  throw new UserError(`unknown optimizer "${name}" (choose from: ${OPTIMIZER_NAMES.join(', ')})`);
}

/** Project root (this file is src/optimus/optimizers.ts). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The trained checkpoints shipped in models/, used when no checkpoint is given. */
export const DEFAULT_CHECKPOINTS: Record<LearnedKind, string> = {
  optimus: resolve(ROOT, 'models/optimus-bench.json'),
  'adafac-mlp': resolve(ROOT, 'models/adafac-mlp-bench.json'),
};

/** An optimizer as built, with where its weights came from. */
export interface CreatedOptimizer {
  optimizer: Optimizer;
  /** Learned optimizers: whether weights came from a checkpoint (false = random initialisation). */
  trained: boolean | null;
  /** The checkpoint file used, if any. */
  checkpoint: string | null;
}

export interface CreateOptimizerOptions {
  /** Checkpoint for a learned optimizer (default: the shipped one in models/, if present). */
  checkpoint?: string;
  /** Learning rate of sgd / momentum / adam (their DEFAULTS otherwise). */
  learningRate?: number;
  /** Seed of the random initialisation when no checkpoint exists. */
  initSeed?: number;
  /** Optimus: prior settings that replace the checkpoint's (the weights are kept). */
  optimusPrior?: Partial<Pick<OptimusConfig, 'diagonalBlend' | 'firstStep'>>;
}

/** Untrained weights per kind and seed: initialising them costs more than a short run. */
const untrained = new Map<string, Float32Array>();

/** Builds an optimizer by name; a given checkpoint must exist and fit, else UserError. */
export function createOptimizer(name: OptimizerName | string, options: CreateOptimizerOptions = {}): CreatedOptimizer {
  const n = parseOptimizerName(name);
  const lr = options.learningRate === undefined ? {} : { learningRate: options.learningRate };
  switch (n) {
    case 'adam':
      return { optimizer: adam(lr) as unknown as Optimizer, trained: null, checkpoint: null };
    case 'sgd':
      return { optimizer: sgd(lr) as unknown as Optimizer, trained: null, checkpoint: null };
    case 'momentum':
      return { optimizer: momentum(lr) as unknown as Optimizer, trained: null, checkpoint: null };
    case 'bfgs':
      return { optimizer: bfgs() as unknown as Optimizer, trained: null, checkpoint: null };
    case 'lbfgs':
      return { optimizer: lbfgs() as unknown as Optimizer, trained: null, checkpoint: null };
    case 'optimus':
    case 'adafac-mlp': {
      const path = options.checkpoint ?? (existsSync(DEFAULT_CHECKPOINTS[n]) ? DEFAULT_CHECKPOINTS[n] : null);
      const prior = n === 'optimus' ? options.optimusPrior : undefined;
      if (path) {
        const { def, weights } = loadCheckpoint(path, n);
        const trained = prior ? optimusDef({ ...(def.config as OptimusConfig), ...prior }) : def;
        return { optimizer: trained.create(weights), trained: true, checkpoint: path };
      }
      const def = n === 'optimus' ? optimusDef(prior) : adafacMlpDef();
      const key = `${n}:${options.initSeed ?? 0}`;
      if (!untrained.has(key)) untrained.set(key, def.initWeights(options.initSeed ?? 0));
      return { optimizer: def.create(untrained.get(key)!), trained: false, checkpoint: null };
    }
  }
}
