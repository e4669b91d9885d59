import { checkedObjective } from '../objectives/module.ts';
import type { ObjectiveSpec } from '../objectives/spec.ts';
import { runWithBudget } from '../minimize.ts';
import { createOptimizer, type OptimizerName } from '../optimizers.ts';

/**
 * Learning-rate tuning for the first-order baselines, per objective family (one rate
 * for all dimensions of an objective), on tuning seeds disjoint from the evaluation
 * seeds: each rate of a log grid runs the full budget, and the one with the lowest mean
 * log10 gap wins (gap to f* when known, else to the lowest value any rate reached).
 */
export const LEARNING_RATE_GRID = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1];

/** Tuning seeds start here; evaluation seeds are 0 … seeds − 1. */
export const TUNING_SEED_BASE = 1_000_000;

export interface TuneOptions {
  dims: number[];
  steps: number;
  tuningSeeds: number;
  grid: number[];
}

export const TUNE_DEFAULTS: TuneOptions = { dims: [2, 10], steps: 200, tuningSeeds: 2, grid: LEARNING_RATE_GRID };

export function tuningSeeds(count: number): number[] {
  return Array.from({ length: count }, (_, k) => TUNING_SEED_BASE + k);
}

export function tuneLearningRate(spec: ObjectiveSpec, source: string, optimizer: OptimizerName, options: Partial<TuneOptions> = {}): number {
  const o = { ...TUNE_DEFAULTS, ...options };
  const seeds = tuningSeeds(o.tuningSeeds);
  const cases = o.dims.flatMap((dim) => seeds.map((seed) => ({ dim, seed, ...checkedObjective(spec, dim, source, seed) })));
  // best[c][r]: best value of rate r on case c.
  const best = cases.map((c) =>
    o.grid.map((lr) => {
      const { optimizer: opt } = createOptimizer(optimizer, { learningRate: lr });
      return runWithBudget(opt, c.objective, c.x0, o.steps).counted.bestValue;
    }),
  );
  let bestRate = o.grid[0]!;
  let bestScore = Infinity;
  o.grid.forEach((lr, r) => {
    let score = 0;
    cases.forEach((c, ci) => {
      const ref = c.objective.minimum ?? Math.min(...best[ci]!);
      score += Math.log10(Math.max(0, best[ci]![r]! - ref) + 1e-12);
    });
    if (score < bestScore) {
      bestScore = score;
      bestRate = lr;
    }
  });
  return bestRate;
}
