import type { Objective } from '../types.ts';
import { dot } from '../vector.ts';

/**
 * A line search satisfying the strong Wolfe conditions (Nocedal & Wright, Numerical
 * Optimization, Algorithms 3.5 and 3.6: bracketing, then zoom with safeguarded cubic
 * interpolation). Every evaluation is counted, so quasi-Newton methods pay for their
 * line searches in the shared gradient-evaluation budget. A non-finite value counts as
 * "too large", so the search backs off from overflow instead of failing.
 */
export interface LineSearchOptions {
  /** Sufficient-decrease constant. */
  c1: number;
  /** Curvature constant (0.9 for quasi-Newton). */
  c2: number;
  /** Evaluations allowed per search. */
  maxEvals: number;
  /** Largest step tried while bracketing. */
  maxStep: number;
}

export const LINE_SEARCH_DEFAULTS: LineSearchOptions = { c1: 1e-4, c2: 0.9, maxEvals: 25, maxStep: 1e10 };

export interface LineSearchResult {
  /** True when the strong Wolfe conditions hold at the returned point. */
  wolfe: boolean;
  step: number;
  x: Float64Array;
  value: number;
  grad: Float64Array;
  evals: number;
}

interface Point {
  a: number;
  f: number;
  d: number;
  x: Float64Array;
  g: Float64Array;
}

/** Minimiser of the cubic through (a,f,d) at both ends, or NaN when it does not exist. */
function cubicMin(lo: Point, hi: Point): number {
  const d1 = lo.d + hi.d - (3 * (lo.f - hi.f)) / (lo.a - hi.a);
  const disc = d1 * d1 - lo.d * hi.d;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(hi.a - lo.a) * Math.sqrt(disc);
  return hi.a - ((hi.a - lo.a) * (hi.d + d2 - d1)) / (hi.d - lo.d + 2 * d2);
}

/**
 * Searches along the descent direction p from x (value f0, gradient g0), first
 * trying step `initialStep`. If no point meets both conditions within the budget, it
 * returns the best point with sufficient decrease seen (wolfe = false), or x itself
 * (step 0) when there was none.
 */
export function strongWolfeLineSearch(
  objective: Objective,
  x: Float64Array,
  f0: number,
  g0: Float64Array,
  p: Float64Array,
  initialStep: number,
  options: Partial<LineSearchOptions> = {},
): LineSearchResult {
  const { c1, c2, maxEvals, maxStep } = { ...LINE_SEARCH_DEFAULTS, ...options };
  const d0 = dot(g0, p);
  let evals = 0;
  let best: Point | null = null;
  const evalAt = (a: number): Point => {
    const xa = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) xa[i] = x[i]! + a * p[i]!;
    const r = objective.valueAndGrad(xa);
    evals++;
    const g = Float64Array.from(r.grad);
    const f = Number.isFinite(r.value) ? r.value : Infinity;
    const pt = { a, f, d: dot(g, p), x: xa, g };
    if (f <= f0 + c1 * a * d0 && (best === null || f < best.f)) best = pt;
    return pt;
  };
  const done = (pt: Point, wolfe: boolean): LineSearchResult => ({ wolfe, step: pt.a, x: pt.x, value: pt.f, grad: pt.g, evals });
  const giveUp = (): LineSearchResult => {
    const b = best as Point | null;
    return b ? done(b, false) : { wolfe: false, step: 0, x: Float64Array.from(x), value: f0, grad: Float64Array.from(g0), evals };
  };
  if (!(d0 < 0)) return giveUp();
  const wolfeCurvature = (pt: Point) => Math.abs(pt.d) <= -c2 * d0;

  const zoom = (lo: Point, hi: Point): LineSearchResult => {
    while (evals < maxEvals) {
      const width = hi.a - lo.a;
      let a = Number.isFinite(hi.f) ? cubicMin(lo, hi) : NaN;
      // Safeguard: stay inside the middle 80 % of the bracket, else bisect.
      const inner0 = lo.a + 0.1 * width;
      const inner1 = hi.a - 0.1 * width;
      if (!Number.isFinite(a) || a < Math.min(inner0, inner1) || a > Math.max(inner0, inner1)) a = lo.a + 0.5 * width;
      if (Math.abs(width) < 1e-16 * Math.max(1, Math.abs(lo.a))) break;
      const pt = evalAt(a);
      if (pt.f > f0 + c1 * a * d0 || pt.f >= lo.f) {
        hi = pt;
      } else {
        if (wolfeCurvature(pt)) return done(pt, true);
        if (pt.d * (hi.a - lo.a) >= 0) hi = lo;
        lo = pt;
      }
    }
    return giveUp();
  };

  let prev: Point = { a: 0, f: f0, d: d0, x, g: g0 };
  let a = Math.min(initialStep, maxStep);
  for (let i = 0; evals < maxEvals; i++) {
    const pt = evalAt(a);
    if (pt.f > f0 + c1 * a * d0 || (i > 0 && pt.f >= prev.f)) return zoom(prev, pt);
    if (wolfeCurvature(pt)) return done(pt, true);
    if (pt.d >= 0) return zoom(pt, prev);
    prev = pt;
    a = Math.min(2 * a, maxStep);
  }
  return giveUp();
}
