import { describe, expect, it } from 'vitest';
import {
  createSkeleton, restPose, JOINT_NAMES, JOINT_INDEX, skeletonDescription, angleCount, angleOffsets,
  poseFromAngles, anglesFromPose, clampPose, forwardKinematics, landmarkPositions,
} from '../../src/body/index.ts';
import { skeletonDescription as descriptionSchema } from '../../src/formats/skeleton.ts';
import { LANDMARK_INDEX, MEDIAPIPE_33 } from '../../src/formats/landmarks.ts';
import { quatFromRotationVector, type Vec3 } from '../../src/geometry/quaternion.ts';
import { UserError } from '../../src/errors.ts';

const close = (a: Vec3, b: Vec3, tol = 1e-9): void => {
  for (let i = 0; i < 3; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
};

describe('skeleton', () => {
  const skel = createSkeleton();

  it('has the documented joints, stature, mass and 33 landmarks', () => {
    expect(skel.joints.map((j) => j.name)).toEqual([...JOINT_NAMES]);
    expect(skel.height).toBeCloseTo(1.70, 6);
    expect(skel.segments.reduce((s, g) => s + g.mass, 0)).toBeCloseTo(skel.mass, 6);
    expect(skel.mass).toBeCloseTo(70, 0);
    expect(skel.landmarks.map((l) => l.name)).toEqual([...MEDIAPIPE_33]);
    expect(skel.joints[0]!.dof).toBe(6);
    expect(skel.joints[JOINT_INDEX.left_shin]!.dof).toBe(1);
    expect(angleCount(skel)).toBe(40);
    for (const j of skel.joints.slice(1)) expect(j.parent).toBeLessThan(skel.joints.indexOf(j));
  });

  it('scales with height and proportions, and refuses nonsense', () => {
    const tall = createSkeleton({ height: 1.9 });
    expect(tall.height).toBeCloseTo(1.9, 6);
    const longLegs = createSkeleton({ proportions: { legs: 1.1 } });
    expect(longLegs.rootHeight).toBeGreaterThan(skel.rootHeight);
    expect(() => createSkeleton({ height: -1 })).toThrow(UserError);
  });

  it('describes itself in the motion.json skeleton format', () => {
    const d = skeletonDescription(skel);
    expect(descriptionSchema.parse(d).joints).toHaveLength(17);
    expect(d.joints[0]!.parent).toBeNull();
    expect(d.joints[JOINT_INDEX.left_forearm]!.parent).toBe('left_upper_arm');
  });

  it('puts the rest pose on the ground: T-pose, facing +z, left = +x', () => {
    const lm = landmarkPositions(skel, restPose(skel));
    const minY = Math.min(...lm.map((p) => p[1]));
    expect(minY).toBeGreaterThan(0);
    expect(minY).toBeLessThan(0.03);
    expect(lm[LANDMARK_INDEX.left_wrist]![0]).toBeGreaterThan(0.6);
    expect(lm[LANDMARK_INDEX.right_wrist]![0]).toBeLessThan(-0.6);
    expect(lm[LANDMARK_INDEX.nose]![2]).toBeGreaterThan(0.05);
    expect(lm[LANDMARK_INDEX.left_foot_index]![2]).toBeGreaterThan(lm[LANDMARK_INDEX.left_heel]![2]);
  });

  it('forward kinematics of a known pose matches hand-computed positions', () => {
    const j = (n: keyof typeof JOINT_INDEX) => skel.joints[JOINT_INDEX[n]]!;
    const off = angleOffsets(skel);
    const a = new Float64Array(angleCount(skel));
    a[off[JOINT_INDEX.left_forearm]!] = Math.PI / 2; // elbow 90°: forearm points forward (+z)
    a[off[JOINT_INDEX.left_thigh]!] = -Math.PI / 2; // hip flexion 90°: thigh forward
    a[off[JOINT_INDEX.left_shin]!] = Math.PI / 2; // knee 90°: shin straight down again
    const root: Vec3 = [1, 0.8, -2];
    // Yaw +90° about y: the subject's +z (front) turns to world +x, its +x (left) to world −z.
    const pose = poseFromAngles(skel, root, quatFromRotationVector([0, Math.PI / 2, 0]), a);
    const { positions } = forwardKinematics(skel, pose);
    const P = (n: keyof typeof JOINT_INDEX) => positions[JOINT_INDEX[n]]!;
    const yaw = (v: Vec3): Vec3 => [v[2], v[1], -v[0]];
    const add = (...vs: Vec3[]): Vec3 => vs.reduce((s, v) => [s[0] + v[0], s[1] + v[1], s[2] + v[2]], [0, 0, 0] as Vec3);
    const shoulder = add(root, yaw(j('spine').offset), yaw(j('chest').offset), yaw(j('left_upper_arm').offset));
    close(P('left_upper_arm'), shoulder);
    const upper = j('left_forearm').offset[0];
    const fore = j('left_hand').offset[0];
    close(P('left_forearm'), add(shoulder, yaw([upper, 0, 0])));
    close(P('left_hand'), add(shoulder, yaw([upper, 0, fore])));
    const hip = add(root, yaw(j('left_thigh').offset));
    const thigh = -j('left_shin').offset[1];
    const shank = -j('left_foot').offset[1];
    close(P('left_shin'), add(hip, yaw([0, 0, thigh])));
    close(P('left_foot'), add(hip, yaw([0, -shank, thigh])));
    // The right side is untouched: right wrist in T-pose, turned.
    close(P('right_hand'), add(root, yaw([-0.106 * 1.7 - j('left_forearm').offset[0] - fore, 0.060 * 1.7 + 0.110 * 1.7 + 0.118 * 1.7, 0])), 1e-9);
  });

  it('angle vector ↔ pose round-trips, and clamping respects limits', () => {
    const n = angleCount(skel);
    const a = new Float64Array(n).map((_, i) => 0.3 * Math.sin(i + 1));
    const pose = poseFromAngles(skel, [0, 1, 0], [0, 0, 0, 1], a);
    const back = anglesFromPose(skel, pose);
    for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(a[i]!, 9);
    const wild = poseFromAngles(skel, [0, 1, 0], [0, 0, 0, 1], new Float64Array(n).fill(-2.9));
    const clamped = anglesFromPose(skel, clampPose(skel, wild));
    let k = 0;
    for (const jt of skel.joints.slice(1)) for (const [lo, hi] of jt.limits) {
      expect(clamped[k]!).toBeGreaterThanOrEqual(lo - 1e-9);
      expect(clamped[k++]!).toBeLessThanOrEqual(hi + 1e-9);
    }
  });
});
