import { describe, expect, it } from 'vitest';
import { forwardKinematics } from '../../src/body/fk.ts';
import { legJoints, legReach, pelvisShiftToReach, solveLeg } from '../../src/body/leg-ik.ts';
import { restPose, type Pose } from '../../src/body/pose.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { quatAngle, quatFromAxisAngle, quatMultiply, quatRotate, type Vec3 } from '../../src/geometry/quaternion.ts';
import { len, sub } from '../../src/geometry/vec3.ts';

const skel = createSkeleton({ height: 1.8 });
/** A standing pose, knees a little bent forward, turned and leaning a little. */
function start(): Pose {
  const p = restPose(skel);
  p.rootRotation = quatMultiply(quatFromAxisAngle([0, 1, 0], 0.4), quatFromAxisAngle([1, 0, 0], 0.15));
  for (const side of ['left', 'right'] as const) {
    const leg = legJoints(side);
    p.rotations[leg.hip] = quatFromAxisAngle([1, 0, 0], -0.3);
    p.rotations[leg.knee] = quatFromAxisAngle([1, 0, 0], 0.5);
  }
  return p;
}

describe('leg IK', () => {
  it('reaches reachable ankle targets with the foot rotation asked, bones unchanged, knee kept forward', () => {
    const base = start();
    const w0 = forwardKinematics(skel, base);
    const leg = legJoints('left');
    const hip = w0.positions[leg.hip]!;
    const [near, far] = legReach(skel, leg);
    const targets: Vec3[] = [[hip[0] + 0.1, hip[1] - 0.7, hip[2] + 0.2], [hip[0] - 0.05, hip[1] - 0.5, hip[2] - 0.1], [hip[0], hip[1] - 0.3, hip[2] + 0.3]];
    for (const target of targets) {
      const d = len(sub(target, hip));
      expect(d).toBeGreaterThan(near);
      expect(d).toBeLessThan(far);
      const foot = quatFromAxisAngle([0, 1, 0], 0.3);
      const w = forwardKinematics(skel, solveLeg(skel, base, 'left', target, foot));
      expect(len(sub(w.positions[leg.ankle]!, target))).toBeLessThan(1e-9);
      expect(quatAngle(w.rotations[leg.ankle]!, foot)).toBeLessThan(1e-6);
      expect(len(sub(w.positions[leg.knee]!, w.positions[leg.hip]!))).toBeCloseTo(len(skel.joints[leg.knee]!.offset), 12);
      expect(len(sub(w.positions[leg.ankle]!, w.positions[leg.knee]!))).toBeCloseTo(len(skel.joints[leg.ankle]!.offset), 12);
      // The knee bends forward as before: in front of the hip–ankle line, along the body's facing.
      const facing = quatRotate(w.rotations[0]!, [0, 0, 1]);
      const mid: Vec3 = [(w.positions[leg.hip]![0] + target[0]) / 2, (w.positions[leg.hip]![1] + target[1]) / 2, (w.positions[leg.hip]![2] + target[2]) / 2];
      const k = sub(w.positions[leg.knee]!, mid);
      expect(k[0] * facing[0] + k[1] * facing[1] + k[2] * facing[2]).toBeGreaterThan(0);
      // The other leg does not move.
      const r = legJoints('right');
      expect(len(sub(w.positions[r.ankle]!, w0.positions[r.ankle]!))).toBeLessThan(1e-12);
    }
  });

  it('turns the knee toward a pole about the hip–ankle line, the ankle staying on its target', () => {
    const base = start();
    const w0 = forwardKinematics(skel, base);
    const leg = legJoints('right');
    const hip = w0.positions[leg.hip]!;
    const target: Vec3 = [hip[0] - 0.05, hip[1] - 0.6, hip[2] + 0.1];
    const pole: Vec3 = [-1, 0, 0.2];
    const w = forwardKinematics(skel, solveLeg(skel, base, 'right', target, [0, 0, 0, 1], w0, { direction: pole, weight: 1 }));
    expect(len(sub(w.positions[leg.ankle]!, target))).toBeLessThan(1e-9);
    // The knee's offset from the hip–ankle line is parallel to the pole's.
    const u = sub(target, hip);
    const off = (v: Vec3): Vec3 => { const k = (v[0] * u[0] + v[1] * u[1] + v[2] * u[2]) / (u[0] ** 2 + u[1] ** 2 + u[2] ** 2); return [v[0] - k * u[0], v[1] - k * u[1], v[2] - k * u[2]]; };
    const a = off(sub(w.positions[leg.knee]!, hip)), b = off(pole);
    expect((a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (len(a) * len(b))).toBeGreaterThan(1 - 1e-9);
  });

  it('moves the pelvis so that out-of-reach targets become reachable, and not when they are reachable', () => {
    const base = start();
    const w = forwardKinematics(skel, base);
    const l = legJoints('left'), r = legJoints('right');
    const low: Vec3 = [w.positions[l.hip]![0], -0.1, w.positions[l.hip]![2] + 0.2];
    const reachable: Vec3 = [w.positions[r.hip]![0], w.positions[r.hip]![1] - 0.6, w.positions[r.hip]![2]];
    expect(pelvisShiftToReach(skel, w, { left: null, right: reachable })).toEqual([0, 0, 0]);
    const shift = pelvisShiftToReach(skel, w, { left: low, right: reachable });
    expect(shift[1]).toBeLessThan(0);
    const moved = forwardKinematics(skel, { ...base, rootPosition: [base.rootPosition[0] + shift[0], base.rootPosition[1] + shift[1], base.rootPosition[2] + shift[2]] });
    const pose = solveLeg(skel, { ...base, rootPosition: moved.positions[0]! }, 'left', low, [0, 0, 0, 1], moved);
    expect(len(sub(forwardKinematics(skel, pose).positions[l.ankle]!, low))).toBeLessThan(1e-6);
  });
});
