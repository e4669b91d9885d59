import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRAIN_SEED_BASE } from '../../src/optimus/train/task-distribution.ts';
import { cmuSubject, EVALUATION_CLIPS, TRAINING_CLIPS, TRAINING_VARIANTS, variantOfSeed, windowTaskFamilies } from '../../src/reconstruct/window-tasks.ts';
import { physicsWindowTasks } from '../../src/reconstruct/window-tasks-physics.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';

const mocap = sharedDataPath('mocap');

describe('reconstruction windows as tasks', () => {
  it('keeps training and evaluation clips apart: no clip, no CMU subject, no synthesized variant in both', () => {
    expect(TRAINING_CLIPS.filter((c) => EVALUATION_CLIPS.includes(c))).toEqual([]);
    const trainSubjects = new Set(TRAINING_CLIPS.map(cmuSubject));
    expect(EVALUATION_CLIPS.map(cmuSubject).filter((s) => trainSubjects.has(s))).toEqual([]);
    // Evaluation and validation seeds (below TRAIN_SEED_BASE) never get a training variant.
    const trainingVariants = new Set(Array.from({ length: 1000 }, (_, i) => variantOfSeed(TRAIN_SEED_BASE + i * 7919)));
    expect([...trainingVariants].every((v) => v < TRAINING_VARIANTS)).toBe(true);
    expect(Array.from({ length: 200 }, (_, s) => variantOfSeed(s)).some((v) => trainingVariants.has(v))).toBe(false);
  });

  it.skipIf(!mocap)('gives the same kinematic window for the same seed, another for another seed, from the right clips', () => {
    const a = windowTaskFamilies(mocap!)['kinematic-window']!.sample(TRAIN_SEED_BASE + 3);
    const b = windowTaskFamilies(mocap!)['kinematic-window']!.sample(TRAIN_SEED_BASE + 3);
    const c = windowTaskFamilies(mocap!)['kinematic-window']!.sample(TRAIN_SEED_BASE + 4);
    expect(a.objective.name).toBe(b.objective.name);
    const z = Float64Array.from(a.x0, (_, i) => 0.1 * Math.sin(i));
    const ra = a.objective.valueAndGrad(z), rb = b.objective.valueAndGrad(z);
    expect(ra.value).toBe(rb.value);
    expect(Array.from(ra.grad)).toEqual(Array.from(rb.grad));
    expect(c.objective.name).not.toBe(a.objective.name);
    expect(ra.value).toBeGreaterThan(0);
    expect(a.objective.minimum).toBe(0);
    expect(TRAINING_CLIPS.some((clip) => a.objective.name.includes(clip))).toBe(true);
    const e = windowTaskFamilies(mocap!)['kinematic-window-eval']!.sample(5);
    expect(EVALUATION_CLIPS.some((clip) => e.objective.name.includes(clip))).toBe(true);
  });

  it.skipIf(!mocap)('builds the same physics window twice from the same variant (the stage\'s loss over rollouts)', async () => {
    const build = () => physicsWindowTasks({ clips: [EVALUATION_CLIPS[0]!], variants: [16], seconds: 0.5, windowsPerSlice: 1, workDir: mkdtempSync(join(tmpdir(), 'om-physics-task-')) });
    const [a] = await build();
    const [b] = await build();
    expect(a!.objective.dim).toBe(b!.objective.dim);
    expect(a!.rolloutsPerEvaluation).toBe(2 * a!.objective.dim + 1);
    const z = Float64Array.from(a!.x0, (_, i) => 0.2 * Math.cos(i));
    const ra = a!.objective.valueAndGrad(z), rb = b!.objective.valueAndGrad(z);
    expect(ra.value).toBe(rb.value);
    expect(Array.from(ra.grad)).toEqual(Array.from(rb.grad));
    expect(ra.value).not.toBe(a!.objective.valueAndGrad(a!.x0).value);
  }, 60_000);
});
