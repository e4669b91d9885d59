import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/random.ts';
import { sampleUnrollsPerTask } from '../../../src/optimus/train/truncation.ts';
import { gapReference, isScored, metaLossTerm, scoredValue } from '../../../src/optimus/train/meta-loss.ts';
import { clipByGlobalNorm, outerAdamInit, outerAdamStep } from '../../../src/optimus/train/outer-adam.ts';
import { decodeState, encodeState } from '../../../src/optimus/train/state-codec.ts';
import { sampleTrainingTask, TRAIN_SEED_BASE } from '../../../src/optimus/train/task-distribution.ts';

describe('trainer pieces', () => {
  it('truncation schedule: horizons are whole unrolls within [min, max], and vary', () => {
    const rng = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const u = sampleUnrollsPerTask(rng, { unrollSteps: 10, minHorizon: 50, maxHorizon: 200 });
      expect(u).toBeGreaterThanOrEqual(5);
      expect(u).toBeLessThanOrEqual(20);
      seen.add(u);
    }
    expect(seen.size).toBeGreaterThan(10);
  });

  it("meta-loss: 'best' scores the best value so far, countFrom skips the start of the horizon", () => {
    const best = { epsilon: 1e-8, maxRatio: 1e3, value: 'best' as const, countFrom: 0.5 };
    expect(scoredValue(5, 3, best)).toBe(3);
    expect(scoredValue(2, 3, best)).toBe(2);
    expect(scoredValue(NaN, 3, best)).toBeNaN();
    expect(scoredValue(5, 3, { epsilon: 1e-8, maxRatio: 1e3 })).toBe(5);
    expect([1, 50, 51, 100].map((t) => isScored(t, 100, best))).toEqual([false, false, true, true]);
    expect(isScored(1, 100, { epsilon: 1e-8, maxRatio: 1e3 })).toBe(true);
  });

  it('meta-loss: log of the normalised gap, floored, clipped, NaN kept', () => {
    const ref = gapReference(101, 1);
    const opts = { epsilon: 1e-8, maxRatio: 1e3 };
    expect(metaLossTerm(101, ref, opts)).toBeCloseTo(Math.log(1 + 1e-8), 12);
    expect(metaLossTerm(2, ref, opts)).toBeCloseTo(Math.log(0.01 + 1e-8), 12);
    expect(metaLossTerm(1, ref, opts)).toBeCloseTo(Math.log(1e-8), 12);
    expect(metaLossTerm(1e12, ref, opts)).toBeCloseTo(Math.log(1e3 + 1e-8), 12);
    expect(metaLossTerm(NaN, ref, opts)).toBeNaN();
    // Unknown f*: a guessed floor below f0, so the term is still defined and ≤ 0 at the start.
    const unknown = gapReference(-5, undefined);
    expect(metaLossTerm(-5, unknown, opts)).toBeCloseTo(0, 6);
    expect(metaLossTerm(-8, unknown, opts)).toBeLessThan(0);
  });

  it('outer Adam takes a step of the learning rate against the gradient sign; clipping bounds the norm', () => {
    const w = Float32Array.from([1, -1]);
    const s = outerAdamInit(2);
    outerAdamStep(w, Float64Array.from([3, -0.001]), s, { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-12 });
    expect(w[0]).toBeCloseTo(0.9, 6);
    expect(w[1]).toBeCloseTo(-0.9, 6);
    const g = Float64Array.from([3, 4]);
    expect(clipByGlobalNorm(g, 1)).toBeCloseTo(5, 12);
    expect(Math.hypot(g[0]!, g[1]!)).toBeCloseTo(1, 12);
  });

  it('state codec round-trips typed arrays, NaN, ±Infinity and -0 exactly', () => {
    const value = { a: Float64Array.from([0.1, NaN, -Infinity]), b: [Float32Array.from([1.5]), { c: NaN, d: -0, e: null }], f: 'x' };
    const back = decodeState(JSON.parse(JSON.stringify(encodeState(value)))) as typeof value;
    expect(back.a).toBeInstanceOf(Float64Array);
    expect(Array.from(back.a)).toEqual([0.1, NaN, -Infinity]);
    expect(back.b[0]).toBeInstanceOf(Float32Array);
    expect((back.b[1] as { c: number }).c).toBeNaN();
    expect(Object.is((back.b[1] as { d: number }).d, -0)).toBe(true);
  });

  it('training tasks use seeds above the evaluation range and dims within the range', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 200; i++) {
      const t = sampleTrainingTask(rng, { families: ['a', 'b'], dimRange: [2, 32] });
      expect(t.seed).toBeGreaterThanOrEqual(TRAIN_SEED_BASE);
      expect(t.dim).toBeGreaterThanOrEqual(2);
      expect(t.dim).toBeLessThanOrEqual(32);
    }
  });
});
