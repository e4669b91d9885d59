import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.ts';
import { trainConfigSchema, type TrainConfigInput } from '../../../src/optimus/train/config.ts';
import { heldOutGain, runTraining, readTrainConfig } from '../../../src/optimus/train/run.ts';
import { TaskCache } from '../../../src/optimus/train/pes.ts';
import { trainerInit, trainerStep, trainerValidate, encodeTrainer, decodeTrainer, type TrainerSetup } from '../../../src/optimus/train/trainer.ts';
import { learnedSgdDef } from '../../../src/optimus/train/learned-sgd.ts';
import { toyQuadraticFamily } from '../../../src/optimus/train/toy-families.ts';
import type { LearnedOptimizerDef } from '../../../src/optimus/learned.ts';

/** A fixed toy family and the trainer's own learned SGD: fast enough for CI. */
const TOY: TrainConfigInput = {
  kind: 'learned-sgd',
  seed: 3,
  outerSteps: 20,
  population: 4,
  sigma: 0.05,
  truncation: { unrollSteps: 5, minHorizon: 10, maxHorizon: 30 },
  outerAdam: { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  tasks: {
    train: { families: ['toy-quadratic'], dimRange: [2, 8] },
    validation: { families: ['toy-quadratic'], dims: [4], seeds: [1, 2, 3] },
    heldOut: [{ families: ['toy-quadratic'], dims: [3, 16], seeds: [10, 11] }],
  },
  evalEvery: 10,
  evalGradEvals: 30,
  checkpointEvery: 4,
};

const families = { 'toy-quadratic': toyQuadraticFamily() };
const learnedOptimizers = { 'learned-sgd': (a: Record<string, unknown>) => learnedSgdDef(a) as unknown as LearnedOptimizerDef };

function setupFor(input: TrainConfigInput): TrainerSetup {
  const config = trainConfigSchema.parse(input);
  return { def: learnedOptimizers['learned-sgd'](config.architecture), families, config };
}

describe('PES trainer', () => {
  it('a 20-step smoke run lowers the validation meta-loss on a fixed toy family', () => {
    const setup = setupFor(TOY);
    const state = trainerInit(setup, 3);
    const before = trainerValidate(setup, state).metaLoss;
    const cache = new TaskCache();
    for (let i = 0; i < 20; i++) trainerStep(setup, state, cache);
    const after = trainerValidate(setup, state).metaLoss;
    expect(state.skippedSteps).toBe(0);
    expect(after).toBeLessThan(before - 0.5);
    // The learned learning rate grew from its too-small start.
    expect(Math.exp(state.weights[0]!)).toBeGreaterThan(0.02);
  });

  it('trainer state round-trips exactly through its JSON encoding', () => {
    const setup = setupFor(TOY);
    const a = trainerInit(setup, 5);
    const cache = new TaskCache();
    for (let i = 0; i < 3; i++) trainerStep(setup, a, cache);
    const b = decodeTrainer(JSON.parse(JSON.stringify(encodeTrainer(a))), setup);
    for (let i = 0; i < 4; i++) {
      trainerStep(setup, a, cache);
      trainerStep(setup, b, new TaskCache());
    }
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    expect(JSON.stringify(encodeTrainer(b))).toBe(JSON.stringify(encodeTrainer(a)));
  });

  it('a NaN meta-loss skips the update, keeps the last good weights and restarts the pair', () => {
    const setup = setupFor({ ...TOY, population: 2 });
    // A family whose objective turns NaN after a few steps for one task seed pattern.
    const nanFamily = {
      name: 'nan',
      sample: (seed: number, dim = 2) => {
        const t = toyQuadraticFamily().sample(seed, dim);
        let calls = 0;
        return { x0: t.x0, objective: { ...t.objective, valueAndGrad: (x: Float64Array) => (++calls > 3 ? { value: NaN, grad: new Float64Array(dim).fill(NaN) } : t.objective.valueAndGrad(x)) } };
      },
    };
    const s2: TrainerSetup = { ...setup, families: { 'toy-quadratic': nanFamily } };
    const state = trainerInit(s2, 1);
    const w0 = Float32Array.from(state.weights);
    const report = trainerStep(s2, state, new TaskCache());
    expect(report.skipped).toBe(true);
    expect(state.skippedSteps).toBe(1);
    expect(Array.from(state.weights)).toEqual(Array.from(w0));
    expect(state.pes.pairs.every((p) => p.unrollsLeft === 0)).toBe(true);
  });
});

describe('runTraining files', () => {
  const configFile = (dir: string, input: unknown) => {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify(input));
    return path;
  };

  it('resume after a simulated kill gives exactly the weights of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-resume-'));
    const config = trainConfigSchema.parse({ ...TOY, outerSteps: 14 });
    const common = { config, configSource: 'toy', families, learnedOptimizers };
    const full = await runTraining({ ...common, out: join(dir, 'a.json'), statePath: join(dir, 'a.state.json') });

    const out = join(dir, 'b.json');
    const statePath = join(dir, 'b.state.json');
    // Killed at step 10: the last periodic checkpoint on disk is the one of step 8.
    await expect(runTraining({ ...common, out, statePath, onStep: (r) => { if (r.outerStep === 10) throw new Error('killed'); } })).rejects.toThrow('killed');
    const mid = JSON.parse(readFileSync(out, 'utf8'));
    expect(mid.provenance.status).toBe('training'); // the model file is valid while training
    const resumed = await runTraining({ ...common, out, statePath, resume: true });
    expect(resumed.state.outerStep).toBe(14);
    expect(Array.from(resumed.state.weights)).toEqual(Array.from(full.state.weights));
    const model = JSON.parse(readFileSync(out, 'utf8'));
    expect(model.provenance.status).toBe('complete');
    expect(model.provenance.outerSteps).toBe(14);
    expect(model.provenance.heldOut.length).toBe(2);
    expect(model.provenance.heldOutTasks[0].seeds).toEqual([10, 11]);
  });

  it('a resume may change only the final evaluation (held-out grid, budget, acceptance); --minutes 0 re-runs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-reeval-'));
    const files = { out: join(dir, 'm.json'), statePath: join(dir, 's.json') };
    const common = { configSource: 'toy', families, learnedOptimizers, ...files };
    const first = await runTraining({ ...common, config: trainConfigSchema.parse(TOY) });
    const heldOut = [{ families: ['toy-quadratic'], dims: [5], seeds: [20, 21, 22] }];
    const again = await runTraining({ ...common, config: trainConfigSchema.parse({ ...TOY, tasks: { ...TOY.tasks, heldOut } }), resume: true, minutes: 0 });
    expect(again.state.outerStep).toBe(first.state.outerStep);
    const model = JSON.parse(readFileSync(files.out, 'utf8'));
    expect(model.provenance.heldOutTasks).toEqual(heldOut);
    expect(model.weights).toEqual(Array.from(first.state.best!.weights));
    await expect(runTraining({ ...common, config: trainConfigSchema.parse({ ...TOY, sigma: 0.1 }), resume: true, minutes: 0 })).rejects.toThrow(/different config/);
  });

  it('acceptOnHeldOut ships trained weights that beat the untrained ones on the held-out tasks, else the untrained ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-accept-'));
    const common = { configSource: 'toy', families, learnedOptimizers };
    // The toy's learned learning rate starts too small, so 20 steps of training win on every cell.
    const heldOut = [{ families: ['toy-quadratic'], dims: [2, 3, 5, 8, 16], seeds: [10, 11] }];
    const trained = await runTraining({ ...common, config: trainConfigSchema.parse({ ...TOY, acceptOnHeldOut: true, tasks: { ...TOY.tasks, heldOut } }), out: join(dir, 'a.json'), statePath: join(dir, 'a.state.json') });
    const a = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
    expect(a.provenance.heldOutGain.better).toBe(true);
    expect(a.weights).toEqual(Array.from(trained.state.best!.weights));
    // Updates too small to matter: no gain, so the untrained weights ship and the selected step is recorded.
    const tiny = { ...TOY, acceptOnHeldOut: true, outerAdam: { ...TOY.outerAdam!, learningRate: 1e-7 } };
    await runTraining({ ...common, config: trainConfigSchema.parse(tiny), out: join(dir, 'b.json'), statePath: join(dir, 'b.state.json') });
    const b = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
    expect(b.provenance.heldOutGain.better).toBe(false);
    expect(b.weights).toEqual(Array.from(learnedSgdDef().initWeights(TOY.seed!)));
    expect(b.provenance.shippedWeights.from).toMatch(/^initWeights/);
    expect(b.provenance.shippedWeights.rejected.step).toBeGreaterThanOrEqual(0);
  });

  it('heldOutGain: a gain counts only when the mean is lower by more than two paired standard errors over the cells', () => {
    const cell = (t: number, u: number) => ({ family: 'f', dim: 2, seeds: [0], meanLog10Gap: { k: t, 'k (untrained)': u }, metaLoss: {} });
    expect(heldOutGain([cell(-2, -1), cell(-1.9, -1), cell(-2.1, -1)], 'k')).toMatchObject({ better: true, cellsBetter: 3, cellsWorse: 0 });
    // Lower mean, from one cell against two that lose a little: within the noise, no gain.
    expect(heldOutGain([cell(-5, -1), cell(-0.9, -1), cell(-0.9, -1)], 'k').better).toBe(false);
    expect(heldOutGain([cell(-1, -1.005), cell(-1, -1)], 'k')).toMatchObject({ better: false, cellsBetter: 0, cellsWorse: 0 });
  });

  it('refuses a corrupt checkpoint on --resume and leaves it untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-corrupt-'));
    const statePath = join(dir, 's.json');
    writeFileSync(statePath, '{"format": "optimus-motion/train-state@1", "trai');
    const config = trainConfigSchema.parse(TOY);
    const run = runTraining({ config, configSource: 'toy', families, learnedOptimizers, out: join(dir, 'm.json'), statePath, resume: true });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(/corrupt training state/);
    expect(readFileSync(statePath, 'utf8')).toBe('{"format": "optimus-motion/train-state@1", "trai');
    expect(existsSync(join(dir, 'm.json'))).toBe(false);
  });

  it('refuses bad configs before training starts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-config-'));
    expect(() => readTrainConfig(configFile(dir, { ...TOY, learningRat: 1 }))).toThrow(/Unrecognized key|unrecognized/i);
    expect(() => readTrainConfig(configFile(dir, { ...TOY, population: -4 }))).toThrow(/population/);
    expect(() => readTrainConfig(configFile(dir, { ...TOY, truncation: { unrollSteps: 0, minHorizon: 10, maxHorizon: 20 } }))).toThrow(/truncation\.unrollSteps/);
    expect(() => readTrainConfig(configFile(dir, { ...TOY, kind: 'nope' }))).toThrow(/unknown kind "nope"/);
    expect(() => readTrainConfig(configFile(dir, { ...TOY, tasks: { ...TOY.tasks, heldOut: [{ families: ['toy-quadratic'], dims: [2], seeds: [1 << 21] }] } }))).toThrow(/below/);
  });
});
