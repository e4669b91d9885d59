import { UserError } from '../errors.ts';
import { optimusDef } from '../optimus/learned.ts';
import type { Optimizer } from '../optimus/types.ts';

/**
 * Optimizers by the names of the `--optimizer` flag, built from src/optimus.
 */
export interface OptimizerChoice {
  seed: number;
  dim: number;
}

export const OPTIMIZER_NAMES = ['optimus'] as const;

export function createOptimizer(name: string, choice: OptimizerChoice): Optimizer {
  switch (name) {
    case 'optimus': {
      const def = optimusDef();
      return def.create(def.initWeights(choice.seed));
    }
    default:
      throw new UserError(`unknown optimizer "${name}" (choose one of: ${OPTIMIZER_NAMES.join(', ')})`);
  }
}
