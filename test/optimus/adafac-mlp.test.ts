import { describe, expect, it } from 'vitest';
import { adafacMlpLayout } from '../../src/optimus/baselines/adafac-mlp.ts';
import { makeCheckpoint, parseCheckpoint } from '../../src/optimus/checkpoint.ts';
import { adafacMlpDef } from '../../src/optimus/learned.ts';
import { toyQuadraticFamily } from '../../src/optimus/train/toy-families.ts';
import { Rng } from '../../src/random.ts';

/** Best gap after `steps` steps of the MLP with a small random direction head (as PES perturbs it). */
function bestGap(directionUnits: 'adam-rms' | 'absolute', steps: number): number {
  const def = adafacMlpDef({ baseStep: 1, directionUnits });
  const layout = adafacMlpLayout(def.config);
  const w = def.initWeights(0);
  const out = layout.get('out.w');
  const rng = new Rng(4);
  for (let j = 0; j < def.config.hidden; j++) w[out.offset + 2 * j] = 0.01 * rng.normal();
  w[layout.get('out.b').offset] = 0.01;
  const { objective, x0 } = toyQuadraticFamily({ condition: 10 }).sample(1, 10);
  const opt = def.create(w);
  let state = opt.init(objective, x0);
  let best = Infinity;
  for (let k = 0; k < steps; k++) {
    state = opt.step(objective, state);
    best = Math.min(best, objective.valueAndGrad(state.x).value);
  }
  return best;
}

describe('Adafactor-MLP direction units', () => {
  it("a direction head of weights O(0.01) floors convergence in 'absolute' units, not in 'adam-rms' units", () => {
    const rel = bestGap('adam-rms', 200);
    const abs = bestGap('absolute', 200);
    // Measured: 2.8e-9 against 9.7e-4 (the untrained network, zero head, reaches 5.3e-9).
    expect(rel).toBeLessThan(1e-7);
    expect(abs).toBeGreaterThan(1e-4);
  });

  it("a checkpoint written before directionUnits existed loads in 'absolute' units; new ones in 'adam-rms'", () => {
    const def = adafacMlpDef({ directionUnits: 'absolute' });
    const ckpt = makeCheckpoint(def, def.initWeights(0), {}) as { config: Record<string, unknown> };
    const { directionUnits: _omit, ...old } = ckpt.config;
    expect(parseCheckpoint({ ...ckpt, config: old }, 'old.json').def.config).toMatchObject({ directionUnits: 'absolute' });
    const fresh = adafacMlpDef();
    expect(fresh.config.directionUnits).toBe('adam-rms');
    expect(parseCheckpoint(makeCheckpoint(fresh, fresh.initWeights(0), {}), 'new.json').def.config).toMatchObject({ directionUnits: 'adam-rms' });
  });
});
