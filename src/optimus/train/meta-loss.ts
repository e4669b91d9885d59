/**
 * Meta-loss of one inner step: log of the optimality gap, normalised by the gap at
 * the task's start so tasks of very different scales weigh alike, with a floor ε
 * (relative to the start gap) and a ceiling so one divergent run cannot dominate.
 * The normaliser is shared by both members of an antithetic pair, so it only rescales.
 * Where f* is unknown, a guessed lower bound f0 − |f0| − 1 stands in for it.
 */
export interface MetaLossOptions {
  /** Relative floor: the term is log(gap/gap0 + epsilon). */
  epsilon: number;
  /** Ceiling on gap/gap0 (divergence counts as this bad, not worse). */
  maxRatio: number;
  /**
   * Which value each step scores: the iterate's ('current') or the best so far ('best', what
   * the bench reports). Default 'current'.
   */
  value?: 'current' | 'best';
  /**
   * Steps in the first `countFrom` share of a task's horizon score nothing (0: every step;
   * 0.5: the second half), so the meta-loss can weigh where the bench measures, at the end.
   */
  countFrom?: number;
}

export const META_LOSS_DEFAULTS: MetaLossOptions = {
  epsilon: 1e-8,
  maxRatio: 1e3,
};

export interface GapReference {
  /** f*: the known minimum, or the guessed lower bound. */
  floor: number;
  /** Gap at the start point (f(x0) − floor), > 0. */
  gap0: number;
}

export function gapReference(f0: number, minimum: number | undefined): GapReference {
  const floor = minimum ?? f0 - Math.abs(f0) - 1;
  const gap0 = Math.max(f0 - floor, 1e-30);
  return { floor, gap0 };
}

/** log(gap/gap0 + ε), clipped above; NaN stays NaN so the trainer can skip the step. */
export function metaLossTerm(value: number, ref: GapReference, options: MetaLossOptions): number {
  if (Number.isNaN(value)) return NaN;
  const ratio = Math.max(value - ref.floor, 0) / ref.gap0;
  return Math.log(Math.min(ratio, options.maxRatio) + options.epsilon);
}

/** Whether inner step t (1-based) of a task of `horizon` steps is scored. */
export function isScored(t: number, horizon: number, options: MetaLossOptions): boolean {
  return t > (options.countFrom ?? 0) * horizon;
}

/** The value a step scores: the new value, or the best so far under value 'best' (NaN stays NaN). */
export function scoredValue(value: number, bestBefore: number, options: MetaLossOptions): number {
  if (Number.isNaN(value) || options.value !== 'best') return value;
  return Math.min(value, bestBefore);
}
