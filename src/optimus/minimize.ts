import { UserError } from '../errors.ts';
import { initBackend, type BackendName } from './backend.ts';
import { TFJS_MIN_TOKENS } from './network.ts';
import { createOptimizer, type OptimizerName } from './optimizers.ts';
import type { Objective, Optimizer, OptimizerState } from './types.ts';

/**
 * One entry point for every optimizer: minimize(objective, x0, { optimizer, steps }).
 * `steps` is a budget of gradient evaluations (the start point counts, and so does
 * every line-search evaluation), so different optimizers compare at equal cost.
 * Callers that own the loop use the optimizer's init/step directly (createOptimizer).
 */
export interface MinimizeOptions {
  optimizer: OptimizerName | Optimizer;
  /** Budget of gradient evaluations. */
  steps: number;
  /** Checkpoint of a learned optimizer (default: the trained one in models/, when present). */
  checkpoint?: string;
  /** Learning rate of sgd / momentum / adam. */
  learningRate?: number;
  /** tfjs backend for the learned optimizers' large-N path. */
  backend?: BackendName;
  /** Called after each optimizer step with the state (e.g. for progress). */
  onStep?: (state: OptimizerState) => void;
}

export const MINIMIZE_DEFAULTS = { steps: 200, backend: 'wasm' as BackendName };

export interface MinimizeResult {
  /** Best point found and its value. */
  x: Float64Array;
  value: number;
  /** Where the optimizer ended (may differ from the best point). */
  finalX: Float64Array;
  finalValue: number;
  gradEvals: number;
  steps: number;
  /** Best value after each gradient evaluation (length = gradEvals). */
  curve: number[];
  /** True when an evaluation returned a non-finite value. */
  diverged: boolean;
  /** Learned optimizers: trained weights (true) or random initialisation (false); null otherwise. */
  trained: boolean | null;
  checkpoint: string | null;
  /** Learned optimizers: steps where the safe fallback replaced a non-finite step. */
  fallbackSteps: number;
  wallMs: number;
}

class BudgetExhausted extends Error {}

/** Wraps an objective to count evaluations, stop at the budget and record the best point. */
export class BudgetedObjective implements Objective {
  readonly name: string;
  readonly dim: number;
  readonly minimum?: number;
  evals = 0;
  bestValue = Infinity;
  bestX: Float64Array;
  diverged = false;
  readonly curve: number[] = [];

  constructor(private readonly inner: Objective, private readonly budget: number, x0: Float64Array) {
    this.name = inner.name;
    this.dim = inner.dim;
    if (inner.minimum !== undefined) this.minimum = inner.minimum;
    this.bestX = Float64Array.from(x0);
  }

  valueAndGrad(x: Float64Array): { value: number; grad: Float64Array } {
    if (this.evals >= this.budget) throw new BudgetExhausted();
    const r = this.inner.valueAndGrad(x);
    if (r.grad.length !== this.dim) throw new UserError(`${this.name}: gradient has length ${r.grad.length}, expected ${this.dim}`);
    this.evals++;
    if (!Number.isFinite(r.value)) this.diverged = true;
    else if (r.value < this.bestValue) {
      this.bestValue = r.value;
      this.bestX = Float64Array.from(x);
    }
    this.curve.push(this.bestValue);
    return r;
  }
}

/**
 * Runs an optimizer until the budget of gradient evaluations is spent (synchronous;
 * `minimize` is the async front door that also prepares the tfjs backend).
 */
export function runWithBudget(optimizer: Optimizer, objective: Objective, x0: Float64Array, budget: number, onStep?: (s: OptimizerState) => void) {
  if (x0.length !== objective.dim) throw new UserError(`${objective.name}: start point has length ${x0.length}, expected ${objective.dim}`);
  const counted = new BudgetedObjective(objective, budget, x0);
  const t0 = performance.now();
  let state: OptimizerState | null = null;
  let steps = 0;
  try {
    state = optimizer.init(counted, x0);
    while (counted.evals < budget) {
      const next: OptimizerState = optimizer.step(counted, state);
      steps++;
      const stalled = next.gradEvals === state.gradEvals;
      state = next;
      onStep?.(state);
      if (stalled) break; // converged: a line search found no descent direction
    }
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
  }
  const s = state as (OptimizerState & { value?: number; fallbackSteps?: number }) | null;
  return {
    counted,
    state: s,
    steps,
    wallMs: performance.now() - t0,
    finalX: s ? Float64Array.from(s.x) : Float64Array.from(x0),
    finalValue: s?.value ?? counted.bestValue,
    fallbackSteps: s?.fallbackSteps ?? 0,
  };
}

export async function minimize(objective: Objective, x0: Float64Array, options: Partial<MinimizeOptions> & Pick<MinimizeOptions, 'optimizer'>): Promise<MinimizeResult> {
  const o = { ...MINIMIZE_DEFAULTS, ...options };
  if (!Number.isInteger(o.steps) || o.steps <= 0) throw new UserError(`steps must be a positive integer, got ${o.steps}`);
  let optimizer: Optimizer;
  let trained: boolean | null = null;
  let checkpoint: string | null = null;
  if (typeof o.optimizer === 'string') {
    const choice = createOptimizer(o.optimizer, {
      ...(o.checkpoint === undefined ? {} : { checkpoint: o.checkpoint }),
      ...(o.learningRate === undefined ? {} : { learningRate: o.learningRate }),
    });
    ({ optimizer, trained, checkpoint } = choice);
    // tfjs is only used by Optimus's large-N path (or when a backend is asked for).
    if (o.optimizer === 'optimus' && (options.backend !== undefined || objective.dim >= TFJS_MIN_TOKENS.wasm!)) await initBackend(o.backend);
  } else {
    optimizer = o.optimizer;
  }
  const r = runWithBudget(optimizer, objective, x0, o.steps, o.onStep);
  return {
    x: r.counted.bestX,
    value: r.counted.bestValue,
    finalX: r.finalX,
    finalValue: r.finalValue,
    gradEvals: r.counted.evals,
    steps: r.steps,
    curve: r.counted.curve,
    diverged: r.counted.diverged,
    trained,
    checkpoint,
    fallbackSteps: r.fallbackSteps,
    wallMs: r.wallMs,
  };
}
