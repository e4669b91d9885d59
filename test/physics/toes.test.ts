import { describe, expect, it } from 'vitest';
import { angleCount, anglesFromPose, createSkeleton } from '../../src/body/index.ts';
import { squatPose, standingMotion } from '../../src/body/procedural.ts';
import { HumanoidSim, humanoidSnapshot, loadRapier, rolloutWith } from '../../src/physics/index.ts';
import { TOE_DEFAULTS } from '../../src/physics/humanoid.ts';
import { trackPhysically } from '../../src/physics/tracking.ts';

const skel = createSkeleton();
const toes = TOE_DEFAULTS;

describe('toe segments', () => {
  it('take their mass from the feet, and the ground force on them counts for their foot', async () => {
    const R = await loadRapier();
    const rigid = await humanoidSnapshot(skel, { pose: squatPose(skel, 0) });
    const toed = await humanoidSnapshot(skel, { pose: squatPose(skel, 0) }, { toes });
    expect(rigid.layout.toes).toBeNull();
    expect(toed.layout.toes!.bodies.every((h) => h >= 0)).toBe(true);
    expect(HumanoidSim.massOf(R, toed.layout, toed.snapshot)).toBeCloseTo(HumanoidSim.massOf(R, rigid.layout, rigid.snapshot), 6);
    // Standing 0.5 s: the feet (toes included) carry the weight, nothing touches with another body.
    const K = 15, D = angleCount(skel);
    const targets = new Float64Array((K + 1) * D);
    for (let k = 0; k <= K; k++) targets.set(anglesFromPose(skel, squatPose(skel, 0)), k * D);
    const r = rolloutWith(R, toed.layout, toed.snapshot, { targets, stepsPerControl: 4, intervals: K });
    const last = (r.frames - 1) * 3;
    const weight = HumanoidSim.massOf(R, toed.layout, toed.snapshot) * 9.81;
    expect(r.groundForce[last + 2]!).toBe(0);
    expect(Math.abs((r.groundForce[last]! + r.groundForce[last + 1]!) / weight - 1)).toBeLessThan(0.03);
  }, 60_000);

  it('keep a standing humanoid up for 10 s with joint torques alone', async () => {
    const r = await trackPhysically(skel, standingMotion(skel, { seconds: 10, fps: 30 }), 30, { sampling: null, workers: 0, physics: { toes } });
    expect(r.fallTime).toBeNull();
    expect(r.trackedSeconds).toBe(10);
    expect(r.residualForce).toBe(0);
    expect(r.mpjpe).toBeLessThan(30);
  }, 60_000);
});
