import { describe, expect, it } from 'vitest';
import { optimusDef } from '../../src/optimus/learned.ts';
import type { OptimusState } from '../../src/optimus/optimus.ts';
import type { Objective } from '../../src/optimus/types.ts';

/**
 * The start point is the only acceptable one: every trial is refused. The gradient is the bowl's,
 * so a refused trial's curvature pair is kept (sᵀy > 0) — unless the trial is non-finite.
 */
function onlyStart(x0: Float64Array, elsewhere: number): Objective {
  return {
    name: 'only-start',
    dim: x0.length,
    valueAndGrad: (x) => ({ value: x.every((v, i) => v === x0[i]) ? 0 : elsewhere, grad: Float64Array.from(x) }),
  };
}

function refusedSteps(maxBackoff: number, elsewhere: number): OptimusState {
  const def = optimusDef({ maxBackoff });
  const opt = def.create(def.initWeights(0));
  const x0 = Float64Array.from({ length: 20 }, (_, i) => 1 + 0.1 * i);
  const obj = onlyStart(x0, elsewhere);
  let state = opt.init(obj, x0) as unknown as OptimusState;
  for (let k = 0; k < 8; k++) state = opt.step(obj, state as never) as unknown as OptimusState;
  return state;
}

describe('Optimus: halving after refused steps', () => {
  it('refusals whose pairs enter the model halve the next trial at most maxBackoff times', () => {
    const capped = refusedSteps(1, 1);
    expect(capped.rejectedSteps).toBe(8);
    expect(capped.pairs.length).toBe(8);
    expect(capped.backoff).toBe(-1);
    expect(refusedSteps(0, 1).backoff).toBe(-8); // 0: no bound (checkpoints written before the cap)
  });

  it('non-finite trials (no pair kept) still halve every time', () => {
    const s = refusedSteps(1, NaN);
    expect(s.pairs.length).toBe(0);
    expect(s.backoff).toBe(-8);
  });
});
