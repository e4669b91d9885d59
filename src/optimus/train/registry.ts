import { adafacMlpDef, optimusDef, type LearnedOptimizerDef } from '../learned.ts';
import { BUILTIN_OBJECTIVE_NAMES, taskFamily } from '../objectives/index.ts';
import type { Optimizer, TaskFamily } from '../types.ts';
import { learnedSgdDef } from './learned-sgd.ts';
import { toyQuadraticFamily } from './toy-families.ts';

/**
 * What the trainer can train and on what: learned-optimizer kinds and task families
 * by the names a training config uses.
 */
export type LearnedOptimizerFactory = (architecture: Record<string, unknown>) => LearnedOptimizerDef;

export const LEARNED_OPTIMIZERS: Readonly<Record<string, LearnedOptimizerFactory>> = {
  optimus: (arch) => optimusDef(arch) as unknown as LearnedOptimizerDef,
  'adafac-mlp': (arch) => adafacMlpDef(arch) as unknown as LearnedOptimizerDef,
  'learned-sgd': (arch) => learnedSgdDef(arch) as unknown as LearnedOptimizerDef,
};

/**
 * One task family per built-in objective (named after it: 'rosenbrock', 'quadratic', …):
 * random shift, rotation, value scale and start point from the library's task families,
 * plus the trainer's own 'toy-quadratic'.
 */
export function trainingFamilies(): Record<string, TaskFamily> {
  const out: Record<string, TaskFamily> = { 'toy-quadratic': toyQuadraticFamily() };
  for (const name of BUILTIN_OBJECTIVE_NAMES) out[name] = taskFamily({ objectives: [name], name });
  return out;
}

/** Hand-designed optimizers scored next to the trained one on the held-out tasks (filled in from the library's baselines). */
export function referenceOptimizers(): Record<string, () => Optimizer> {
  return {};
}
