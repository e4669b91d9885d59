import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../../errors.ts';
import type { Objective } from '../types.ts';
import { specMinimum, type ObjectiveSpec } from './spec.ts';

/**
 * Loads a user objective: an ES module whose default export follows DESIGN §4.1
 * ({ name, minimum?, init(dim, seed), valueAndGrad(x) }). Every way it can be wrong
 * becomes one UserError naming the file and the problem.
 */
export async function loadObjectiveModule(path: string): Promise<ObjectiveSpec> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UserError(`${path}: objective module not found`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    throw new UserError(`${path}: objective module does not load (${oneLine(err)})`);
  }
  return validateObjectiveModule(mod.default, path);
}

/** Checks the shape of a §4.1 default export (not yet its values: see `checkedObjective`). */
export function validateObjectiveModule(value: unknown, source: string): ObjectiveSpec {
  if (value === null || typeof value !== 'object') throw new UserError(`${source}: the default export must be an object { name, init, valueAndGrad, minimum? }`);
  const m = value as Record<string, unknown>;
  if (typeof m.name !== 'string' || m.name.length === 0) throw new UserError(`${source}: the default export lacks a "name" string`);
  for (const method of ['init', 'valueAndGrad'] as const) {
    if (typeof m[method] !== 'function') throw new UserError(`${source}: the default export lacks the method "${method}"`);
  }
  if (m.minimum !== undefined && typeof m.minimum !== 'number' && typeof m.minimum !== 'function') {
    throw new UserError(`${source}: "minimum" must be a number or a function of the dimension`);
  }
  const name = m.name;
  const init = m.init as (dim: number, seed: number) => unknown;
  const valueAndGrad = m.valueAndGrad as (x: Float64Array) => unknown;
  const minimum = m.minimum as ObjectiveSpec['minimum'];
  return {
    name,
    ...(minimum === undefined ? {} : { minimum }),
    init(dim, seed) {
      const x = callUser(() => init.call(m, dim, seed), source, 'init');
      return toVector(x, dim, source, `init(${dim}, ${seed})`);
    },
    valueAndGrad(x) {
      const r = callUser(() => valueAndGrad.call(m, x), source, 'valueAndGrad') as { value?: unknown; grad?: unknown } | null;
      if (r === null || typeof r !== 'object') throw new UserError(`${source}: valueAndGrad must return { value, grad }`);
      if (typeof r.value !== 'number') throw new UserError(`${source}: valueAndGrad returned a value that is not a number (${typeof r.value})`);
      return { value: r.value, grad: toVector(r.grad, x.length, source, 'valueAndGrad gradient', true) };
    },
  };
}

/**
 * Binds a spec to a dimension after probing it: the start point and the value and
 * gradient there must be finite and of the right length, and a `minimum` must be a
 * finite number. Later evaluations may still go non-finite (that is divergence, which
 * benchmarks record), but a wrong gradient length is always a UserError.
 */
export function checkedObjective(spec: ObjectiveSpec, dim: number, source: string, seed = 0): { objective: Objective; x0: Float64Array } {
  const x0 = spec.init(dim, seed);
  const probe = spec.valueAndGrad(Float64Array.from(x0));
  if (!Number.isFinite(probe.value)) throw new UserError(`${source}: valueAndGrad returned ${probe.value} at the start point (dim ${dim}, seed ${seed})`);
  for (let i = 0; i < probe.grad.length; i++) {
    if (!Number.isFinite(probe.grad[i]!)) throw new UserError(`${source}: valueAndGrad returned a gradient with ${probe.grad[i]} at index ${i} at the start point (dim ${dim})`);
  }
  let minimum: number | undefined;
  try {
    minimum = specMinimum(spec, dim);
  } catch (err) {
    throw new UserError(`${source}: minimum(${dim}) threw (${oneLine(err)})`);
  }
  if (minimum !== undefined && (typeof minimum !== 'number' || !Number.isFinite(minimum))) throw new UserError(`${source}: minimum for dim ${dim} is ${String(minimum)}, not a finite number`);
  const objective: Objective = {
    name: spec.name,
    dim,
    ...(minimum === undefined ? {} : { minimum }),
    valueAndGrad: (x) => spec.valueAndGrad(x),
  };
  return { objective, x0 };
}

function callUser(fn: () => unknown, source: string, method: string): unknown {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${source}: ${method} threw (${oneLine(err)})`);
  }
}

function toVector(value: unknown, dim: number, source: string, what: string, allowNonFinite = false): Float64Array {
  if (!(value instanceof Float64Array || value instanceof Float32Array || Array.isArray(value))) {
    throw new UserError(`${source}: ${what} must be a Float64Array or an array of numbers`);
  }
  if (value.length !== dim) throw new UserError(`${source}: ${what} has length ${value.length}, expected ${dim}`);
  const out = value instanceof Float64Array ? value : Float64Array.from(value as ArrayLike<number>);
  if (!allowNonFinite) {
    for (let i = 0; i < dim; i++) if (!Number.isFinite(out[i]!)) throw new UserError(`${source}: ${what} has ${out[i]} at index ${i}`);
  }
  return out;
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 300);
}
