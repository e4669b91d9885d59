/**
 * The optimization vocabulary of src/optimus, in the spirit of learned_optimization:
 * an Objective (what to minimise), a TaskFamily (a distribution over objectives),
 * an Optimizer (init/step, owns its state), and a LearnedOptimizer (weights → Optimizer).
 * Nothing here knows about humans.
 */

/** A differentiable objective f: R^N → R (the objective module contract of docs/optimus.md, plus the dimension). */
export interface Objective {
  name: string;
  dim: number;
  /** f* when known (for log-gap metrics). */
  minimum?: number;
  valueAndGrad(x: Float64Array): { value: number; grad: Float64Array };
}

/** A distribution over objectives: one seed gives one task (objective + start point). */
export interface TaskFamily {
  name: string;
  sample(seed: number, dim?: number): Task;
}

export interface Task {
  objective: Objective;
  x0: Float64Array;
}

/** State an optimizer carries between steps; each optimizer extends it. */
export interface OptimizerState {
  x: Float64Array;
  step: number;
  /** Number of objective evaluations used so far (line searches count every one). */
  gradEvals: number;
}

/**
 * A stateful optimizer. `step` may evaluate the objective several times
 * (line searches); it returns the new state and the value at the new point when known.
 */
export interface Optimizer<S extends OptimizerState = OptimizerState> {
  name: string;
  init(objective: Objective, x0: Float64Array): S;
  step(objective: Objective, state: S): S;
}
