import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { adam, momentum, sgd } from '../optimus/baselines/first-order.ts';
import { bfgs, lbfgs } from '../optimus/baselines/quasi-newton.ts';
import { loadCheckpoint } from '../optimus/checkpoint.ts';
import { adafacMlpDef, optimusDef } from '../optimus/learned.ts';
import type { OptimusConfig } from '../optimus/optimus.ts';
import type { Optimizer } from '../optimus/types.ts';

/**
 * Optimizers by the names of the `--optimizer` flag, built from src/optimus. The learned
 * ones load the project's trained checkpoint from models/ when it is there (otherwise
 * their untrained network, which starts as an Adam step; `describeOptimizer` says which).
 */
export const OPTIMIZER_NAMES = ['optimus', 'adam', 'lbfgs', 'bfgs', 'sgd', 'momentum', 'adafac-mlp'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerChoice {
  seed: number;
  dim: number;
  /** Learning rate of the first-order baselines (tuned per stage by the caller). */
  learningRate?: number;
  /** Checkpoint file of a learned optimizer (default: models/<name>.json, then models/<name>-bench.json). */
  checkpoint?: string;
  /** Optimus: prior settings that replace the checkpoint's (the weights are kept). */
  optimusPrior?: Partial<Pick<OptimusConfig, 'diagonalBlend'>>;
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

const loaded = new Map<string, Float32Array>();

export function parseOptimizerName(value: string): OptimizerName {
  if ((OPTIMIZER_NAMES as readonly string[]).includes(value)) return value as OptimizerName;
  throw new UserError(`unknown optimizer "${value}" (choose one of: ${OPTIMIZER_NAMES.join(', ')})`);
}

export function createOptimizer(name: string, choice: OptimizerChoice): Optimizer {
  const n = parseOptimizerName(name);
  const lr = choice.learningRate;
  switch (n) {
    case 'adam': return adam(lr ? { learningRate: lr } : {});
    case 'sgd': return sgd(lr ? { learningRate: lr } : {});
    case 'momentum': return momentum(lr ? { learningRate: lr } : {});
    case 'lbfgs': return lbfgs();
    case 'bfgs': return bfgs();
    case 'optimus':
    case 'adafac-mlp': {
      const path = learnedCheckpointPath(n, choice.checkpoint);
      if (path) {
        const { def, weights } = loadCheckpoint(path, n);
        if (n === 'optimus' && choice.optimusPrior) return optimusDef({ ...(def.config as OptimusConfig), ...choice.optimusPrior }).create(weights);
        return def.create(weights);
      }
      const def = n === 'optimus' ? optimusDef(choice.optimusPrior) : adafacMlpDef();
      const key = `${n}:${choice.seed}`;
      if (!loaded.has(key)) loaded.set(key, def.initWeights(choice.seed));
      return def.create(loaded.get(key)!);
    }
  }
}

/** "optimus (models/optimus.json)" or "optimus (untrained)": recorded in reports. */
export function describeOptimizer(name: string, checkpoint?: string): string {
  if (name !== 'optimus' && name !== 'adafac-mlp') return name;
  const p = learnedCheckpointPath(name, checkpoint);
  return p ? `${name} (${p.replace(/^.*\/models\//, 'models/')})` : `${name} (untrained)`;
}
