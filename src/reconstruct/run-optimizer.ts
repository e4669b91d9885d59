import type { Objective, Optimizer } from '../optimus/types.ts';

/** The outcome of optimizing one window: the best point seen and its loss curve. */
export interface OptimizeResult {
  x: Float64Array;
  value: number;
  /** Value at the start point. */
  start: number;
  /** Best value after each iteration (index i = after i + 1 iterations). */
  curve: number[];
  /** Objective evaluations (line searches count each one). */
  evaluations: number;
  iterations: number;
}

/**
 * Runs `iterations` steps of a stateful optimizer, keeping the best point of every
 * evaluation it makes (line-search probes included), so a step that overshoots never
 * loses a better point and the curve is the best value so far, as DESIGN §4.4 defines it.
 */
export function runOptimizer(optimizer: Optimizer, objective: Objective, x0: Float64Array, iterations: number, scale = 1): OptimizeResult {
  let best = Infinity;
  let bestX: Float64Array = Float64Array.from(x0);
  let evaluations = 0;
  const scaled = scaledObjective(objective, x0, scale);
  const tracked: Objective = {
    name: objective.name,
    dim: objective.dim,
    valueAndGrad(z) {
      const r = scaled.valueAndGrad(z);
      evaluations++;
      if (Number.isFinite(r.value) && r.value < best) {
        best = r.value;
        bestX = scaled.toX(z);
      }
      return r;
    },
  };
  const curve: number[] = [];
  const z0 = new Float64Array(x0.length);
  let state = optimizer.init(tracked, z0);
  // Some optimizers evaluate nothing in init; the start point is always a candidate.
  if (evaluations === 0) tracked.valueAndGrad(z0);
  const start = best;
  for (let i = 0; i < iterations; i++) {
    state = optimizer.step(tracked, state);
    if (!state.x.every(Number.isFinite)) break;
    curve.push(best);
  }
  // Keep the curve length equal to the budget, so curves of windows can be summed.
  while (curve.length < iterations) curve.push(best);
  return { x: bestX, value: best, start, curve, evaluations, iterations };
}

/**
 * The objective as the optimizer sees it: z with x = x0 + scale · z. Steps of O(0.01–0.5) in z are
 * the scale learned optimizers were trained at, whatever the units of x.
 */
export function scaledObjective(objective: Objective, x0: Float64Array, scale: number): Objective & { toX(z: Float64Array): Float64Array } {
  const toX = (z: Float64Array) => x0.map((v, i) => v + scale * z[i]!);
  return {
    name: objective.name,
    dim: objective.dim,
    toX,
    valueAndGrad(z) {
      const r = objective.valueAndGrad(toX(z));
      return { value: r.value, grad: r.grad.map((g) => g * scale) };
    },
  };
}
