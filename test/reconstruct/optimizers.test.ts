import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/optimus/checkpoint.ts';
import { optimusDef } from '../../src/optimus/learned.ts';
import { runWithBudget } from '../../src/optimus/minimize.ts';
import { checkedObjective } from '../../src/optimus/objectives/module.ts';
import { getObjective } from '../../src/optimus/objectives/registry.ts';
import type { OptimusConfig } from '../../src/optimus/optimus.ts';
import { learnedCheckpointPath, stageOptimizer } from '../../src/reconstruct/optimizers.ts';

describe('pipeline optimizers', () => {
  const path = learnedCheckpointPath('optimus');

  it('optimusPrior replaces the checkpoint\'s prior settings and keeps its weights', () => {
    const { objective, x0 } = checkedObjective(getObjective('powell'), 40, 'builtin', 0);
    const run = (o: ReturnType<typeof stageOptimizer>) => runWithBudget(o, objective, x0, 60).finalValue;
    const { def, weights } = loadCheckpoint(path ?? 'models/optimus-bench.json', 'optimus');
    expect((def.config as OptimusConfig).diagonalBlend).toBeGreaterThan(0);
    const withPrior = run(stageOptimizer('optimus', { seed: 0, dim: 40, optimusPrior: { diagonalBlend: 0 } }));
    expect(withPrior).toBe(run(optimusDef({ ...(def.config as OptimusConfig), diagonalBlend: 0 }).create(weights)));
    expect(withPrior).not.toBe(run(stageOptimizer('optimus', { seed: 0, dim: 40 })));
  });
});
