import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.ts';
import { saveCheckpoint } from '../../../src/optimus/checkpoint.ts';
import { adafacMlpDef, optimusDef, type LearnedOptimizerDef } from '../../../src/optimus/learned.ts';
import { trainConfigSchema, type TrainConfigInput } from '../../../src/optimus/train/config.ts';
import { trainableMask, trainingFamilies, weightLayoutOf } from '../../../src/optimus/train/registry.ts';
import { runTraining } from '../../../src/optimus/train/run.ts';
import { TaskCache } from '../../../src/optimus/train/pes.ts';
import { isBetter, trainerInit, trainerStep } from '../../../src/optimus/train/trainer.ts';

/** A tiny adafac-mlp config on the real quadratic family (cheap: dim 2, 10 evaluations). */
const TINY: TrainConfigInput = {
  kind: 'adafac-mlp',
  seed: 1,
  outerSteps: 5,
  population: 1,
  truncation: { unrollSteps: 2, minHorizon: 4, maxHorizon: 4 },
  tasks: {
    train: { families: ['quadratic'], dimRange: [2, 3] },
    validation: { families: ['quadratic'], dims: [2], seeds: [7] },
    heldOut: [{ families: ['quadratic'], dims: [2], seeds: [8] }],
  },
  evalGradEvals: 10,
  heldOutGradEvals: 10,
};

describe('checkpoint selection and warm starts', () => {
  it("selectBy 'log10Gap' ranks by the bench metric, 'metaLoss' by the meta-loss", () => {
    const best = { metaLoss: -3, meanLog10Gap: -1 };
    const lowerLossWorseGap = { metaLoss: -4, meanLog10Gap: -0.5 };
    expect(isBetter('metaLoss', lowerLossWorseGap, best)).toBe(true);
    expect(isBetter('log10Gap', lowerLossWorseGap, best)).toBe(false);
    expect(isBetter('log10Gap', { metaLoss: -2, meanLog10Gap: -2 }, best)).toBe(true);
    // Where f* is unknown (no gap) the meta-loss decides.
    expect(isBetter('log10Gap', { metaLoss: -4, meanLog10Gap: null }, best)).toBe(true);
    expect(trainConfigSchema.parse(TINY).selectBy).toBe('metaLoss');
  });

  it('initFrom starts training from the weights of a checkpoint and refuses another kind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-init-'));
    const def = adafacMlpDef();
    const start = def.initWeights(42).map((w, i) => w + 0.001 * (i % 7));
    const from = join(dir, 'from.json');
    saveCheckpoint(from, def, start, {}, { note: 'fixture' });
    const config = trainConfigSchema.parse({ ...TINY, initFrom: from, selectBy: 'log10Gap' });
    const families = trainingFamilies();
    const r = await runTraining({ config, configSource: 'tiny', families, out: join(dir, 'm.json'), statePath: join(dir, 's.json'), maxStepsThisRun: 0 });
    expect(Array.from(r.state.weights)).toEqual(Array.from(start));
    expect(r.state.best?.step).toBe(0);
    expect(r.state.best?.meanLog10Gap).toBeTypeOf('number');

    const other = join(dir, 'optimus.json');
    const od = optimusDef();
    saveCheckpoint(other, od, od.initWeights(0), {}, { note: 'fixture' });
    const bad = trainConfigSchema.parse({ ...TINY, initFrom: other });
    const run = runTraining({ config: bad, configSource: 'tiny', families, out: join(dir, 'n.json'), statePath: join(dir, 't.json'), maxStepsThisRun: 0 });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(/initFrom .* holds a optimus checkpoint/);
  });
});

describe('trainable weights', () => {
  it('only the weights named by `trainable` move; a prefix that names nothing is refused', () => {
    const config = trainConfigSchema.parse({ ...TINY, population: 2, trainable: ['out.'] });
    const def = adafacMlpDef() as unknown as LearnedOptimizerDef;
    const mask = trainableMask(def, config.trainable!);
    const out = weightLayoutOf(def)!.entries.filter((e) => e.name.startsWith('out.')).reduce((n, e) => n + e.size, 0);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(out);
    const setup = { def, families: trainingFamilies(), config, mask };
    const state = trainerInit(setup, 2);
    const w0 = Float32Array.from(state.weights);
    const cache = new TaskCache();
    for (let i = 0; i < 3; i++) trainerStep(setup, state, cache);
    let movedTrained = 0;
    for (let i = 0; i < w0.length; i++) {
      if (!mask[i]) expect(state.weights[i]).toBe(w0[i]);
      else if (state.weights[i] !== w0[i]) movedTrained++;
    }
    expect(movedTrained).toBeGreaterThan(0);
    const od = optimusDef() as unknown as LearnedOptimizerDef;
    const heads = weightLayoutOf(od)!.entries.filter((e) => e.name.startsWith('head.')).reduce((n, e) => n + e.size, 0);
    expect(trainableMask(od, ['@output']).reduce((a, b) => a + b, 0)).toBe(heads);
    expect(trainableMask(def, ['@output'])).toEqual(mask);
    expect(() => trainableMask(optimusDef() as unknown as LearnedOptimizerDef, ['nothing.'])).toThrow(/matches no optimus weight/);
  });
});
