/**
 * The public API of the Optimus library (usable on any objective; knows nothing of humans).
 *   minimize(objective, x0, { optimizer, steps, checkpoint })   one call, equal eval budgets
 *   createOptimizer(name, …).optimizer.init / .step               for callers that own the loop
 *   optimusDef / adafacMlpDef                                      learned optimizers for meta-training
 *   loadCheckpoint / saveCheckpoint                                checkpoint files
 *   objectives: built-in functions, task families, §4.1 module loader
 *   tf / initBackend                                               the shared tfjs setup
 */
export type { Objective, Optimizer, OptimizerState, Task, TaskFamily } from './types.ts';
export { tf, initBackend, activeBackend, parseBackend, type BackendName } from './backend.ts';
export { minimize, runWithBudget, BudgetedObjective, MINIMIZE_DEFAULTS, type MinimizeOptions, type MinimizeResult } from './minimize.ts';
export { createOptimizer, parseOptimizerName, OPTIMIZER_NAMES, DEFAULT_CHECKPOINTS, type OptimizerName } from './optimizers.ts';
export { optimusDef, adafacMlpDef, learnedDef, LEARNED_KINDS, type LearnedOptimizerDef, type LearnedKind } from './learned.ts';
export { loadCheckpoint, saveCheckpoint, parseCheckpoint, makeCheckpoint, CHECKPOINT_FORMAT, type Checkpoint } from './checkpoint.ts';
export { OPTIMUS_DEFAULTS, optimusConfig, createOptimus, type OptimusConfig } from './optimus.ts';
export { ADAFAC_MLP_DEFAULTS, adafacMlpConfig, createAdafacMlp, type AdafacMlpConfig } from './baselines/adafac-mlp.ts';
export { sgd, momentum, adam } from './baselines/first-order.ts';
export { bfgs, lbfgs } from './baselines/quasi-newton.ts';
export { strongWolfeLineSearch } from './baselines/line-search.ts';
export type { LearnedState } from './learned-step.ts';
export * from './objectives/index.ts';
