import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/optimus/backend.ts';
import { KINEMATIC_DEFAULTS } from '../../src/reconstruct/kinematic.ts';
import { registryOptimizer } from '../../src/reconstruct/optimizers.ts';
import { runOptimizer } from '../../src/reconstruct/run-optimizer.ts';
import { kinematicWindowFamily } from '../../src/reconstruct/window-tasks.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

const checkpoint = join(PROJECT_ROOT, 'models/optimus-motion.json');

describe('Optimus trained for motion', () => {
  // A kinematic window (exact gradients): a physics window costs ~0.4 s per evaluation, too slow for CI.
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
});
