import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSkeleton, angleCount, anglesFromPose, JOINT_INDEX, angleOffsets } from '../../src/body/index.ts';
import { standingAngles, squatPose } from '../../src/body/procedural.ts';
import {
  humanoidSnapshot, runRollout, poseFromBodies, RolloutPool, loadRapier, type HumanoidLayout,
} from '../../src/physics/index.ts';

const skel = createSkeleton();
const D = angleCount(skel);
const off = angleOffsets(skel);

/** K knots all equal to one angle vector. */
const hold = (a: Float64Array, K: number): Float64Array => {
  const t = new Float64Array(K * D);
  for (let k = 0; k < K; k++) t.set(a, k * D);
  return t;
};

describe('physics humanoid', () => {
  let snapshot: Uint8Array;
  let layout: HumanoidLayout;
  beforeAll(async () => {
    await loadRapier();
    ({ snapshot, layout } = await humanoidSnapshot(skel, { pose: squatPose(skel, 0) }));
  });

  it('a PD joint reaches its target angle (hinge and ball joints, under gravity, standing)', async () => {
    const a = standingAngles(skel);
    a[off[JOINT_INDEX.left_forearm]!] = 1.2; // elbow
    a[off[JOINT_INDEX.right_upper_arm]! + 1] = 0.8; // right arm swings forward
    a[off[JOINT_INDEX.right_upper_arm]! + 2] = 0.6; // and down
    a[off[JOINT_INDEX.neck]!] = 0.3; // nod
    const r = await runRollout(layout, snapshot, { targets: hold(a, 30), stepsPerControl: 4 });
    expect(r.blowUp).toBeNull();
    expect(r.frames).toBe(30);
    const reached = anglesFromPose(skel, poseFromBodies(skel, r.bodies, r.frames - 1));
    for (const [joint, i] of [['left_forearm', 0], ['right_upper_arm', 1], ['right_upper_arm', 2], ['neck', 0]] as const) {
      const k = off[JOINT_INDEX[joint]]! + i;
      expect(Math.abs(reached[k]! - a[k]!), `${joint}[${i}]`).toBeLessThan(0.06);
    }
    // Still standing on both feet.
    expect(Array.from(r.contacts.slice(-2))).toEqual([1, 1]);
    expect(r.bodies[1]!).toBeGreaterThan(0.85);
  });

  it('reports a blow-up instead of returning garbage', async () => {
    const K = 10;
    const wrench = new Float64Array(K * 6);
    for (let k = 0; k < K; k++) wrench[k * 6 + 1] = 1e6; // a million newtons upwards
    const r = await runRollout(layout, snapshot, { targets: hold(standingAngles(skel), K), stepsPerControl: 4, rootWrench: wrench });
    expect(r.blowUp).not.toBeNull();
    expect(r.blowUp!.reason).toMatch(/m\/s|rad\/s|non-finite/);
    expect(r.frames).toBeLessThan(K);
    expect(r.landmarks.length).toBe(r.frames * 99);
    expect(r.landmarks.every(Number.isFinite)).toBe(true);
    expect(r.residualForce).toBeGreaterThan(1e5);
  });

  it('rollouts from a snapshot are bit-identical on the main thread and in a worker', async () => {
    const K = 12;
    const targets = new Float64Array(K * D);
    for (let k = 0; k < K; k++) {
      const a = anglesFromPose(skel, squatPose(skel, 0.05 * k));
      targets.set(a, k * D);
    }
    const spec = { targets, stepsPerControl: 4, endSnapshot: true };
    const main = await runRollout(layout, snapshot, spec);
    const again = await runRollout(layout, snapshot, spec);
    const pool = new RolloutPool({ workers: 1 });
    try {
      // A fresh pool used synchronously first: the calling thread blocks through the worker's start-up.
      const [w0] = pool.runBatchSync(layout, snapshot, [spec]);
      const [w1, w2] = await pool.runBatch(layout, snapshot, [spec, spec]);
      for (const r of [again, w0!, w1!, w2!]) {
        expect(r.frames).toBe(K);
        expect(Buffer.from(r.landmarks.buffer).equals(Buffer.from(main.landmarks.buffer))).toBe(true);
        expect(Buffer.from(r.bodies.buffer).equals(Buffer.from(main.bodies.buffer))).toBe(true);
        expect(Buffer.from(r.endSnapshot!).equals(Buffer.from(main.endSnapshot!))).toBe(true);
      }
    } finally {
      await pool.close();
    }
  }, 120_000); // worker start-up is slow on a loaded 2-core machine
});
