import { describe, expect, it } from 'vitest';
import { optimusDef } from '../../src/optimus/learned.ts';
import type { OptimusConfig, OptimusState } from '../../src/optimus/optimus.ts';
import type { Objective } from '../../src/optimus/types.ts';

/** A bowl with unequal curvatures: the first trial's direction is g, its length the rule's. */
const bowl = (n: number): Objective => ({
  name: 'bowl',
  dim: n,
  valueAndGrad: (x) => ({ value: x.reduce((s, v, i) => s + (1 + i) * v * v, 0), grad: x.map((v, i) => 2 * (1 + i) * v) }),
});

/** Length of the untrained network's first trial step (its heads are zero, so α = baseStep = 1). */
function firstStepLength(firstStep: OptimusConfig['firstStep'], n: number): number {
  const def = optimusDef({ firstStep });
  const opt = def.create(def.initWeights(0));
  const x0 = Float64Array.from({ length: n }, (_, i) => 3 - 0.1 * i);
  const s0 = opt.init(bowl(n), x0) as unknown as OptimusState;
  const s1 = opt.step(bowl(n), s0 as never) as unknown as OptimusState;
  return s1.lastStepLength;
}

describe('Optimus: the first step, before any curvature pair', () => {
  it("'norm' moves α in norm at any dimension; 'rms' moves every parameter α in RMS, as Adam's first step", () => {
    for (const n of [3, 20, 200]) {
      expect(firstStepLength('norm', n)).toBeCloseTo(1, 9);
      expect(firstStepLength('rms', n)).toBeCloseTo(Math.sqrt(n), 9);
    }
  });

  it("the default stays 'norm' (the function-trained checkpoint's prior)", () => {
    expect(optimusDef().config.firstStep).toBe('norm');
  });
});
