import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/random.ts';
import type { Task, TaskFamily } from '../../../src/optimus/types.ts';
import { learnedSgdDef } from '../../../src/optimus/train/learned-sgd.ts';
import { pesInit, pesStep, TaskCache, type PesOptions } from '../../../src/optimus/train/pes.ts';

/**
 * Meta-problem with a closed-form meta-gradient: learned SGD with momentum
 * (θ = [log η, logit β, log c]) on f(x) = ½ a x², one task of 3 unrolls of K = 5.
 * The exact derivative of each unroll's meta-loss (which depends on θ through all
 * earlier steps) comes from the tangent recursion of the linear dynamics.
 */
const A = 1.5;
const X0 = 1;
const K = 5;
const UNROLLS = 3;
const EPS = 1e-8;

const family: TaskFamily = {
  name: 'fixed-quadratic',
  sample(): Task {
    return {
      x0: Float64Array.from([X0]),
      objective: { name: 'q', dim: 1, minimum: 0, valueAndGrad: (x) => ({ value: 0.5 * A * x[0]! * x[0]!, grad: Float64Array.from([A * x[0]!]) }) },
    };
  },
};

/** d/dθ of the mean meta-loss of each unroll, by forward-mode (tangent) recursion. */
function exactUnrollGradients(theta: Float32Array): number[][] {
  const eta = Math.exp(theta[0]!);
  const beta = 1 / (1 + Math.exp(-theta[1]!));
  const c = Math.exp(theta[2]!);
  const dEta = [eta, 0, 0];
  const dBeta = [0, beta * (1 - beta), 0];
  const dC = [0, 0, c];
  let x = X0;
  let v = 0;
  let dx = [0, 0, 0];
  let dv = [0, 0, 0];
  const f0 = 0.5 * A * X0 * X0;
  const out: number[][] = [];
  for (let u = 0; u < UNROLLS; u++) {
    const g = [0, 0, 0];
    for (let k = 0; k < K; k++) {
      const grad = A * x;
      const z = grad / c;
      const th = Math.tanh(z);
      const sech2 = 1 - th * th;
      const step = c * th;
      const nv = beta * v - eta * step;
      const ndv = [0, 1, 2].map((j) => {
        const dGrad = A * dx[j]!;
        const dStep = dC[j]! * (th - z * sech2) + sech2 * dGrad;
        return dBeta[j]! * v + beta * dv[j]! - dEta[j]! * step - eta * dStep;
      });
      v = nv;
      dv = ndv;
      x = x + v;
      dx = dx.map((d, j) => d + dv[j]!);
      const r = (0.5 * A * x * x) / f0;
      for (let j = 0; j < 3; j++) g[j]! += ((A * x * dx[j]!) / f0 / (r + EPS)) / K;
    }
    out.push(g);
  }
  return out;
}

/** Mean and standard error of the estimator for each unroll, over `batches` independent batches of pairs. */
function estimate(theta: Float32Array, estimator: 'pes' | 'tes', batches: number, pairs: number) {
  const def = learnedSgdDef() as never as Parameters<typeof pesStep>[0];
  const options: PesOptions = {
    pairs,
    sigma: 0.01,
    truncation: { unrollSteps: K, minHorizon: K * UNROLLS, maxHorizon: K * UNROLLS },
    metaLoss: { epsilon: EPS, maxRatio: 1e3 },
    estimator,
  };
  const source = { families: { q: family }, train: { families: ['q'], dimRange: [1, 1] as [number, number] } };
  const perUnroll: number[][][] = Array.from({ length: UNROLLS }, () => []);
  for (let b = 0; b < batches; b++) {
    const state = pesInit(3, pairs, new Rng(100 + b), new Rng(200 + b));
    const cache = new TaskCache();
    for (let u = 0; u < UNROLLS; u++) perUnroll[u]!.push(Array.from(pesStep(def, theta, state, source, options, cache).grad));
  }
  return perUnroll.map((list) => [0, 1, 2].map((j) => {
    const xs = list.map((g) => g[j]!);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
    return { mean: m, se: sd / Math.sqrt(xs.length) };
  }));
}

describe('PES gradient estimate', () => {
  const theta = Float32Array.from([Math.log(0.1), Math.log(0.2 / 0.8), Math.log(2)]);
  const exact = exactUnrollGradients(theta);

  it('matches the closed-form meta-gradient of every unroll (unbiased, including the effect through earlier unrolls)', () => {
    const est = estimate(theta, 'pes', 30, 300);
    for (let u = 0; u < UNROLLS; u++) {
      for (let j = 0; j < 3; j++) {
        const { mean, se } = est[u]![j]!;
        const scale = Math.max(...exact[u]!.map(Math.abs));
        // Within 4 standard errors, and the standard error itself small against the gradient.
        expect(Math.abs(mean - exact[u]![j]!)).toBeLessThan(4 * se + 0.02 * scale);
        expect(se).toBeLessThan(0.1 * scale);
      }
    }
  });

  it('truncated ES without the accumulated perturbation misses the gradient through earlier unrolls (the test can tell)', () => {
    const est = estimate(theta, 'tes', 20, 300);
    const u = UNROLLS - 1;
    const { mean, se } = est[u]![0]!;
    expect(Math.abs(mean - exact[u]![0]!)).toBeGreaterThan(6 * se);
  });
});
