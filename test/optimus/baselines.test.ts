import { describe, expect, it } from 'vitest';
import { adam, momentum, sgd } from '../../src/optimus/baselines/first-order.ts';
import { strongWolfeLineSearch } from '../../src/optimus/baselines/line-search.ts';
import { bfgs, lbfgs, type QuasiNewtonState } from '../../src/optimus/baselines/quasi-newton.ts';
import { getObjective, objectiveAt, rosenbrockStandardStart } from '../../src/optimus/objectives/index.ts';
import type { Objective, Optimizer, OptimizerState } from '../../src/optimus/types.ts';

/** f(x) = ½ xᵀAx − bᵀx with A = [[3,1],[1,2]], b = [1,1]: x* = A⁻¹b = (0.2, 0.4), f* = −½ bᵀx* = −0.3. */
const quad2: Objective = {
  name: 'quad2',
  dim: 2,
  minimum: -0.3,
  valueAndGrad(x) {
    const [a, b] = [x[0]!, x[1]!];
    const g0 = 3 * a + b - 1;
    const g1 = a + 2 * b - 1;
    return { value: 0.5 * (3 * a * a + 2 * a * b + 2 * b * b) - a - b, grad: Float64Array.from([g0, g1]) };
  },
};

function countingObjective(obj: Objective): Objective & { count: number } {
  const o = {
    ...obj,
    count: 0,
    valueAndGrad(x: Float64Array) {
      o.count++;
      return obj.valueAndGrad(x);
    },
  };
  return o;
}

function run<S extends OptimizerState & { value: number }>(opt: Optimizer<S>, obj: Objective, x0: Float64Array, maxEvals: number): S {
  let s = opt.init(obj, x0);
  while (s.gradEvals < maxEvals) {
    const next = opt.step(obj, s);
    if (next.gradEvals === s.gradEvals) break;
    s = next;
  }
  return s;
}

describe('line search', () => {
  it('meets the strong Wolfe conditions on Rosenbrock along −g', () => {
    const obj = objectiveAt(getObjective('rosenbrock'), 2);
    const x = Float64Array.from([-1.2, 1]);
    const { value, grad } = obj.valueAndGrad(x);
    const p = grad.map((g) => -g);
    const r = strongWolfeLineSearch(obj, x, value, grad, p, 1);
    expect(r.wolfe).toBe(true);
    const d0 = grad[0]! * p[0]! + grad[1]! * p[1]!;
    const d1 = r.grad[0]! * p[0]! + r.grad[1]! * p[1]!;
    expect(r.value).toBeLessThanOrEqual(value + 1e-4 * r.step * d0);
    expect(Math.abs(d1)).toBeLessThanOrEqual(0.9 * Math.abs(d0));
  });

  it('backs off from a non-finite value instead of failing', () => {
    const obj: Objective = { name: 'wall', dim: 1, valueAndGrad: (x) => (x[0]! > 2 ? { value: NaN, grad: Float64Array.of(NaN) } : { value: (x[0]! - 1.5) ** 2, grad: Float64Array.of(2 * (x[0]! - 1.5)) }) };
    const x = Float64Array.of(0);
    const r = strongWolfeLineSearch(obj, x, 2.25, Float64Array.of(-3), Float64Array.of(3), 1);
    expect(Number.isFinite(r.value)).toBe(true);
    expect(r.value).toBeLessThan(2.25);
  });
});

describe('quasi-Newton', () => {
  it('BFGS and L-BFGS agree with the hand-checked 2-D quadratic', () => {
    const finals: Float64Array[] = [];
    for (const opt of [bfgs(), lbfgs()] as Optimizer<QuasiNewtonState>[]) {
      const obj = countingObjective(quad2);
      let s = opt.init(obj, Float64Array.from([0, 0]));
      // Step 1 by hand: p = −g = (1, 1), φ(a) = 3.5a² − 2a ⇒ exact minimiser a = 2/7,
      // which the cubic interpolation of the zoom finds exactly on a quadratic.
      s = opt.step(obj, s);
      expect(s.x[0]).toBeCloseTo(2 / 7, 10);
      expect(s.x[1]).toBeCloseTo(2 / 7, 10);
      expect(s.value).toBeCloseTo(-2 / 7, 12);
      for (let k = 0; k < 10; k++) s = opt.step(obj, s);
      expect(s.x[0]).toBeCloseTo(0.2, 8);
      expect(s.x[1]).toBeCloseTo(0.4, 8);
      expect(s.value).toBeCloseTo(-0.3, 12);
      expect(s.gradEvals).toBe(obj.count); // every line-search evaluation is counted
      finals.push(s.x);
    }
    expect(finals[0]![0]).toBeCloseTo(finals[1]![0]!, 10);
    expect(finals[0]![1]).toBeCloseTo(finals[1]![1]!, 10);
  });

  it('L-BFGS reaches f < 1e-8 on 10-D Rosenbrock from the standard start within 300 gradient evaluations', () => {
    const obj = countingObjective(objectiveAt(getObjective('rosenbrock'), 10));
    let s = lbfgs().init(obj, rosenbrockStandardStart(10));
    const opt = lbfgs();
    let best = s.value;
    while (s.gradEvals < 300 && best >= 1e-8) {
      s = opt.step(obj, s);
      best = Math.min(best, s.value);
    }
    expect(best).toBeLessThan(1e-8);
    expect(obj.count).toBeLessThanOrEqual(300);
    expect(s.gradEvals).toBe(obj.count);
  });

  it('stop cleanly at an exact minimum instead of dividing by a vanishing curvature', () => {
    for (const opt of [bfgs(), lbfgs()] as Optimizer<QuasiNewtonState>[]) {
      let s = opt.init(quad2, Float64Array.from([3, -2]));
      for (let k = 0; k < 60; k++) s = opt.step(quad2, s);
      expect(s.x.every(Number.isFinite)).toBe(true);
      expect(s.value).toBeCloseTo(-0.3, 12);
      const again = opt.step(quad2, s);
      expect(again.gradEvals - s.gradEvals).toBeLessThanOrEqual(25);
    }
  });

  it('BFGS solves 10-D Rosenbrock too and keeps H symmetric positive definite', () => {
    const obj = objectiveAt(getObjective('rosenbrock'), 10);
    const s = run(bfgs(), obj, rosenbrockStandardStart(10), 400) as QuasiNewtonState;
    expect(s.value).toBeLessThan(1e-8);
    const n = 10;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(s.H[i * n + j]).toBeCloseTo(s.H[j * n + i]!, 8);
    for (let i = 0; i < n; i++) expect(s.H[i * n + i]).toBeGreaterThan(0);
  });
});

describe('first-order baselines', () => {
  it('SGD, momentum and Adam converge on the 2-D quadratic and count one evaluation per step', () => {
    for (const opt of [sgd({ learningRate: 0.2 }), momentum({ learningRate: 0.05 }), adam({ learningRate: 0.05 })]) {
      const s = run(opt, quad2, Float64Array.from([2, -1]), 2000);
      expect(s.gradEvals).toBe(2000);
      expect(s.step).toBe(1999);
      expect(s.value - -0.3).toBeLessThan(1e-6);
    }
  });

  it('SGD takes exactly x − ηg and Adam’s first step is η·sign(g)', () => {
    const x0 = Float64Array.from([1, 1]);
    const g = quad2.valueAndGrad(x0).grad;
    const s1 = sgd({ learningRate: 0.1 }).step(quad2, sgd().init(quad2, x0));
    expect(s1.x[0]).toBeCloseTo(1 - 0.1 * g[0]!, 14);
    const a = adam({ learningRate: 0.1 });
    const s2 = a.step(quad2, a.init(quad2, x0));
    expect(s2.x[0]).toBeCloseTo(1 - 0.1 * Math.sign(g[0]!), 6);
    expect(s2.x[1]).toBeCloseTo(1 - 0.1 * Math.sign(g[1]!), 6);
  });
});
