import { describe, expect, it } from 'vitest';
import { readTrainConfig, checkTaskNames } from '../../../src/optimus/train/run.ts';
import { LEARNED_OPTIMIZERS, trainingFamilies } from '../../../src/optimus/train/registry.ts';

/** The shipped training configs stay valid as the library evolves. */
describe('data/train configs', () => {
  for (const name of ['optimus-bench', 'adafac-mlp-bench']) {
    it(`${name}.json is valid, names known families, and keeps held-out families out of training`, () => {
      const path = `data/train/${name}.json`;
      const config = readTrainConfig(path);
      checkTaskNames(config, trainingFamilies(), path);
      const def = LEARNED_OPTIMIZERS[config.kind]!(config.architecture);
      expect(def.initWeights(config.seed).length).toBe(def.weightCount);
      const train = new Set(config.tasks.train.families);
      const heldOutFamilies = config.tasks.heldOut.flatMap((g) => g.families).filter((f) => !train.has(f));
      expect(heldOutFamilies.length).toBeGreaterThan(0);
    });
  }

  it('the two trainings share the pipeline: tasks, budgets, truncation, population, seed, selection (fair comparison)', () => {
    // σ, the outer learning rate, the meta-loss and the architecture are tuned per learned optimizer,
    // and the MLP ships trained weights only if the held-out tasks confirm them (acceptOnHeldOut).
    const tuned = ['kind', 'architecture', 'sigma', 'outerAdam', 'metaLoss', 'acceptOnHeldOut'] as const;
    // The MLP's held-out grid has 10 seeds (100–109, apart from the study's 0–9), so its acceptance test can tell a gain from noise.
    const shared = (path: string) => {
      const c: Record<string, unknown> = { ...readTrainConfig(path) };
      for (const k of tuned) delete c[k];
      const { heldOut, ...tasks } = c.tasks as { heldOut: Array<{ families: string[]; dims: number[] }> };
      return { ...c, tasks, heldOutCells: heldOut.map((g) => ({ families: g.families, dims: g.dims })) };
    };
    expect(shared('data/train/optimus-bench.json')).toEqual(shared('data/train/adafac-mlp-bench.json'));
  });
});
