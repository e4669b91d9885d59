import { describe, expect, it } from 'vitest';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { squatMotion, standingMotion } from '../../src/body/procedural.ts';
import { createSyncRolloutPool } from '../../src/physics/pool.ts';
import { trackPhysically } from '../../src/physics/tracking.ts';

const skel = createSkeleton();

describe('fully physical controller (no external force)', () => {
  it('keeps a standing humanoid up for 10 s with joint torques alone', async () => {
    const pool = await createSyncRolloutPool({ workers: 0 });
    const r = await trackPhysically(skel, standingMotion(skel, { seconds: 10, fps: 30 }), 30, { sampling: null, workers: 0 }, pool);
    expect(r.frames).toBe(300);
    expect(r.fallTime).toBeNull();
    expect(r.trackedSeconds).toBe(10);
    // Read from the rollout: nothing pushed the body, and the joint torques summed to zero.
    expect(r.residualForce).toBe(0);
    expect(r.netTorque).toBeLessThan(1e-9);
    // Still standing where it started: the pelvis within 5 cm of the reference at the end.
    const J = skel.joints.length, last = (r.frames - 1) * J * 7;
    expect(Math.abs(r.bodies[last + 1]! - skel.rootHeight)).toBeLessThan(0.05);
    expect(r.mpjpe).toBeLessThan(30);
  }, 60_000);

  it('tracks a squat with the sampling search and reports zero external force from its rollouts', async () => {
    const pool = await createSyncRolloutPool({ workers: 0 });
    const squat = squatMotion(skel, { seconds: 1.2, fps: 30, depth: 0.6 });
    const r = await trackPhysically(skel, squat, 30, { sampling: { samples: 16, beam: 2 } }, pool);
    const alone = await trackPhysically(skel, squat, 30, { sampling: null }, pool);
    expect(r.fallTime).toBeNull();
    expect(r.frames).toBe(36);
    expect(r.residualForce).toBe(0);
    expect(r.netTorque).toBeLessThan(1e-9);
    expect(r.restarts).toBe(0);
    expect(r.rollouts).toBe(12 * 16);
    // The search keeps the body closer to the reference than the controller alone (measured 68 against 109 mm).
    expect(r.mpjpe).toBeLessThan(0.8 * alone.mpjpe);
  }, 60_000);

  it('reports a motion it cannot follow as a fall and keeps simulating it (no teleport)', async () => {
    // The reference levitates: the pelvis rises 1 m in 1 s with the feet off the floor.
    const motion = standingMotion(skel, { seconds: 1.5, fps: 30 }).map((p, k) => ({
      ...p, rootPosition: [p.rootPosition[0], p.rootPosition[1] + Math.min(1, k / 30), p.rootPosition[2]] as [number, number, number],
    }));
    const pool = await createSyncRolloutPool({ workers: 0 });
    const r = await trackPhysically(skel, motion, 30, { sampling: { samples: 6, beam: 1 }, stopOnFall: false }, pool);
    expect(r.falls).toBeGreaterThan(0);
    expect(r.fallTime).not.toBeNull();
    expect(r.trackedSeconds).toBeLessThan(1.5);
    // Every frame was simulated from the previous one: the pelvis never jumps between frames.
    expect(r.frames).toBe(45);
    const J = skel.joints.length;
    for (let k = 1; k < r.frames; k++) {
      const a = (k - 1) * J * 7, b = k * J * 7;
      expect(Math.hypot(r.bodies[b]! - r.bodies[a]!, r.bodies[b + 1]! - r.bodies[a + 1]!, r.bodies[b + 2]! - r.bodies[a + 2]!)).toBeLessThan(0.1);
    }
    expect(r.residualForce).toBe(0);
  }, 60_000);
});
