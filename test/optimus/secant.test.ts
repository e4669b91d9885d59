import { describe, expect, it } from 'vitest';
import { optimusDef } from '../../src/optimus/learned.ts';
import { networkLayout } from '../../src/optimus/network.ts';
import { optimusNetworkConfig } from '../../src/optimus/optimus.ts';
import type { OptimusConfig, OptimusState } from '../../src/optimus/optimus.ts';
import { applySecant, applySr1, blendedSecondMoment, buildSr1, diagonalH0, pushPair, secantGamma, sr1IsPositiveDefinite, type SecantPair } from '../../src/optimus/secant.ts';
import { dot } from '../../src/optimus/vector.ts';
import type { Objective, Optimizer } from '../../src/optimus/types.ts';
import { evalsToToleranceOf } from '../../src/optimus/bench/convergence.ts';
import { createOptimizer } from '../../src/optimus/optimizers.ts';
import { Rng } from '../../src/random.ts';
import { runWithBudget } from '../../src/optimus/minimize.ts';
import { checkedObjective } from '../../src/optimus/objectives/module.ts';
import { getObjective } from '../../src/optimus/objectives/registry.ts';

/** Optimus with zero-initialised heads (its quasi-Newton prior alone) and the given config. */
function untrainedOptimus(config: Partial<OptimusConfig> = {}): Optimizer {
  const def = optimusDef(config);
  return def.create(def.initWeights(0));
}

/** Evaluations until f − f* ≤ 1e-6 on the built-in ill-conditioned quadratic of dimension `dim`. */
const evalsToMicro = (opt: Optimizer, dim: number, seed: number): number => evalsToToleranceOf(opt, 'quadratic', dim, seed, 1e-6, 3000) ?? Infinity;

/** A random SPD matrix A = QᵀDQ-ish (MᵀM + I), row-major. */
function spd(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const M = Float64Array.from({ length: n * n }, () => rng.normal());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = i === j ? 1 : 0;
    for (let k = 0; k < n; k++) s += M[k * n + i]! * M[k * n + j]!;
    A[i * n + j] = s;
  }
  return A;
}

const matVec = (A: Float64Array, v: Float64Array): Float64Array => {
  const n = v.length;
  return Float64Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j]! * v[j]!;
    return s;
  });
};

/** Pairs (s, A s) of a quadratic with Hessian A, along random steps. */
function quadraticPairs(A: Float64Array, n: number, count: number, seed: number): SecantPair[] {
  const rng = new Rng(seed);
  let pairs: readonly SecantPair[] = [];
  for (let k = 0; k < count; k++) {
    const s = Float64Array.from({ length: n }, () => rng.normal());
    pairs = pushPair(pairs, { s, y: matVec(A, s) }, 100);
  }
  return [...pairs];
}

/** The textbook dense BFGS inverse update H ← (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ, the reference for the two-loop recursion. */
function denseBfgs(pairs: SecantPair[], gamma: number, n: number): Float64Array {
  let H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) H[i * n + i] = gamma;
  for (const { s, y } of pairs) {
    const rho = 1 / dot(s, y);
    const E = new Float64Array(n * n); // I − ρ s yᵀ
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) E[i * n + j] = (i === j ? 1 : 0) - rho * s[i]! * y[j]!;
    const next = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let v = 0;
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) v += E[i * n + a]! * H[a * n + b]! * E[j * n + b]!;
      next[i * n + j] = v + rho * s[i]! * s[j]!;
    }
    H = next;
  }
  return H;
}

/** f = ½xᵀAx with this A (eigenvalues 4.54 and −1.54), and its coordinate-step pairs. */
const SADDLE_HESSIAN = Float64Array.of(2, 3, 3, 1);
const SADDLE_PAIRS: SecantPair[] = [
  { s: Float64Array.of(1, 0), y: Float64Array.of(2, 3) },
  { s: Float64Array.of(0, 1), y: Float64Array.of(3, 1) },
];

describe('secant preconditioner', () => {
  it('the L-BFGS two-loop recursion equals the dense BFGS inverse update from the same pairs', () => {
    const n = 6;
    const A = spd(n, 1);
    const pairs = quadraticPairs(A, n, 4, 2);
    const gamma = secantGamma(pairs, 1);
    const H = denseBfgs(pairs, gamma, n);
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
    const fast = applySecant(pairs, gamma, v);
    const ref = matVec(H, v);
    for (let i = 0; i < n; i++) expect(fast[i]).toBeCloseTo(ref[i]!, 9);
  });

  it('SR1 satisfies every secant equation H yⱼ = sⱼ on a quadratic, and n pairs give the exact inverse Hessian', () => {
    const n = 5;
    const A = spd(n, 3);
    const pairs = quadraticPairs(A, n, n, 4);
    const h = buildSr1(pairs, secantGamma(pairs, 1));
    for (const { s, y } of pairs) {
      const Hy = applySr1(h, y);
      for (let i = 0; i < n; i++) expect(Hy[i]).toBeCloseTo(s[i]!, 8);
    }
    // H A v = v for any v once the pairs span R^n.
    const v = Float64Array.from({ length: n }, (_, i) => i - 2);
    const back = applySr1(h, matVec(A, v));
    for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(v[i]!, 7);
  });

  it('tells a positive definite SR1 estimate from an indefinite one whose pairs all have positive curvature', () => {
    const n = 5;
    const spdPairs = quadraticPairs(spd(n, 3), n, n, 4);
    expect(sr1IsPositiveDefinite(buildSr1(spdPairs, secantGamma(spdPairs, 1)), n)).toBe(true);
    // A = [[2, 3], [3, 1]] has eigenvalues 4.54 and −1.54; the coordinate steps have
    // sᵀy = 2 and 1 > 0, so both pairs are kept, and SR1 recovers A⁻¹ exactly: indefinite.
    const h = buildSr1(SADDLE_PAIRS, secantGamma(SADDLE_PAIRS, 1));
    expect(applySr1(h, Float64Array.of(2, 3))[0]).toBeCloseTo(1, 12);
    expect(sr1IsPositiveDefinite(h, 2)).toBe(false);
  });

  it('an indefinite SR1 is not stepped along even when it gives descent: Optimus takes the L-BFGS step', () => {
    // f = ½xᵀAx (a saddle at 0). At x = A⁻¹g with g = (1, 1), SR1 = A⁻¹ gives p = x with
    // gᵀp = 3/7 > 0, a descent direction whose full step lands exactly on the saddle.
    const A = SADDLE_HESSIAN;
    const trials: Float64Array[] = [];
    const objective: Objective = {
      name: 'saddle',
      dim: 2,
      valueAndGrad(x) {
        trials.push(Float64Array.from(x));
        const g = matVec(A, x);
        return { value: 0.5 * dot(x, g), grad: g };
      },
    };
    const pairs = SADDLE_PAIRS;
    const g = Float64Array.of(1, 1);
    const x = applySr1(buildSr1(pairs, secantGamma(pairs, 1)), g);
    expect(dot(x, g)).toBeGreaterThan(0);
    // Scalar H₀ and no trust radius, so the L-BFGS step is the two-loop recursion's alone.
    const opt = untrainedOptimus({ trustRatio: 0, diagonalRange: 1 });
    const start = opt.init(objective, x) as OptimusState;
    for (let i = 0; i < 2; i++) expect(start.grad[i]).toBeCloseTo(1, 12);
    const withPairs: OptimusState = { ...start, pairs };
    opt.step(objective, withPairs);
    const trial = trials[trials.length - 1]!;
    const lbfgsStep = applySecant(pairs, secantGamma(pairs, 1), start.grad);
    for (let i = 0; i < 2; i++) expect(trial[i]).toBeCloseTo(x[i]! - lbfgsStep[i]!, 12);
    expect(Math.hypot(trial[0]!, trial[1]!)).toBeGreaterThan(0.1); // not the saddle
  });

  it('drops pairs without positive curvature and keeps the newest capacity', () => {
    const s = Float64Array.of(1, 0);
    let pairs = pushPair([], { s, y: Float64Array.of(-1, 0) }, 3);
    expect(pairs.length).toBe(0);
    for (let k = 1; k <= 5; k++) pairs = pushPair(pairs, { s: Float64Array.of(k, 0), y: Float64Array.of(k, 0) }, 3);
    expect(pairs.map((p) => p.s[0])).toEqual([3, 4, 5]);
  });

  it('the untrained Optimus minimises an ill-conditioned quadratic to 1e-10 in a few more steps than its dimension', () => {
    const n = 8;
    const A = spd(n, 5);
    const objective: Objective = {
      name: 'quad',
      dim: n,
      minimum: 0,
      valueAndGrad(x) {
        const g = matVec(A, x);
        return { value: 0.5 * dot(x, g), grad: g };
      },
    };
    const opt = untrainedOptimus();
    let state = opt.init(objective, Float64Array.from({ length: n }, (_, i) => 1 + i)) as OptimusState;
    for (let k = 0; k < 3 * n && state.value > 1e-10; k++) state = opt.step(objective, state) as OptimusState;
    expect(state.value).toBeLessThan(1e-10);
    expect(state.gradEvals).toBeLessThanOrEqual(3 * n + 1);
  });
});

describe('Optimus prior above the pair count', () => {

  it('with more dimensions than curvature pairs, the untrained Optimus needs at most 1.3× the evaluations of L-BFGS (L-SR1 needed 1.6×)', () => {
    const ratios = [0, 1].map((seed) => evalsToMicro(untrainedOptimus(), 30, seed) / evalsToMicro(createOptimizer('lbfgs').optimizer, 30, seed));
    for (const r of ratios) expect(r).toBeLessThan(1.3);
  });
});

describe('L-BFGS memory of the prior (lbfgsPairs)', () => {
  const evalsTo = (lbfgsPairs: number, dim: number, seed: number): number => evalsToMicro(untrainedOptimus({ lbfgsPairs }), dim, seed);

  it('20 pairs instead of 10 reach 1e-6 on the 30-D ill-conditioned quadratic in fewer evaluations', () => {
    for (const seed of [0, 1]) expect(evalsTo(20, 30, seed)).toBeLessThan(evalsTo(10, 30, seed));
  });

  it('never uses more than max(N, pairs) pairs: at N = 10 the runs with 10 and 20 are the same', () => {
    expect(evalsTo(20, 10, 0)).toBe(evalsTo(10, 10, 0));
    const { objective, x0 } = checkedObjective(getObjective('rosenbrock'), 10, 'builtin', 3);
    const finals = [10, 20].map((lbfgsPairs) => runWithBudget(untrainedOptimus({ lbfgsPairs }), objective, x0, 120).finalValue);
    expect(finals[1]).toBe(finals[0]);
  });
});

describe('blended diagonal scale of the L-BFGS prior (diagonalBlend)', () => {
  it('is v at w = 0, the per-parameter curvature² of a diagonal quadratic at w = 1, their geometric mean at ½', () => {
    const h = Float64Array.from([1, 10, 100, 0.5]);
    const rng = new Rng(4);
    const pairs: SecantPair[] = [0, 1, 2].map(() => {
      const s = Float64Array.from(h, () => rng.normal());
      return { s, y: s.map((v, i) => h[i]! * v) };
    });
    const v = Float64Array.from([4, 0.25, 9, 1]);
    const same = blendedSecondMoment(v, pairs, 0);
    v.forEach((vi, i) => expect(same[i]).toBeCloseTo(vi, 12));
    const exact = blendedSecondMoment(v, pairs, 1);
    h.forEach((hi, i) => expect(exact[i]).toBeCloseTo(hi * hi, 8));
    const half = blendedSecondMoment(v, pairs, 0.5);
    h.forEach((hi, i) => expect(half[i]).toBeCloseTo(Math.sqrt(v[i]! * hi * hi), 8));
  });

  it('on 40-D Powell, where the largest gradients have the least curvature, the untrained Optimus ends ≥ 100× closer with the blend', () => {
    const { objective, x0 } = checkedObjective(getObjective('powell'), 40, 'builtin', 0);
    const [plain, blended] = [0, 0.5].map((diagonalBlend) => runWithBudget(untrainedOptimus({ diagonalBlend }), objective, x0, 200).finalValue);
    expect(blended).toBeLessThan(plain! / 100);
  });
});

describe('trust radius of the SR1 range (trustRatio)', () => {
  it('no trial step is longer than trustRatio times the previous trial step, and without it some are', () => {
    const { objective, x0 } = checkedObjective(getObjective('rosenbrock'), 10, 'builtin', 3);
    const longestRatio = (trustRatio: number): number => {
      const opt = untrainedOptimus({ trustRatio });
      let state = opt.init(objective, x0) as OptimusState;
      let worst = 0;
      for (let k = 0; k < 80; k++) {
        const next = opt.step(objective, state) as OptimusState;
        if (state.lastStepLength > 0) worst = Math.max(worst, next.lastStepLength / state.lastStepLength);
        state = next;
      }
      return worst;
    };
    expect(longestRatio(4)).toBeLessThanOrEqual(4 * (1 + 1e-9));
    expect(longestRatio(0)).toBeGreaterThan(4);
  });

  it('the radius follows the last trial step even when its curvature pair was dropped', () => {
    // A shallow bowl, far from its minimum: the L-BFGS/SR1 step is long. The newest kept pair
    // moved 1e-3, but the last trial moved 0.1 (along negative curvature, so its pair was not
    // kept): the bound is 4 × 0.1, not 4 × 1e-3.
    const objective: Objective = {
      name: 'shallow-bowl',
      dim: 2,
      valueAndGrad: (x) => ({ value: 0.005 * dot(x, x), grad: x.map((v) => 0.01 * v) }),
    };
    const opt = untrainedOptimus({ trustRatio: 4 });
    const start = opt.init(objective, Float64Array.of(10, 10)) as OptimusState;
    const pair: SecantPair = { s: Float64Array.of(-1e-3, -1e-3), y: Float64Array.of(-1e-5, -1e-5) };
    const afterDroppedPair: OptimusState = { ...start, pairs: [pair], lastStepLength: 0.1 };
    const next = opt.step(objective, afterDroppedPair) as OptimusState;
    expect(next.lastStepLength).toBeCloseTo(0.4, 9);
    expect(next.value).toBeLessThan(start.value);
  });
});

describe('diagonal H₀ of the L-BFGS prior', () => {
  const rng = new Rng(31);
  const n = 12;
  const pair: SecantPair = { s: Float64Array.from({ length: n }, () => rng.normal()), y: new Float64Array(n) };
  pair.y = pair.s.map((v, i) => v * (1 + i) + 0.1 * rng.normal());
  const v = Float64Array.from({ length: n }, (_, i) => (i === 3 ? 0 : 10 ** rng.uniform(-6, 2)));

  it('matches the newest pair’s curvature (yᵀH₀y = sᵀy), stays within the range, and is γI at range 1', () => {
    const h0 = diagonalH0(v, pair, 10);
    expect(dot(pair.y, pair.y.map((yi, i) => yi * h0[i]!))).toBeCloseTo(dot(pair.s, pair.y), 10);
    expect(Math.max(...h0) / Math.min(...h0)).toBeLessThanOrEqual(100 * (1 + 1e-12));
    expect(h0.every((d) => Number.isFinite(d) && d > 0)).toBe(true); // v = 0 for one parameter
    const scalar = diagonalH0(v, pair, 1);
    const gamma = secantGamma([pair], 1);
    scalar.forEach((d) => expect(d).toBeCloseTo(gamma, 12));
  });

  it('the two-loop recursion with a diagonal H₀ still satisfies the newest secant equation H y = s', () => {
    const pairs = [pair];
    const h0 = diagonalH0(v, pair, 10);
    const Hy = applySecant(pairs, h0, pair.y);
    Hy.forEach((h, i) => expect(h).toBeCloseTo(pair.s[i]!, 9));
  });
});

const networkLayoutOf = (def: ReturnType<typeof optimusDef>) => networkLayout(optimusNetworkConfig(def.config));

describe('Optimus direction correction', () => {
  /** Weights whose only non-zero output is the bias of the d head: d_raw = c for every token. */
  const constantCorrection = (directionSpace: 'metric' | 'gradient', c: number) => {
    const def = optimusDef({ directionSpace });
    const w = def.initWeights(0);
    const layout = networkLayoutOf(def);
    const e = layout.get('head.tok.b');
    w[e.offset + 1] = c; // column 1 of the token head is d_raw
    return def.create(w);
  };

  it('sized in B’s metric, a constant 30 % correction cannot stop convergence on an ill-conditioned quadratic; added to the gradient before B it does', () => {
    for (const seed of [0, 1, 2]) {
      const metric = evalsToToleranceOf(constantCorrection('metric', 0.3), 'quadratic', 2, seed, 1e-10, 200);
      expect(metric, `seed ${seed}`).not.toBeNull();
    }
    const stalled = [0, 1, 2].filter((seed) => evalsToToleranceOf(constantCorrection('gradient', 0.3), 'quadratic', 2, seed, 1e-10, 200) === null);
    expect(stalled.length).toBeGreaterThan(0);
  });
});
