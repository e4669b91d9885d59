import { UserError } from '../../errors.ts';
import { ackley, dixonPrice, griewank, levy, perm, powell, quadratic, rastrigin, rosenbrock } from './functions.ts';
import type { ObjectiveSpec } from './spec.ts';

/** The built-in objectives by name (the names `bench --objectives` accepts). */
export const BUILTIN_OBJECTIVES: Readonly<Record<string, ObjectiveSpec>> = Object.fromEntries(
  [rosenbrock, rastrigin, ackley, levy, griewank, dixonPrice, powell, perm, quadratic].map((s) => [s.name, s]),
);

export const BUILTIN_OBJECTIVE_NAMES: readonly string[] = Object.keys(BUILTIN_OBJECTIVES);

/** Looks up a built-in objective, refusing unknown names with the list of known ones. */
export function getObjective(name: string): ObjectiveSpec {
  const spec = BUILTIN_OBJECTIVES[name];
  if (!spec) throw new UserError(`unknown objective "${name}" (built-in: ${BUILTIN_OBJECTIVE_NAMES.join(', ')}; or pass --objective path/to/module.mjs)`);
  return spec;
}
