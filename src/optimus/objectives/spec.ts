import type { Objective } from '../types.ts';

/**
 * An objective defined for every dimension: the objective module contract (docs/optimus.md, "Using it").
 * Built-in functions and user modules share this shape, so `bench` and task families
 * treat them alike.
 */
export interface ObjectiveSpec {
  name: string;
  /** f* when known, for log-gap metrics. */
  minimum?: number | ((dim: number) => number);
  /** Deterministic start point for a dimension and a seed. */
  init(dim: number, seed: number): Float64Array;
  /** Value and gradient; the dimension is x.length. */
  valueAndGrad(x: Float64Array): { value: number; grad: Float64Array };
  /** A known minimiser (built-ins only); task families shift it around. */
  argmin?(dim: number): Float64Array;
  /** Smallest dimension the function is defined for (default 1). */
  minDim?: number;
}

/** f* of a spec at a dimension, or undefined when unknown. */
export function specMinimum(spec: ObjectiveSpec, dim: number): number | undefined {
  const m = spec.minimum;
  return typeof m === 'function' ? m(dim) : m;
}

/** Binds a spec to one dimension, giving the Objective the optimizers work on. */
export function objectiveAt(spec: ObjectiveSpec, dim: number): Objective {
  const minimum = specMinimum(spec, dim);
  return {
    name: spec.name,
    dim,
    ...(minimum === undefined ? {} : { minimum }),
    valueAndGrad: (x) => spec.valueAndGrad(x),
  };
}
