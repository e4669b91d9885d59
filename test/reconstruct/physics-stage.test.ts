import { describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { prepareObservations } from '../../src/reconstruct/observations.ts';
import { OPTIMIZER_NAMES } from '../../src/reconstruct/optimizers.ts';
import { runPhysics } from '../../src/reconstruct/physics-stage.ts';
import { keypointsFromLandmarks, squatPoses, testCamera } from './fixtures.ts';

describe('physics stage', () => {
  const skel = createSkeleton({ height: 1.75 });
  const poses = squatPoses(skel, 5);
  const camera = testCamera();
  const obs = prepareObservations(keypointsFromLandmarks(poses.map((p) => landmarkPositions(skel, p)), camera), 'synthetic');

  it.each(OPTIMIZER_NAMES)('reduces its loss on a short synthetic window with %s', async (optimizer) => {
    // Quasi-Newton line searches spend several rollouts batches per iteration: one iteration is their budget.
    const iterations = optimizer === 'lbfgs' || optimizer === 'bfgs' ? 1 : 2;
    const r = await runPhysics(obs, skel, camera, 3.6, poses, { optimizer, iterations, knots: 1, residual: false, windowSize: 4 });
    expect(r.windowCurves).toHaveLength(1);
    expect(r.blowUps).toEqual([]);
    expect(r.poses).toHaveLength(5);
    expect(r.lossCurve[r.lossCurve.length - 1]!).toBeLessThan(r.windowStarts[0]!);
    expect(r.rollouts).toBeGreaterThan(20);
  }, 60_000);
});
