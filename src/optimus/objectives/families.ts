import { UserError } from '../../errors.ts';
import { Rng, mixSeed } from '../../random.ts';
import type { Objective, Task, TaskFamily } from '../types.ts';
import { applyReflections, householderVectors } from './functions.ts';
import { BUILTIN_OBJECTIVE_NAMES, getObjective } from './registry.ts';
import { specMinimum, type ObjectiveSpec } from './spec.ts';

/**
 * Task families: a seed picks a base function and a dimension, then moves its minimiser
 * (shift), turns it (a few random Householder reflections, O(N·k) per evaluation, never
 * an N×N matrix) and scales its values. The task is
 *   f_task(y) = scale · f(Q (y − c) + x*),  minimised at y = c with f* = scale · f(x*),
 * and its start point is the base function's seeded start mapped the same way.
 */
export interface TaskFamilyOptions {
  /** Base functions (built-in names or specs with an `argmin`). */
  objectives: readonly (string | ObjectiveSpec)[];
  /** Dimension range [min, max] sampled uniformly when `sample` gets no dimension. */
  dims: readonly [number, number];
  /** Standard deviation of the shift c of the minimiser. */
  shiftScale: number;
  /** Number of random Householder reflections in the rotation (0 = none). */
  reflections: number;
  /** log10 of the value scale is uniform in this range. */
  logScaleRange: readonly [number, number];
  /** Family name (for logs and checkpoints' provenance). */
  name: string;
}

export const TASK_FAMILY_DEFAULTS: TaskFamilyOptions = {
  objectives: BUILTIN_OBJECTIVE_NAMES,
  dims: [2, 32],
  shiftScale: 1,
  reflections: 3,
  logScaleRange: [-1, 1],
  name: 'builtin-mix',
};

/** A seeded transformed instance of a base function at one dimension. */
export function transformedTask(spec: ObjectiveSpec, dim: number, seed: number, options: Partial<TaskFamilyOptions> = {}): Task {
  const o = { ...TASK_FAMILY_DEFAULTS, ...options };
  if (!spec.argmin) throw new UserError(`objective "${spec.name}" has no known minimiser, so it cannot be shifted in a task family`);
  if (dim < (spec.minDim ?? 1)) throw new UserError(`objective "${spec.name}" needs dimension ≥ ${spec.minDim}, got ${dim}`);
  const rng = new Rng(mixSeed(seed, 0x7a5c));
  const xStar = spec.argmin(dim);
  const shift = new Float64Array(dim);
  for (let i = 0; i < dim; i++) shift[i] = o.shiftScale * rng.normal();
  const vs = householderVectors(dim, o.reflections, rng.int(0, 2 ** 31));
  const scale = 10 ** rng.uniform(o.logScaleRange[0], o.logScaleRange[1]);
  const baseMin = specMinimum(spec, dim);

  const objective: Objective = {
    name: `${spec.name}/d${dim}/s${seed}`,
    dim,
    ...(baseMin === undefined ? {} : { minimum: scale * baseMin }),
    valueAndGrad(y) {
      const d = new Float64Array(dim);
      for (let i = 0; i < dim; i++) d[i] = y[i]! - shift[i]!;
      const z = applyReflections(vs, d, false);
      for (let i = 0; i < dim; i++) z[i]! += xStar[i]!;
      const r = spec.valueAndGrad(z);
      const g = applyReflections(vs, r.grad, true);
      for (let i = 0; i < dim; i++) g[i]! *= scale;
      return { value: scale * r.value, grad: g };
    },
  };
  const z0 = spec.init(dim, mixSeed(seed, 0x1417));
  for (let i = 0; i < dim; i++) z0[i]! -= xStar[i]!;
  const x0 = applyReflections(vs, z0, true);
  for (let i = 0; i < dim; i++) x0[i]! += shift[i]!;
  return { objective, x0 };
}

/** A task family over built-in (or given) functions; `sample(seed, dim?)` is deterministic. */
export function taskFamily(options: Partial<TaskFamilyOptions> = {}): TaskFamily {
  const o = { ...TASK_FAMILY_DEFAULTS, ...options };
  const specs = o.objectives.map((s) => (typeof s === 'string' ? getObjective(s) : s));
  if (specs.length === 0) throw new UserError('a task family needs at least one objective');
  const [lo, hi] = o.dims;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) throw new UserError(`task family dims must be integers 1 ≤ min ≤ max, got [${lo}, ${hi}]`);
  return {
    name: o.name,
    sample(seed: number, dim?: number): Task {
      const rng = new Rng(mixSeed(seed, 0xfa11));
      const spec = rng.pick(specs);
      const n = Math.max(dim ?? rng.int(lo, hi), spec.minDim ?? 1);
      return transformedTask(spec, n, seed, o);
    },
  };
}
