import { describe, expect, it } from 'vitest';
import { angleCount, createSkeleton } from '../../src/body/skeleton.ts';
import { defaultPosePrior, fitPosePrior, posePriorTerm } from '../../src/reconstruct/kinematic-prior.ts';
import { Rng } from '../../src/random.ts';

describe('learned pose prior', () => {
  it('fits the mean and the inverse of the ridged covariance of correlated samples', () => {
    const rng = new Rng(7);
    // Two correlated angles (b = 0.5·a + noise) and a constant one, which the ridge keeps finite.
    const samples = Array.from({ length: 4000 }, () => {
      const a = 0.3 + 0.4 * rng.normal();
      return [a, 0.5 * a + 0.1 * rng.normal(), -1];
    });
    const ridge = 0.01;
    const p = fitPosePrior(samples, {}, { ridge }).components[0]!;
    expect(p.mean[0]).toBeCloseTo(0.3, 1);
    expect(p.mean[2]).toBeCloseTo(-1, 10);
    // Σ + ridge·I for var(a) = 0.16, cov(a, b) = 0.08, var(b) = 0.05; P·(Σ + ridge·I) = I.
    const S = [[0.16 + ridge, 0.08, 0], [0.08, 0.05 + ridge, 0], [0, 0, ridge]];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const v = [0, 1, 2].reduce((s, k) => s + p.precision[i * 3 + k]! * S[k]![j]!, 0);
        expect(v).toBeCloseTo(i === j ? 1 : 0, 1);
      }
    }
  });

  it('is zero at the mean, positive elsewhere, with the exact gradient', () => {
    const p = fitPosePrior([[0, 0], [1, 2], [2, 1], [1, 1]], {}, { ridge: 0.1 });
    // Two frames of [3 root numbers, 2 angles]: angles at offset 3 of a stride of 5.
    const x = new Float64Array([9, 9, 9, ...p.components[0]!.mean, 9, 9, 9, 0.2, 1.7]);
    expect(posePriorTerm(p, x.subarray(0, 5), 1, 5, 3, 1, null)).toBeCloseTo(0, 12);
    const grad = new Float64Array(10);
    const v = posePriorTerm(p, x, 2, 5, 3, 2, grad);
    expect(v).toBeGreaterThan(0);
    const h = 1e-6;
    for (let i = 0; i < 10; i++) {
      const up = x.slice(); up[i]! += h;
      const dn = x.slice(); dn[i]! -= h;
      const fd = (2 * (posePriorTerm(p, up, 2, 5, 3, 1, null) - posePriorTerm(p, dn, 2, 5, 3, 1, null))) / (2 * h);
      expect(grad[i]).toBeCloseTo(fd, 5);
    }
    expect(grad[0]).toBe(0);
  });

  it('leaves a frame as likely as `free` alone, and pulls a less likely one by the excess only', () => {
    const p = fitPosePrior([[0, 0], [1, 2], [2, 1], [1, 1]], {}, { ridge: 0.1 });
    const m = p.components[0]!.mean;
    const near = new Float64Array([m[0]! + 0.05, m[1]!]), far = new Float64Array([m[0]! + 3, m[1]! - 3]);
    const full = (x: Float64Array) => posePriorTerm(p, x, 1, 2, 0, 1, null);
    const grad = new Float64Array(2);
    expect(posePriorTerm(p, near, 1, 2, 0, 1, grad, 0.5)).toBe(0);
    expect(Array.from(grad)).toEqual([0, 0]);
    expect(full(near)).toBeGreaterThan(0);
    expect(posePriorTerm(p, far, 1, 2, 0, 1, grad, 0.5)).toBeCloseTo(full(far) - 0.5, 12);
    const g0 = new Float64Array(2);
    posePriorTerm(p, far, 1, 2, 0, 1, g0);
    expect(Array.from(grad)).toEqual(Array.from(g0));
  });

  it('as a mixture, finds two separate clusters and keeps the exact gradient between them', () => {
    const rng = new Rng(3);
    const samples = Array.from({ length: 600 }, (_, i) => (i % 3 ? [1 + 0.1 * rng.normal(), 0.1 * rng.normal()] : [-1 + 0.1 * rng.normal(), 0.5 + 0.1 * rng.normal()]));
    const p = fitPosePrior(samples, {}, { components: 2, ridge: 0.001 });
    const byX = [...p.components].sort((a, b) => a.mean[0]! - b.mean[0]!);
    expect(byX[0]!.mean[0]).toBeCloseTo(-1, 1);
    expect(byX[1]!.mean[0]).toBeCloseTo(1, 1);
    expect(byX[1]!.weight).toBeCloseTo(2 / 3, 1);
    // Both cluster centres score lower than the empty middle between them.
    const at = (a: number[]) => posePriorTerm(p, a, 1, 2, 0, 1, null);
    expect(Math.max(at([1, 0]), at([-1, 0.5]))).toBeLessThan(at([0, 0.25]));
    const x = new Float64Array([0.1, 0.3]);
    const grad = new Float64Array(2);
    posePriorTerm(p, x, 1, 2, 0, 1, grad);
    for (let i = 0; i < 2; i++) {
      const up = x.slice(); up[i]! += 1e-6;
      const dn = x.slice(); dn[i]! -= 1e-6;
      expect(grad[i]).toBeCloseTo((at(Array.from(up)) - at(Array.from(dn))) / 2e-6, 4);
    }
  });

  it('ships a prior for the project skeleton, learned from mocap: a standing pose is likelier than a contorted one', () => {
    const p = defaultPosePrior();
    expect(p).not.toBeNull();
    const D = angleCount(createSkeleton());
    expect(p!.dim).toBe(D);
    const rest = new Float64Array(D);
    const contorted = rest.map((_, d) => (d % 2 ? 1.2 : -1.2));
    expect(posePriorTerm(p!, rest, 1, D, 0, 1, null)).toBeLessThan(posePriorTerm(p!, contorted, 1, D, 0, 1, null));
  });
});
