import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseStageCheckpoint, describeOptimizer, learnedCheckpointPath, stageOptimizer, withStageOptimizerHook } from '../../src/reconstruct/optimizers.ts';
import { describePhysicsOptimizer } from '../../src/reconstruct/physics-stage.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

const bench = join(PROJECT_ROOT, 'models/optimus-bench.json');

describe('the stages\' Optimus checkpoint (reconstruct --checkpoint)', () => {
  afterEach(() => chooseStageCheckpoint(null));

  it('is loaded by every stage once chosen, and reports name it with the hash of its bytes', () => {
    chooseStageCheckpoint(bench);
    expect(learnedCheckpointPath('optimus')).toBe(bench);
    const hash = createHash('sha256').update(readFileSync(bench)).digest('hex').slice(0, 16);
    expect(describeOptimizer('optimus')).toBe(`optimus (models/optimus-bench.json sha256:${hash})`);
    expect(describeOptimizer('lbfgs')).toBe('lbfgs');
    chooseStageCheckpoint(null);
    expect(learnedCheckpointPath('optimus', '/x/explicit.json')).toBe('/x/explicit.json');
  });

  it('refuses a file that is not an Optimus checkpoint with one line', () => {
    expect(() => chooseStageCheckpoint(join(PROJECT_ROOT, 'models/adafac-mlp-bench.json'))).toThrow(/checkpoint is for "adafac-mlp"/);
    expect(() => chooseStageCheckpoint('/nonexistent.json')).toThrow(/checkpoint file not found/);
  });

  it('lets a hook build the stages\' optimizers for the length of one call only', async () => {
    const seen: string[] = [];
    const made = await withStageOptimizerHook((name) => { seen.push(name); return null; }, async () => stageOptimizer('adam', { seed: 0 }));
    expect(seen).toEqual(['adam']);
    expect(made.name).toMatch(/adam/);
    stageOptimizer('adam', { seed: 0 });
    expect(seen).toEqual(['adam']);
  });
});

describe('the physics stage\'s iteration checkpoint in reports', () => {
  afterEach(() => chooseStageCheckpoint(null));

  it('names the stage default (the motion checkpoint), and --checkpoint over it', () => {
    expect(describePhysicsOptimizer()).toMatch(/^optimus \(models\/optimus-motion\.json sha256:[0-9a-f]{16}\)$/);
    expect(describePhysicsOptimizer({ refine: { checkpoint: null } })).toMatch(/models\/optimus-bench\.json/);
    chooseStageCheckpoint(bench);
    expect(describePhysicsOptimizer()).toMatch(/models\/optimus-bench\.json/);
    expect(describePhysicsOptimizer({ optimizer: 'adam' })).toBe('adam');
  });
});
