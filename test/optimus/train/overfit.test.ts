import { describe, expect, it } from 'vitest';
import { adafacMlpDef, type LearnedOptimizerDef } from '../../../src/optimus/learned.ts';
import { trainConfigSchema, type TrainConfigInput } from '../../../src/optimus/train/config.ts';
import { TaskCache } from '../../../src/optimus/train/pes.ts';
import { trainableMask, trainingFamilies } from '../../../src/optimus/train/registry.ts';
import { trainerInit, trainerStep, trainerValidate, type TrainerSetup } from '../../../src/optimus/train/trainer.ts';
import type { TaskFamily } from '../../../src/optimus/types.ts';

/**
 * The trainer must be able to overfit ONE task: the Adafactor-MLP's output layer, trained by
 * PES on a single fixed task with the shipped pipeline's meta-loss, lowers both its training
 * meta-loss and its validation scores (meta-loss and the bench's log10 gap) on that same task.
 * If this fails, no amount of compute on the task distribution will help.
 */
const TASK = { family: 'rosenbrock', dim: 4, seed: 7 };
const one = trainingFamilies()[TASK.family]!.sample(TASK.seed, TASK.dim);
const families: Record<string, TaskFamily> = { one: { name: 'one', sample: () => one } };

const CONFIG: TrainConfigInput = {
  kind: 'adafac-mlp',
  architecture: { baseStep: 1 },
  seed: 1,
  population: 6,
  sigma: 0.03,
  truncation: { unrollSteps: 10, minHorizon: 60, maxHorizon: 60 },
  metaLoss: { epsilon: 1e-14, maxRatio: 1e3, value: 'best', countFrom: 0.5 },
  outerAdam: { learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  clipNorm: 1000,
  tasks: {
    train: { families: ['one'], dimRange: [TASK.dim, TASK.dim] },
    validation: { families: ['one'], dims: [TASK.dim], seeds: [0] },
    heldOut: [{ families: ['one'], dims: [TASK.dim], seeds: [0] }],
  },
  evalGradEvals: 60,
  trainable: ['@output'],
};

describe('PES trainer on one fixed task', () => {
  it('overfits it: training meta-loss, validation meta-loss and log10 gap all fall', () => {
    const config = trainConfigSchema.parse(CONFIG);
    const def = adafacMlpDef(config.architecture) as unknown as LearnedOptimizerDef;
    const setup: TrainerSetup = { def, families, config, mask: trainableMask(def, config.trainable!) };
    const state = trainerInit(setup, config.seed);
    const before = trainerValidate(setup, state);
    const cache = new TaskCache();
    for (let i = 0; i < 150; i++) trainerStep(setup, state, cache);
    const after = trainerValidate(setup, state);
    const losses = state.metaLossHistory.filter(Number.isFinite);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(state.skippedSteps).toBe(0);
    expect(mean(losses.slice(-30))).toBeLessThan(mean(losses.slice(0, 30)) - 0.5);
    expect(after.metaLoss).toBeLessThan(before.metaLoss - 0.5);
    expect(after.meanLog10Gap!).toBeLessThan(before.meanLog10Gap! - 0.2);
  });
});
