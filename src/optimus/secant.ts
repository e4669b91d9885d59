/**
 * The secant part of Optimus's preconditioner, from the last m curvature pairs
 * s = x⁺ − x, y = ∇f(x⁺) − ∇f(x) (kept only with positive curvature sᵀy > 0), two
 * classic inverse-Hessian estimates with H₀ = γI, γ = sᵀy / yᵀy of the newest pair
 * (Nocedal & Wright eq. 7.20):
 *  - SR1 (symmetric rank-one, §6.2): H ← H + r rᵀ / (rᵀ y), r = s − H y, one rank-one
 *    term per pair, rebuilt each step from γI (O(m²N)). It satisfies every secant
 *    equation, so on a quadratic it finds the minimum without a line search, but it
 *    may be indefinite;
 *  - L-BFGS (two-loop recursion, Algorithm 7.4): always positive definite.
 * Optimus steps along SR1 when N ≤ the pair count and it is positive definite, and
 * along L-BFGS otherwise (see optimus.ts): the BFGS-family prior the network starts from. Its L-BFGS may start
 * from a diagonal H₀ instead of γI (`diagonalH0`).
 */

import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { dot } from './vector.ts';

/** A curvature pair (s, y) from one trial step, accepted or not. */
export interface SecantPair {
  s: Float64Array;
  y: Float64Array;
}


/** γ of H₀ = γI: sᵀy / yᵀy of the newest pair, or `gamma0` when there is none. */
export function secantGamma(pairs: readonly SecantPair[], gamma0: number): number {
  const last = pairs[pairs.length - 1];
  return last ? dot(last.s, last.y) / dot(last.y, last.y) : gamma0;
}

/**
 * A diagonal H₀ = γ_D·D for the two-loop recursion: D = 1/√v from Adam's second-moment
 * estimate v of the gradient (per-parameter scale, which a scalar γ cannot express when
 * parameters have different units), clipped to [m/range, m·range] around its geometric
 * mean m, and γ_D = sᵀy / yᵀDy of the newest pair so that H₀ matches its curvature along
 * y (the scalar rule γ = sᵀy/yᵀy is the case D = I). range = 1 gives γI back.
 */
export function diagonalH0(secondMoment: Float64Array, newest: SecantPair, range: number): Float64Array {
  const n = secondMoment.length;
  const D = new Float64Array(n);
  let vSum = 0;
  for (let i = 0; i < n; i++) vSum += secondMoment[i]!;
  // Relative floor: a parameter whose gradient was always 0 must not dominate the mean.
  const floor = 1e-8 * Math.sqrt(vSum / n) + 1e-300;
  let logSum = 0;
  for (let i = 0; i < n; i++) {
    D[i] = 1 / (Math.sqrt(secondMoment[i]!) + floor);
    logSum += Math.log(D[i]!);
  }
  const mean = Math.exp(logSum / n);
  let yDy = 0;
  for (let i = 0; i < n; i++) {
    D[i] = Number.isFinite(mean) && mean > 0 ? Math.min(mean * range, Math.max(mean / range, D[i]!)) : 1;
    yDy += newest.y[i]! * newest.y[i]! * D[i]!;
  }
  const gammaD = dot(newest.s, newest.y) / yDy;
  for (let i = 0; i < n; i++) D[i]! *= gammaD;
  return D;
}

/**
 * The quantity `diagonalH0` takes the inverse square root of, blended geometrically:
 * v^(1−w) · r^w with r_i = Σ y_i² / Σ s_i² over the pairs, so that H₀ ∝ 1/√v at w = 0
 * (gradient scale, as Adam) and ∝ RMS(s_i)/RMS(y_i) at w = 1 (curvature scale, exact on a
 * diagonal quadratic). Where the pairs never moved a parameter, v alone is kept.
 */
export function blendedSecondMoment(secondMoment: Float64Array, pairs: readonly SecantPair[], w: number): Float64Array {
  const n = secondMoment.length;
  const yy = new Float64Array(n);
  const ss = new Float64Array(n);
  for (const { s, y } of pairs) {
    for (let i = 0; i < n; i++) {
      yy[i]! += y[i]! * y[i]!;
      ss[i]! += s[i]! * s[i]!;
    }
  }
  return secondMoment.map((v, i) => {
    const r = yy[i]! / ss[i]!;
    return v > 0 && r > 0 && Number.isFinite(r) ? Math.exp((1 - w) * Math.log(v) + w * Math.log(r)) : v;
  });
}

/** H·v by the two-loop recursion over the pairs (oldest first), from H₀ = γI or diag(γ). */
export function applySecant(pairs: readonly SecantPair[], gamma: number | Float64Array, v: Float64Array): Float64Array {
  const k = pairs.length;
  const q = Float64Array.from(v);
  const a = new Float64Array(k);
  const rho = new Float64Array(k);
  for (let j = k - 1; j >= 0; j--) {
    const { s, y } = pairs[j]!;
    rho[j] = 1 / dot(y, s);
    a[j] = rho[j]! * dot(s, q);
    for (let i = 0; i < q.length; i++) q[i]! -= a[j]! * y[i]!;
  }
  if (typeof gamma === 'number') for (let i = 0; i < q.length; i++) q[i]! *= gamma;
  else for (let i = 0; i < q.length; i++) q[i]! *= gamma[i]!;
  for (let j = 0; j < k; j++) {
    const { s, y } = pairs[j]!;
    const b = rho[j]! * dot(y, q);
    for (let i = 0; i < q.length; i++) q[i]! += (a[j]! - b) * s[i]!;
  }
  return q;
}

/** SR1 as rank-one terms: H = γI + Σ_j c_j u_j u_jᵀ. */
export interface Sr1 {
  gamma: number;
  terms: Float64Array[];
  coefs: number[];
}

/** Relative |rᵀy| below which an SR1 update is skipped (Nocedal & Wright §6.2 use 1e-8). */
const SR1_SKIP = 1e-8;

export function applySr1(h: Sr1, v: Float64Array): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = h.gamma * v[i]!;
  h.terms.forEach((u, j) => {
    const c = h.coefs[j]! * dot(u, v);
    if (c !== 0) for (let i = 0; i < v.length; i++) out[i]! += c * u[i]!;
  });
  return out;
}

/**
 * Whether the SR1 estimate is positive definite, by a Cholesky factorisation of its dense
 * N×N form (O(N³); SR1 is only used at small N). An indefinite H's step −H g heads for the
 * stationary point of an indefinite model, a saddle, even when it is a descent direction.
 */
export function sr1IsPositiveDefinite(h: Sr1, n: number): boolean {
  const H = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = i === j ? h.gamma : 0;
      h.terms.forEach((u, k) => (v += h.coefs[k]! * u[i]! * u[j]!));
      H.set(i, j, v);
      H.set(j, i, v);
    }
  }
  return new CholeskyDecomposition(H).isPositiveDefinite();
}

/** The SR1 estimate from the pairs (oldest first), starting from γI. */
export function buildSr1(pairs: readonly SecantPair[], gamma: number): Sr1 {
  const h: Sr1 = { gamma, terms: [], coefs: [] };
  for (const { s, y } of pairs) {
    const Hy = applySr1(h, y);
    const r = s.map((v, i) => v - Hy[i]!);
    const ry = dot(r, y);
    if (!(Math.abs(ry) > SR1_SKIP * Math.sqrt(dot(r, r) * dot(y, y))) || !Number.isFinite(1 / ry)) continue;
    h.terms.push(r);
    h.coefs.push(1 / ry);
  }
  return h;
}

/** Relative curvature below which a pair is not kept: sᵀy > CURVATURE_MIN·‖s‖‖y‖. */
const CURVATURE_MIN = 1e-10;

/**
 * Appends a pair when it has positive curvature, keeping the newest `capacity` (pure;
 * returns the same list when the pair is dropped).
 */
export function pushPair(pairs: readonly SecantPair[], pair: SecantPair, capacity: number): readonly SecantPair[] {
  if (capacity <= 0) return [];
  const sy = dot(pair.s, pair.y);
  if (!(sy > CURVATURE_MIN * Math.sqrt(dot(pair.s, pair.s) * dot(pair.y, pair.y))) || !Number.isFinite(1 / sy)) return pairs;
  return [...pairs.slice(Math.max(0, pairs.length - capacity + 1)), pair];
}
