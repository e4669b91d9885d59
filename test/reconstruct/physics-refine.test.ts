import { describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { prepareObservations } from '../../src/reconstruct/observations.ts';
import { chooseStageCheckpoint, learnedCheckpointPath } from '../../src/reconstruct/optimizers.ts';
import { physicsStageOptionsSchema, resolvePhysicsOptions } from '../../src/reconstruct/physics-options.ts';
import { runPhysics } from '../../src/reconstruct/physics-stage.ts';
import { jitteredPoses, keypointsFromLandmarks, squatPoses, testCamera } from './fixtures.ts';

/** Optimizer iterations on top of the sampling search (physics-options.ts RefineOptions). */
describe('physics stage: iterations refining the search', () => {
  const skel = createSkeleton({ height: 1.75 });
  const truth = squatPoses(skel, 21);
  const camera = testCamera();
  const obs = prepareObservations(keypointsFromLandmarks(truth.map((p) => landmarkPositions(skel, p)), camera), 'synthetic');
  const jittery = jitteredPoses(skel, truth, 11);
  // A small search keeps the test short; forward differences only.
  const base = { controller: { physical: { sampling: { samples: 8, beam: 2 } } }, windows: { size: 10 }, gradient: { centralShare: 0 } };

  it('on the tracking loss never ends a window above the search\'s controls, and starts each window from them', async () => {
    const carries: number[][] = [];
    const refine = { loss: 'tracking' as const, guard: true, carry: false };
    const r = await runPhysics(obs, skel, camera, 3.6, jittery, { ...base, iterations: 3, refine, onWindow: (s) => { carries.push(s.carry ?? []); } });
    const searchOnly = await runPhysics(obs, skel, camera, 3.6, jittery, { ...base, iterations: 0, refine });
    expect(r.windowCurves).toHaveLength(2);
    r.windowCurves.forEach((curve, i) => {
      expect(curve).toHaveLength(3);
      for (let k = 1; k < curve.length; k++) expect(curve[k]!).toBeLessThanOrEqual(curve[k - 1]!);
      expect(curve[2]!).toBeLessThanOrEqual(r.windowStarts[i]!);
    });
    // The first window starts where the search alone ends (same state, same search seed), and its
    // loss is the search's tracking cost: a few cm² per landmark for a body that stays up.
    expect(r.windowStarts[0]).toBe(searchOnly.windowStarts[0]);
    expect(r.windowStarts[0]!).toBeGreaterThan(0);
    expect(r.windowStarts[0]!).toBeLessThan(0.05);
    // No carry: every window's iterations start from its own search's controls.
    for (const c of carries) expect(c.every((v) => v === 0)).toBe(true);
    expect(r.accounting.falls).toBe(0);
  }, 120_000);

  it('refuses unknown refine options; opt-in iterations are guarded and start from the search by default', () => {
    const d = resolvePhysicsOptions({}).refine;
    expect(d).toEqual(resolvePhysicsOptions({ refine: {} }).refine);
    expect([d.guard, d.carry, d.checkpoint]).toEqual([true, false, 'models/optimus-motion.json']);
    expect(physicsStageOptionsSchema.safeParse({ refine: { loss: 'tracking', guard: true } }).success).toBe(true);
    expect(physicsStageOptionsSchema.safeParse({ refine: { loss: 'reprojection' } }).success).toBe(false);
    expect(physicsStageOptionsSchema.safeParse({ refine: { guards: true } }).success).toBe(false);
  });

  it('gives the iterations their own checkpoint unless reconstruct --checkpoint chose one', () => {
    const own = learnedCheckpointPath('optimus', undefined, 'models/optimus-motion-physics.json')!;
    expect(own.endsWith('models/optimus-motion-physics.json')).toBe(true);
    expect(learnedCheckpointPath('optimus')!.endsWith('models/optimus-bench.json')).toBe(true);
    chooseStageCheckpoint(own.replace('optimus-motion-physics', 'optimus-motion'));
    try {
      expect(learnedCheckpointPath('optimus', undefined, 'models/optimus-motion-physics.json')!.endsWith('models/optimus-motion.json')).toBe(true);
    } finally {
      chooseStageCheckpoint(null);
    }
  });
});
