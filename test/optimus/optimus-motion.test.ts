import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/optimus/backend.ts';
import { KINEMATIC_DEFAULTS } from '../../src/reconstruct/kinematic.ts';
import { PHYSICS_OPTIMUS_PRIOR } from '../../src/reconstruct/physics-options.ts';
import { registryOptimizer } from '../../src/reconstruct/optimizers.ts';
import { runOptimizer } from '../../src/reconstruct/run-optimizer.ts';
import { kinematicWindowFamily } from '../../src/reconstruct/window-tasks.ts';
import { physicsWindowTasks } from '../../src/reconstruct/window-tasks-physics.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

const checkpoint = join(PROJECT_ROOT, 'models/optimus-motion.json');

describe('Optimus trained for motion', () => {
  // A kinematic window (exact gradients, cheap); the physics window below is the stage's own problem.
  // The project's own demo clip, synthesized with a random camera, BlazePose noise and dropout: no shared data needed.
  it.skipIf(!existsSync(checkpoint))('lowers a short synthetic kinematic window\'s loss faster than Adam over its first 10 iterations', async () => {
    await initBackend('wasm');
    const family = kinematicWindowFamily({ name: 'demo', clips: ['demo-squat.bvh'], dir: join(PROJECT_ROOT, 'data') });
    const task = family.sample(3, 4);
    const run = (name: string, options: { checkpoint?: string }) =>
      runOptimizer(registryOptimizer(name, { seed: 0, learningRate: KINEMATIC_DEFAULTS.learningRate, ...options }), task.objective, task.x0, 10).curve;
    const optimus = run('optimus', { checkpoint });
    const adam = run('adam', {});
    const meanLog = (c: number[]) => c.reduce((a, v) => a + Math.log(v), 0) / c.length;
    expect(optimus[9]!).toBeLessThan(adam[9]!);
    expect(meanLog(optimus)).toBeLessThan(meanLog(adam));
  }, 30_000);

  // Four physics windows of the demo clip (their real loss, central differences over rollouts: 41 per
  // evaluation, ~0.5 s each) against Adam at the rate bench:motion's tuning picks on physics windows (1).
  // "Faster over the first 10 iterations" is the mean log loss along the curve, averaged over the windows:
  // at 117b4af the end points alone tie (Optimus lower at iteration 10 in 2 of 4; docs/notebook/optimus-motion.md).
  it.skipIf(!existsSync(checkpoint))('lowers short synthetic physics windows\' loss faster than Adam over their first 10 iterations', async () => {
    await initBackend('wasm');
    const workDir = mkdtempSync(join(tmpdir(), 'om-physics-window-'));
    try {
      const tasks = await physicsWindowTasks({ clips: ['demo-squat.bvh'], dir: join(PROJECT_ROOT, 'data'), variants: [16, 3, 7, 11], seconds: 1, windowsPerSlice: 1, workDir });
      expect(tasks).toHaveLength(4);
      const meanLog = (c: number[]) => c.reduce((a, v) => a + Math.log(v), 0) / c.length;
      const score = (name: string, options: { checkpoint?: string; learningRate?: number }) =>
        tasks.reduce((sum, task) => sum + meanLog(runOptimizer(registryOptimizer(name, { seed: 0, optimusPrior: PHYSICS_OPTIMUS_PRIOR, ...options }), task.objective, task.x0, 10).curve), 0) / tasks.length;
      expect(score('optimus', { checkpoint })).toBeLessThan(score('adam', { learningRate: 1 }));
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }, 600_000);
});
