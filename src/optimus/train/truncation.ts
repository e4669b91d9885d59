import type { Rng } from '../../random.ts';

/**
 * Truncation schedule: each inner task runs for a sampled horizon, cut into
 * unrolls of K steps. Horizons are whole multiples of K so a task always ends at an
 * unroll boundary (PES then resets the accumulated perturbation exactly there).
 */
export interface TruncationOptions {
  /** K: inner steps per truncated unroll (one outer step). */
  unrollSteps: number;
  /** Shortest and longest inner horizon in steps; sampled log-uniformly between them. */
  minHorizon: number;
  maxHorizon: number;
}

export const TRUNCATION_DEFAULTS: TruncationOptions = {
  unrollSteps: 10,
  minHorizon: 50,
  maxHorizon: 200,
};

/** Number of unrolls of the next task. */
export function sampleUnrollsPerTask(rng: Rng, options: TruncationOptions): number {
  const { unrollSteps: k, minHorizon, maxHorizon } = options;
  const lo = Math.max(1, Math.round(minHorizon / k));
  const hi = Math.max(lo, Math.round(maxHorizon / k));
  const horizon = Math.exp(rng.uniform(Math.log(lo), Math.log(hi + 1)));
  return Math.min(hi, Math.max(lo, Math.floor(horizon)));
}
