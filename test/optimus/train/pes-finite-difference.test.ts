import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/random.ts';
import { adafacMlpDef } from '../../../src/optimus/learned.ts';
import { adafacMlpLayout } from '../../../src/optimus/baselines/adafac-mlp.ts';
import type { Task, TaskFamily } from '../../../src/optimus/types.ts';
import { gapReference, isScored, metaLossTerm, scoredValue, type MetaLossOptions } from '../../../src/optimus/train/meta-loss.ts';
import { pesInit, pesStep, TaskCache, valueAt, type PesOptions } from '../../../src/optimus/train/pes.ts';
import { trainableMask } from '../../../src/optimus/train/registry.ts';
import { toyQuadraticFamily } from '../../../src/optimus/train/toy-families.ts';

/**
 * The fast PES estimator against a naive reference on the real baseline: the Adafactor-MLP
 * on one fixed task, its meta-loss recomputed by a plain loop over the whole horizon and
 * differentiated by central finite differences. The two output biases (direction, log step
 * magnitude) are the trained weights, so a few thousand pairs pin the estimate down.
 */
const K = 5;
const UNROLLS = 3;
const META: MetaLossOptions = { epsilon: 1e-14, maxRatio: 1e3, value: 'best', countFrom: 0.5 };
const fixed: Task = toyQuadraticFamily({ condition: 20, spread: 1 }).sample(3, 4);
const family: TaskFamily = { name: 'fixed', sample: () => fixed };
const def = adafacMlpDef({ baseStep: 0.3 });
const layout = adafacMlpLayout(def.config);
const mask = trainableMask(def as never, ['out.b']);
const bias = layout.get('out.b');

function theta(): Float32Array {
  const w = def.initWeights(0);
  // Away from zero so neither output sits at a special point.
  w[bias.offset] = 0.2;
  w[bias.offset + 1] = -0.3;
  return w;
}

/** Σ over unrolls of each unroll's meta-loss, by one plain run over the horizon. */
function naiveMetaLoss(w: Float32Array): number {
  const opt = def.create(w);
  const horizon = K * UNROLLS;
  const f0 = fixed.objective.valueAndGrad(fixed.x0).value;
  const ref = gapReference(f0, fixed.objective.minimum);
  let state = opt.init(fixed.objective, Float64Array.from(fixed.x0));
  let best = f0;
  let total = 0;
  for (let t = 1; t <= horizon; t++) {
    state = opt.step(fixed.objective, state);
    const value = scoredValue(valueAt(fixed.objective, state), best, META);
    best = Math.min(best, value);
    if (isScored(t, horizon, META)) total += metaLossTerm(value, ref, META) / K;
  }
  return total;
}

function finiteDifference(w: Float32Array, index: number, h: number): number {
  const plus = Float32Array.from(w);
  const minus = Float32Array.from(w);
  plus[index] = w[index]! + h;
  minus[index] = w[index]! - h;
  return (naiveMetaLoss(plus) - naiveMetaLoss(minus)) / (plus[index]! - minus[index]!);
}

/** Sum of the PES estimates over the task's unrolls, per batch of pairs. */
function pesBatches(w: Float32Array, batches: number, pairs: number): number[][] {
  const options: PesOptions = {
    pairs,
    sigma: 0.003,
    truncation: { unrollSteps: K, minHorizon: K * UNROLLS, maxHorizon: K * UNROLLS },
    metaLoss: META,
    mask,
  };
  const source = { families: { fixed: family }, train: { families: ['fixed'], dimRange: [4, 4] as [number, number] } };
  const out: number[][] = [];
  for (let b = 0; b < batches; b++) {
    const state = pesInit(def.weightCount, pairs, new Rng(10 + b), new Rng(20 + b));
    const cache = new TaskCache();
    const sum = [0, 0];
    for (let u = 0; u < UNROLLS; u++) {
      const g = pesStep(def as never, w, state, source, options, cache).grad;
      sum[0] += g[bias.offset]!;
      sum[1] += g[bias.offset + 1]!;
    }
    out.push(sum);
  }
  return out;
}

describe('PES on the Adafactor-MLP against finite differences', () => {
  it('the estimate summed over a task matches the finite-difference meta-gradient of a naive loop', () => {
    const w = theta();
    const fd = [finiteDifference(w, bias.offset, 1e-3), finiteDifference(w, bias.offset + 1, 1e-3)];
    // The finite difference is stable in its step (the loss is smooth at this scale).
    expect(finiteDifference(w, bias.offset + 1, 3e-3)).toBeCloseTo(fd[1]!, 1);
    const batches = pesBatches(w, 8, 100);
    const scale = Math.hypot(fd[0]!, fd[1]!);
    for (let j = 0; j < 2; j++) {
      const xs = batches.map((b) => b[j]!);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const se = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) / xs.length);
      expect(Math.abs(mean - fd[j]!)).toBeLessThan(4 * se + 0.03 * scale);
      expect(se).toBeLessThan(0.15 * scale);
    }
  });
});
