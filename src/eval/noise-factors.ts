import { z } from 'zod';
import { symmetricEigen } from '../geometry/eigen.ts';
import type { Rng } from '../random.ts';

/**
 * The correlated part of a detector's error: a few shared factors (a whole leg's depth, the
 * body's tilt, the 2D and 3D of a limb moving together), each persisting in time, plus what each
 * coordinate has of its own. Fitted on standardized errors (each coordinate's error over its
 * robust spread), so 2D in torso lengths and 3D in metres share one correlation matrix.
 */
export const factorsSchema = z.object({
  /** The coordinates, in order: 2D x, y of each landmark, then 3D x, y, z of each landmark. */
  dims: z.number().int().positive(),
  /** Per factor, its loading on every coordinate (in spreads); a coordinate's shared variance is the sum of squares. */
  loadings: z.array(z.array(z.number())),
  /** Lag-1 autocorrelation of each factor per frame at the model's rate. */
  rho: z.array(z.number().min(-1).max(1)),
  /** Each coordinate's own variance (in spreads²) and its persistence. */
  unique: z.array(z.number().nonnegative()), rhoUnique: z.array(z.number().min(-1).max(1)),
  /**
   * Each coordinate's scale in robust spreads (gross events left out): the Gaussian's whose mean absolute error is the
   * measured one (a heavy tail makes it > 1; matching the standard deviation instead overstates the typical error).
   */
  spread: z.array(z.number().nonnegative()).optional(),
  /** Share of the standardized variance the factors carry (measured). */
  sharedPct: z.number(),
}).refine((f) => [...f.loadings, f.unique, f.rhoUnique, ...(f.spread ? [f.spread] : [])].every((row) => row.length === f.dims) && f.rho.length === f.loadings.length,
  { message: 'every loading row, unique, rhoUnique and spread must have `dims` entries, and rho one per factor' });
export type Factors = z.infer<typeof factorsSchema>;

export const FACTOR_DEFAULTS = {
  /** At most this many factors; fewer when an eigenvalue falls below `minEigen` (effective samples are few: errors persist). */
  maxFactors: 20,
  minEigen: 1,
  /** A pair of coordinates seen together in fewer frames gets no correlation. */
  minPairs: 30,
  /** Frames where fewer coordinates than this share are seen give no factor score (persistence only). */
  minSeenShare: 0.6,
  /** How a coordinate's scale is set: 'meanAbs' (its mean absolute error kept) or 'std' (its variance kept; measured worse). */
  spreadFrom: 'meanAbs' as 'meanAbs' | 'std',
};

/** √(π/2) · mean |z| per coordinate: the spread of the Gaussian with the same mean absolute value. */
function meanAbsSpread(seqs: readonly number[][][], dims: number): number[] {
  const sum = new Float64Array(dims);
  const n = new Float64Array(dims);
  for (const seq of seqs) for (const v of seq) v.forEach((x, d) => { if (!Number.isNaN(x)) { sum[d] += Math.abs(x); n[d] += 1; } });
  return Array.from(sum, (s, d) => (n[d]! > 0 ? Math.sqrt(Math.PI / 2) * (s / n[d]!) : 0));
}

/** Correlation matrix of standardized series (NaN: unseen), pairwise over frames where both are seen. */
function correlation(seqs: readonly number[][][], dims: number, minPairs: number): { R: number[]; std: number[] } {
  const sum = new Float64Array(dims * dims);
  const count = new Float64Array(dims * dims);
  for (const seq of seqs) for (const v of seq) {
    for (let i = 0; i < dims; i++) {
      const a = v[i]!;
      if (Number.isNaN(a)) continue;
      for (let j = i; j < dims; j++) {
        const b = v[j]!;
        if (Number.isNaN(b)) continue;
        sum[i * dims + j] += a * b;
        count[i * dims + j] += 1;
      }
    }
  }
  const cov = (i: number, j: number) => { const k = Math.min(i, j) * dims + Math.max(i, j); return count[k]! >= minPairs ? sum[k]! / count[k]! : 0; };
  const R = new Array<number>(dims * dims).fill(0);
  for (let i = 0; i < dims; i++) for (let j = 0; j < dims; j++) {
    const d = Math.sqrt(cov(i, i) * cov(j, j));
    R[i * dims + j] = i === j ? 1 : d > 0 ? cov(i, j) / d : 0;
  }
  return { R, std: Array.from({ length: dims }, (_, i) => Math.sqrt(cov(i, i))) };
}

/** Lag-1 autocorrelation pooled over sequences (NaN: gap). */
function lag1(series: readonly number[][]): number {
  let num = 0;
  let den = 0;
  for (const s of series) for (let t = 1; t < s.length; t++) {
    const a = s[t]!, b = s[t - 1]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    num += a * b;
    den += (a * a + b * b) / 2;
  }
  return den > 0 ? Math.max(-1, Math.min(1, num / den)) : 0;
}

/** Fits the factors on standardized error vectors: per sequence, per frame, `dims` values (NaN: unseen or gross). */
export function fitFactors(seqs: readonly number[][][], dims: number, options: Partial<typeof FACTOR_DEFAULTS> = {}): Factors {
  const o = { ...FACTOR_DEFAULTS, ...options };
  const { R, std } = correlation(seqs, dims, o.minPairs);
  const spread = o.spreadFrom === 'std' ? std : meanAbsSpread(seqs, dims);
  const { values, vectors } = symmetricEigen(R, dims);
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).filter(([v], k) => k < o.maxFactors && v >= o.minEigen);
  const vec = order.map(([, i]) => Array.from({ length: dims }, (_, d) => vectors[d * dims + i]!));
  const loadings = order.map(([v], k) => vec[k]!.map((x) => x * Math.sqrt(v)));
  // A coordinate keeps some variance of its own (at least 5 %): the shared part is capped at 95 %.
  const shared = Array.from({ length: dims }, (_, d) => loadings.reduce((s, l) => s + l[d]! ** 2, 0));
  for (let d = 0; d < dims; d++) if (shared[d]! > 0.95) for (const l of loadings) l[d] = l[d]! * Math.sqrt(0.95 / shared[d]!);
  const unique = Array.from({ length: dims }, (_, d) => 1 - loadings.reduce((s, l) => s + l[d]! ** 2, 0));
  // Factor scores by projection on the seen coordinates, for the factors' and the residuals' persistence.
  const unit = seqs.map((seq) => seq.map((v) => v.map((x, d) => (std[d]! > 0 ? x / std[d]! : NaN))));
  const scores = unit.map((seq) => seq.map((v) => {
    const seen = v.filter((x) => !Number.isNaN(x)).length;
    if (seen < o.minSeenShare * dims) return order.map(() => NaN);
    return order.map(([val], k) => vec[k]!.reduce((s, x, d) => s + (Number.isNaN(v[d]!) ? 0 : x * v[d]!), 0) * (dims / seen) / Math.sqrt(val));
  }));
  const rho = order.map((_, k) => lag1(scores.map((seq) => seq.map((s) => s[k]!))));
  const rhoUnique = Array.from({ length: dims }, (_, d) => lag1(unit.map((seq, q) => seq.map((v, t) => v[d]! - loadings.reduce((s, l, k) => s + l[d]! * scores[q]![t]![k]!, 0)))));
  const sharedPct = (100 * loadings.reduce((s, l) => s + l.reduce((a, x) => a + x * x, 0), 0)) / dims;
  return { dims, loadings: loadings.map((l) => l.map(round)), rho: rho.map(round), unique: unique.map(round), rhoUnique: rhoUnique.map(round), spread: spread.map(round), sharedPct: round(sharedPct) };
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

/** AR(1) per frame at `fps` with the same decay per second as `rho` at `modelFps`. */
export function rhoAt(rho: number, modelFps: number, fps: number): number {
  return Math.sign(rho) * Math.abs(rho) ** (modelFps / fps);
}

/** Draws standardized error vectors frame by frame: shared factors and own parts, each an AR(1) of unit variance. */
export class FactorNoise {
  private readonly shared: number[];
  private readonly own: number[];
  private readonly rho: number[];
  private readonly rhoOwn: number[];

  constructor(private readonly f: Factors, modelFps: number, fps: number, private readonly rng: Rng) {
    this.rho = f.rho.map((r) => rhoAt(r, modelFps, fps));
    this.rhoOwn = f.rhoUnique.map((r) => rhoAt(r, modelFps, fps));
    this.shared = f.rho.map(() => rng.normal());
    this.own = f.unique.map(() => rng.normal());
  }

  next(): number[] {
    const step = (x: number, r: number) => r * x + Math.sqrt(Math.max(0, 1 - r * r)) * this.rng.normal();
    this.shared.forEach((x, k) => { this.shared[k] = step(x, this.rho[k]!); });
    this.own.forEach((x, d) => { this.own[d] = step(x, this.rhoOwn[d]!); });
    return this.own.map((x, d) => (this.f.spread?.[d] ?? 1) * (this.f.loadings.reduce((s, l, k) => s + l[d]! * this.shared[k]!, 0) + Math.sqrt(this.f.unique[d]!) * x));
  }
}
