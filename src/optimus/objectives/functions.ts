import { Rng } from '../../random.ts';
import type { ObjectiveSpec } from './spec.ts';

/**
 * The classic test functions (definitions as in Surjanovic & Bingham's Virtual Library
 * of Simulation Experiments), each for any dimension with an analytic gradient.
 * Every one has f* = 0 and a known minimiser; start points are drawn from a seed in the
 * usual search box (narrowed where the textbook box is so wide that every optimizer
 * only sees the quadratic bowl, e.g. Griewank).
 */

type ValueAndGrad = (x: Float64Array) => { value: number; grad: Float64Array };

function boxInit(lo: number, hi: number) {
  return (dim: number, seed: number): Float64Array => {
    const rng = new Rng(seed);
    const x = new Float64Array(dim);
    for (let i = 0; i < dim; i++) x[i] = rng.uniform(lo, hi);
    return x;
  };
}

function constant(value: number) {
  return (dim: number): Float64Array => new Float64Array(dim).fill(value);
}

function define(
  name: string,
  valueAndGrad: ValueAndGrad,
  argmin: (dim: number) => Float64Array,
  init: (dim: number, seed: number) => Float64Array,
  minDim = 1,
): ObjectiveSpec {
  return { name, minimum: 0, valueAndGrad, argmin, init, minDim };
}

/** Σ 100(x_{i+1} − x_i²)² + (1 − x_i)²; f* = 0 at (1,…,1). For N = 1: (1 − x)². */
export const rosenbrock = define(
  'rosenbrock',
  (x) => {
    const n = x.length;
    const grad = new Float64Array(n);
    let value = 0;
    if (n === 1) {
      value = (1 - x[0]!) ** 2;
      grad[0] = -2 * (1 - x[0]!);
      return { value, grad };
    }
    for (let i = 0; i < n - 1; i++) {
      const xi = x[i]!;
      const r = x[i + 1]! - xi * xi;
      const s = 1 - xi;
      value += 100 * r * r + s * s;
      grad[i]! += -400 * xi * r - 2 * s;
      grad[i + 1]! += 200 * r;
    }
    return { value, grad };
  },
  constant(1),
  // The standard start (−1.2, 1, −1.2, 1, …), jittered per seed.
  (dim, seed) => {
    const rng = new Rng(seed);
    const x = new Float64Array(dim);
    for (let i = 0; i < dim; i++) x[i] = (i % 2 === 0 ? -1.2 : 1) + rng.uniform(-0.2, 0.2);
    return x;
  },
);

/** The exact standard Rosenbrock start (−1.2, 1, −1.2, 1, …). */
export function rosenbrockStandardStart(dim: number): Float64Array {
  const x = new Float64Array(dim);
  for (let i = 0; i < dim; i++) x[i] = i % 2 === 0 ? -1.2 : 1;
  return x;
}

/** 10N + Σ x_i² − 10 cos(2πx_i); f* = 0 at 0. */
export const rastrigin = define(
  'rastrigin',
  (x) => {
    const n = x.length;
    const grad = new Float64Array(n);
    let value = 10 * n;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      value += xi * xi - 10 * Math.cos(2 * Math.PI * xi);
      grad[i] = 2 * xi + 20 * Math.PI * Math.sin(2 * Math.PI * xi);
    }
    return { value, grad };
  },
  constant(0),
  boxInit(-5.12, 5.12),
);

/** −20 exp(−0.2 √(mean x²)) − exp(mean cos 2πx) + 20 + e; f* = 0 at 0. */
export const ackley = define(
  'ackley',
  (x) => {
    const n = x.length;
    const a = 20;
    const b = 0.2;
    const c = 2 * Math.PI;
    let sq = 0;
    let cs = 0;
    for (let i = 0; i < n; i++) {
      sq += x[i]! * x[i]!;
      cs += Math.cos(c * x[i]!);
    }
    const r = Math.sqrt(sq / n);
    const e1 = Math.exp(-b * r);
    const e2 = Math.exp(cs / n);
    const value = -a * e1 - e2 + a + Math.E;
    const grad = new Float64Array(n);
    // At r = 0 the first term has a kink; 0 is a valid subgradient there.
    const k1 = r > 0 ? (a * b * e1) / (n * r) : 0;
    for (let i = 0; i < n; i++) grad[i] = k1 * x[i]! + (e2 * c * Math.sin(c * x[i]!)) / n;
    return { value, grad };
  },
  constant(0),
  boxInit(-5, 5),
);

/** Levy: with w = 1 + (x − 1)/4; f* = 0 at (1,…,1). */
export const levy = define(
  'levy',
  (x) => {
    const n = x.length;
    const grad = new Float64Array(n);
    const pi = Math.PI;
    const w0 = 1 + (x[0]! - 1) / 4;
    let value = Math.sin(pi * w0) ** 2;
    grad[0]! += (pi * Math.sin(2 * pi * w0)) / 4;
    for (let i = 0; i < n - 1; i++) {
      const w = 1 + (x[i]! - 1) / 4;
      const s = Math.sin(pi * w + 1);
      const q = 1 + 10 * s * s;
      value += (w - 1) ** 2 * q;
      grad[i]! += (2 * (w - 1) * q + (w - 1) ** 2 * 10 * pi * Math.sin(2 * (pi * w + 1))) / 4;
    }
    const wn = 1 + (x[n - 1]! - 1) / 4;
    const sn = Math.sin(2 * pi * wn);
    value += (wn - 1) ** 2 * (1 + sn * sn);
    grad[n - 1]! += (2 * (wn - 1) * (1 + sn * sn) + (wn - 1) ** 2 * 2 * pi * Math.sin(4 * pi * wn)) / 4;
    return { value, grad };
  },
  constant(1),
  boxInit(-10, 10),
);

/** 1 + Σ x_i²/4000 − Π cos(x_i/√i); f* = 0 at 0. */
export const griewank = define(
  'griewank',
  (x) => {
    const n = x.length;
    const cosv = new Float64Array(n);
    const sinv = new Float64Array(n);
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const s = Math.sqrt(i + 1);
      cosv[i] = Math.cos(x[i]! / s);
      sinv[i] = Math.sin(x[i]! / s) / s;
      sq += x[i]! * x[i]!;
    }
    // Prefix/suffix products give Π_{j≠i} cos without dividing by a cosine that may be 0.
    const prefix = new Float64Array(n + 1);
    prefix[0] = 1;
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! * cosv[i]!;
    const grad = new Float64Array(n);
    let suffix = 1;
    for (let i = n - 1; i >= 0; i--) {
      grad[i] = x[i]! / 2000 + sinv[i]! * prefix[i]! * suffix;
      suffix *= cosv[i]!;
    }
    return { value: 1 + sq / 4000 - prefix[n]!, grad };
  },
  constant(0),
  boxInit(-10, 10),
);

/** (x_1 − 1)² + Σ_{i≥2} i (2x_i² − x_{i−1})²; f* = 0 at x_i = 2^{−(2^i − 2)/2^i}. */
export const dixonPrice = define(
  'dixon-price',
  (x) => {
    const n = x.length;
    const grad = new Float64Array(n);
    let value = (x[0]! - 1) ** 2;
    grad[0]! += 2 * (x[0]! - 1);
    for (let i = 1; i < n; i++) {
      const r = 2 * x[i]! * x[i]! - x[i - 1]!;
      value += (i + 1) * r * r;
      grad[i]! += (i + 1) * 2 * r * 4 * x[i]!;
      grad[i - 1]! += -(i + 1) * 2 * r;
    }
    return { value, grad };
  },
  (dim) => {
    const x = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      const p = 2 ** (i + 1);
      x[i] = 2 ** (-(p - 2) / p);
    }
    return x;
  },
  boxInit(-3, 3),
);

/**
 * Powell's singular function on blocks of 4 coordinates; f* = 0 at 0. For N not a
 * multiple of 4 the 1–3 remaining coordinates add Σ x² so every dimension is defined.
 */
export const powell = define(
  'powell',
  (x) => {
    const n = x.length;
    const grad = new Float64Array(n);
    let value = 0;
    const blocks = Math.floor(n / 4);
    for (let k = 0; k < blocks; k++) {
      const i = 4 * k;
      const a = x[i]! + 10 * x[i + 1]!;
      const b = x[i + 2]! - x[i + 3]!;
      const c = x[i + 1]! - 2 * x[i + 2]!;
      const d = x[i]! - x[i + 3]!;
      value += a * a + 5 * b * b + c ** 4 + 10 * d ** 4;
      grad[i] = 2 * a + 40 * d ** 3;
      grad[i + 1] = 20 * a + 4 * c ** 3;
      grad[i + 2] = 10 * b - 8 * c ** 3;
      grad[i + 3] = -10 * b - 40 * d ** 3;
    }
    for (let i = 4 * blocks; i < n; i++) {
      value += x[i]! * x[i]!;
      grad[i] = 2 * x[i]!;
    }
    return { value, grad };
  },
  constant(0),
  boxInit(-4, 4),
);

/**
 * Perm(d, β) = Σ_i (Σ_j (j^i + β)((x_j/j)^i − 1))², β = 0.5, f* = 0 at x_j = j.
 * Each outer term is divided by d^i (the size of its largest coefficient) so the
 * function stays finite in floating point for d in the hundreds; this keeps the
 * minimiser and f* and only rescales the terms.
 */
export const PERM_BETA = 0.5;
export const perm = define(
  'perm',
  (x) => {
    const n = x.length;
    const beta = PERM_BETA;
    const t = new Float64Array(n);
    for (let j = 0; j < n; j++) t[j] = x[j]! / (j + 1);
    const tPow = new Float64Array(n).fill(1); // t_j^i
    const cPow = new Float64Array(n).fill(1); // (j/d)^i
    const sums = new Float64Array(n);
    let invDPow = 1; // d^{-i}
    let value = 0;
    for (let i = 1; i <= n; i++) {
      invDPow /= n;
      let s = 0;
      for (let j = 0; j < n; j++) {
        tPow[j]! *= t[j]!;
        cPow[j]! *= (j + 1) / n;
        s += (cPow[j]! + beta * invDPow) * (tPow[j]! - 1);
      }
      sums[i - 1] = s;
      value += s * s;
    }
    const grad = new Float64Array(n);
    tPow.fill(1); // t_j^{i-1}
    cPow.fill(1);
    invDPow = 1;
    for (let i = 1; i <= n; i++) {
      invDPow /= n;
      const s2 = 2 * sums[i - 1]!;
      for (let j = 0; j < n; j++) {
        cPow[j]! *= (j + 1) / n;
        grad[j]! += (s2 * (cPow[j]! + beta * invDPow) * i * tPow[j]!) / (j + 1);
        tPow[j]! *= t[j]!;
      }
    }
    return { value, grad };
  },
  (dim) => Float64Array.from({ length: dim }, (_, j) => j + 1),
  (dim, seed) => {
    const rng = new Rng(seed);
    return Float64Array.from({ length: dim }, (_, j) => (j + 1) * rng.uniform(0.8, 1.2));
  },
);

/**
 * An ill-conditioned quadratic ½ (Qx)ᵀ Λ (Qx) with eigenvalues log-spaced from 1 to
 * κ = 10⁴ and Q a fixed product of 3 Householder reflections (so it is not
 * axis-aligned, which would favour diagonal methods like Adam); f* = 0 at 0.
 */
export const QUADRATIC_CONDITION = 1e4;
const quadraticRotations = new Map<number, Float64Array[]>();
function rotationFor(dim: number): Float64Array[] {
  let vs = quadraticRotations.get(dim);
  if (!vs) {
    vs = householderVectors(dim, 3, 0x5eed + dim);
    quadraticRotations.set(dim, vs);
  }
  return vs;
}
export const quadratic = define(
  'quadratic',
  (x) => {
    const n = x.length;
    const vs = rotationFor(n);
    const z = applyReflections(vs, x, false);
    let value = 0;
    for (let i = 0; i < n; i++) {
      const lambda = n === 1 ? 1 : QUADRATIC_CONDITION ** (i / (n - 1));
      value += 0.5 * lambda * z[i]! * z[i]!;
      z[i] = lambda * z[i]!;
    }
    return { value, grad: applyReflections(vs, z, true) };
  },
  constant(0),
  boxInit(-3, 3),
);

/** Unit vectors v_k of Householder reflections H_k = I − 2 v vᵀ (k of them, from a seed). */
export function householderVectors(dim: number, count: number, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  const vs: Float64Array[] = [];
  if (dim < 2) return vs;
  for (let k = 0; k < count; k++) {
    const v = new Float64Array(dim);
    let norm = 0;
    for (let i = 0; i < dim; i++) {
      v[i] = rng.normal();
      norm += v[i]! * v[i]!;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < dim; i++) v[i]! /= norm;
    vs.push(v);
  }
  return vs;
}

/**
 * Applies Q = H_k ⋯ H_1 (or Qᵀ = H_1 ⋯ H_k when `transpose`) to x in O(N·k); each
 * reflection is symmetric, so the transpose is the reverse order.
 */
export function applyReflections(vs: Float64Array[], x: Float64Array, transpose: boolean): Float64Array {
  const y = Float64Array.from(x);
  const n = y.length;
  for (let r = 0; r < vs.length; r++) {
    const v = vs[transpose ? vs.length - 1 - r : r]!;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += v[i]! * y[i]!;
    const c = 2 * dot;
    for (let i = 0; i < n; i++) y[i]! -= c * v[i]!;
  }
  return y;
}
