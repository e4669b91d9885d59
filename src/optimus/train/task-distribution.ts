import type { Rng } from '../../random.ts';
import type { Task, TaskFamily } from '../types.ts';

/** One inner task, named by what it takes to rebuild it (so a checkpoint stores three fields, not an objective). */
export interface TaskSpec {
  family: string;
  dim: number;
  seed: number;
}

/** Which families and dimensions training draws from. */
export interface TrainingTasks {
  families: string[];
  /** Inclusive range of dimensions, sampled log-uniformly (small problems are cheap and common). */
  dimRange: [number, number];
}

/** A fixed, explicitly listed set of evaluation tasks. */
export interface TaskGrid {
  families: string[];
  dims: number[];
  seeds: number[];
}

/**
 * Training task seeds are drawn at or above this value; evaluation seeds listed in a
 * config must lie below it, so no evaluation task can be a training task.
 */
export const TRAIN_SEED_BASE = 1 << 20;

export function sampleTrainingTask(rng: Rng, tasks: TrainingTasks): TaskSpec {
  const family = rng.pick(tasks.families);
  const [lo, hi] = tasks.dimRange;
  const dim = Math.min(hi, Math.floor(Math.exp(rng.uniform(Math.log(lo), Math.log(hi + 1)))));
  const seed = rng.int(TRAIN_SEED_BASE, 0x7fffffff);
  return { family, dim, seed };
}

export function expandGrid(grid: TaskGrid): TaskSpec[] {
  const out: TaskSpec[] = [];
  for (const family of grid.families) for (const dim of grid.dims) for (const seed of grid.seeds) out.push({ family, dim, seed });
  return out;
}

export function buildTask(spec: TaskSpec, families: Readonly<Record<string, TaskFamily>>): Task {
  const family = families[spec.family];
  if (!family) throw new Error(`unknown task family "${spec.family}" (known: ${Object.keys(families).join(', ')})`);
  return family.sample(spec.seed, spec.dim);
}
