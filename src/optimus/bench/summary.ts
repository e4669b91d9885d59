import type { BenchRun, BenchSummary } from '../../formats/bench.ts';

/** A run succeeds when its best value is within this gap of the minimum and it did not diverge. */
export const SUCCESS_GAP = 1e-4;

/** Groups runs by a key, keeping first-seen order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) >> 1]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}

/**
 * The reference value of each (objective, dim, seed): f* when known, else the lowest
 * value any optimizer reached on it in this run (DESIGN §4.2).
 */
export function referenceValues(runs: readonly BenchRun[], minimumOf: (objective: string, dim: number) => number | undefined): Map<string, number> {
  const ref = new Map<string, number>();
  for (const r of runs) {
    const key = `${r.objective}|${r.dim}|${r.seed}`;
    const known = minimumOf(r.objective, r.dim);
    if (known !== undefined) {
      ref.set(key, known);
      continue;
    }
    const v = r.bestValue ?? Infinity;
    ref.set(key, Math.min(ref.get(key) ?? Infinity, v));
  }
  return ref;
}

/** log10(bestValue − reference + 1e-12), per run, in the order of `runs`. */
export function log10Gaps(runs: readonly BenchRun[], ref: Map<string, number>): number[] {
  return runs.map((r) => {
    const best = r.bestValue;
    if (best === null || !Number.isFinite(best)) return Math.log10(Number.MAX_VALUE);
    const reference = ref.get(`${r.objective}|${r.dim}|${r.seed}`)!;
    return Math.log10(Math.max(0, best - reference) + 1e-12);
  });
}

export function summarize(runs: readonly BenchRun[], minimumOf: (objective: string, dim: number) => number | undefined): BenchSummary[] {
  const ref = referenceValues(runs, minimumOf);
  const gaps = log10Gaps(runs, ref);
  const gapOf = new Map(runs.map((r, i) => [r, gaps[i]!]));
  const out: BenchSummary[] = [];
  for (const group of groupBy(runs, (r) => `${r.objective}|${r.dim}|${r.optimizer}`).values()) {
    const g = group.map((r) => gapOf.get(r)!);
    const first = group[0]!;
    out.push({
      objective: first.objective,
      dim: first.dim,
      optimizer: first.optimizer,
      meanLog10Gap: g.reduce((a, b) => a + b, 0) / g.length,
      medianLog10Gap: median(g),
      successRate: group.filter((r, i) => !r.diverged && g[i]! < Math.log10(SUCCESS_GAP)).length / group.length,
      meanGradEvals: group.reduce((a, r) => a + r.gradEvals, 0) / group.length,
      meanWallMs: group.reduce((a, r) => a + r.wallMs, 0) / group.length,
    });
  }
  return out;
}

/** Per `objective|dim|optimizer`, the log10 gap of each seed (the values `summarize` averages). */
export function seedGaps(runs: readonly BenchRun[], minimumOf: (objective: string, dim: number) => number | undefined): Map<string, Map<number, number>> {
  const gaps = log10Gaps(runs, referenceValues(runs, minimumOf));
  const out = new Map<string, Map<number, number>>();
  runs.forEach((r, i) => {
    const key = `${r.objective}|${r.dim}|${r.optimizer}`;
    const bySeed = out.get(key) ?? new Map<number, number>();
    bySeed.set(r.seed, gaps[i]!);
    out.set(key, bySeed);
  });
  return out;
}

/**
 * a − b over the seeds both ran, as a paired comparison (both optimizers start each seed
 * from the same point): its mean and the standard error of that mean, sd/√n (NaN with
 * fewer than two shared seeds, which no test of significance can use).
 */
export function pairedDifference(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): { mean: number; standardError: number; seeds: number } {
  const d: number[] = [];
  for (const [seed, va] of a) {
    const vb = b.get(seed);
    if (vb !== undefined) d.push(va - vb);
  }
  const n = d.length;
  const mean = n ? d.reduce((s, v) => s + v, 0) / n : NaN;
  const variance = n > 1 ? d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, standardError: Math.sqrt(variance / n), seeds: n };
}

/**
 * A paired difference counts as significant beyond this many standard errors (≈ 95 %
 * two-sided for a normal mean; with 10 seeds, Student's t would ask for 2.26).
 */
export const SIGNIFICANCE_SE = 2;

/** One optimizer against another over the (objective, dim) cells both ran. */
export interface HeadToHead {
  optimizer: string;
  against: string;
  cells: number;
  /** Cells where `optimizer` has the lower mean log10 gap (the count). */
  lower: number;
  equal: number;
  higher: number;
  /** The same count with differences below `tolerance` (log10 units) called ties. */
  tolerance: number;
  lowerBeyondTolerance: number;
  higherBeyondTolerance: number;
  /**
   * With per-seed gaps: cells where the paired difference over the seeds is below / above
   * zero by more than SIGNIFICANCE_SE standard errors (the rest are within seed noise).
   */
  significantlyLower?: number;
  significantlyHigher?: number;
}

/**
 * Means closer than this (log10 units, i.e. f within a relative 2e-12) are equal: both runs
 * ended at the same point up to the last bits of f (measured: dixon-price-100, where every
 * run stops in the local minimum at 2/3, once scored −0.1760912590550299 against …2987).
 */
export const FLOAT_TIE = 1e-12;

/**
 * Head-to-head counts of `optimizer` against every other optimizer of the summary. The
 * tolerant count exists because on multimodal functions two methods often stop in the same
 * local minimum and differ only in the last digits (e.g. 9.485816299649397 vs …393): such a
 * cell is decided by rounding, not by the method.
 */
export function headToHead(
  summary: readonly BenchSummary[],
  optimizer: string,
  tolerance = 0.01,
  seeds?: ReadonlyMap<string, ReadonlyMap<number, number>>,
): HeadToHead[] {
  const mean = new Map(summary.map((s) => [`${s.objective}|${s.dim}|${s.optimizer}`, s.meanLog10Gap]));
  const others = [...new Set(summary.map((s) => s.optimizer))].filter((o) => o !== optimizer);
  const cells = [...new Set(summary.filter((s) => s.optimizer === optimizer).map((s) => `${s.objective}|${s.dim}`))];
  return others.map((against) => {
    const h: HeadToHead = { optimizer, against, cells: 0, lower: 0, equal: 0, higher: 0, tolerance, lowerBeyondTolerance: 0, higherBeyondTolerance: 0 };
    if (seeds) {
      h.significantlyLower = 0;
      h.significantlyHigher = 0;
    }
    for (const cell of cells) {
      const a = mean.get(`${cell}|${optimizer}`);
      const b = mean.get(`${cell}|${against}`);
      if (a === undefined || b === undefined) continue;
      h.cells++;
      if (a < b - FLOAT_TIE) h.lower++;
      else if (a > b + FLOAT_TIE) h.higher++;
      else h.equal++;
      if (a < b - tolerance) h.lowerBeyondTolerance++;
      if (a > b + tolerance) h.higherBeyondTolerance++;
      const sa = seeds?.get(`${cell}|${optimizer}`);
      const sb = seeds?.get(`${cell}|${against}`);
      if (sa && sb) {
        const { mean: d, standardError } = pairedDifference(sa, sb);
        // All seeds differing by the same amount leave no noise (standard error 0).
        const margin = Math.max(SIGNIFICANCE_SE * standardError, FLOAT_TIE);
        if (d < -margin) h.significantlyLower!++;
        if (d > margin) h.significantlyHigher!++;
      }
    }
    return h;
  });
}
