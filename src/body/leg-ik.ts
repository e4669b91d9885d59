/**
 * Analytic leg inverse kinematics on the project's skeleton (skeleton.ts): a hip (3 DoF), a knee
 * hinge about the thigh's x axis and an ankle (3 DoF). Rotations only, so bone lengths never
 * change. Used to put a foot where a contact says it stands (src/reconstruct/foot-lock.ts).
 */
import { forwardKinematics, type WorldPose } from './fk.ts';
import type { Pose } from './pose.ts';
import { JOINT_INDEX, type Skeleton } from './skeleton.ts';
import { quatConjugate, quatFromAxisAngle, quatFromTo, quatMultiply, quatNormalize, quatRotate, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import { add, cross, dot, len, mul, sub, unit } from '../geometry/vec3.ts';

export type Side = 'left' | 'right';

/** Joint indices of one leg. */
export interface LegJoints { hip: number; knee: number; ankle: number }

export function legJoints(side: Side): LegJoints {
  return { hip: JOINT_INDEX[`${side}_thigh`], knee: JOINT_INDEX[`${side}_shin`], ankle: JOINT_INDEX[`${side}_foot`] };
}

/** Thigh and shank lengths of a leg, m. */
export function legLengths(skel: Skeleton, leg: LegJoints): { thigh: number; shank: number } {
  return { thigh: len(skel.joints[leg.knee]!.offset), shank: len(skel.joints[leg.ankle]!.offset) };
}

/** Where a leg's ankle can reach from its hip: [closest, farthest] distance, m (a knee kept a little bent). */
export function legReach(skel: Skeleton, leg: LegJoints, straight = 0.999): [number, number] {
  const { thigh, shank } = legLengths(skel, leg);
  return [Math.abs(thigh - shank) + 0.02 * Math.min(thigh, shank), straight * (thigh + shank)];
}

/** Where the knee should point (world direction, e.g. over the toes) and how much (0: keep the pose's knee direction, 1: exactly). */
export interface KneePole { direction: Vec3; weight: number }

/**
 * The pose with one leg re-solved so its ankle joint is at `ankle` (world) and the foot's world
 * rotation is `foot`: the knee angle from the hip–ankle distance (clamped to the reach), the
 * thigh turned by the shortest rotation that points the leg at the target (so the knee keeps its
 * direction), then, with a `pole`, twisted about the hip–ankle line toward it, and the ankle set
 * to give the foot its rotation. Pelvis and the other joints unchanged.
 */
export function solveLeg(skel: Skeleton, pose: Pose, side: Side, ankle: Vec3, foot: Quat, world: WorldPose = forwardKinematics(skel, pose), pole?: KneePole): Pose {
  const leg = legJoints(side);
  const { thigh, shank } = legLengths(skel, leg);
  const hipPos = world.positions[leg.hip]!;
  const [near, far] = legReach(skel, leg);
  const d = Math.min(far, Math.max(near, len(sub(ankle, hipPos))));
  // Both bones hang along −y in the rest pose, so |hip→ankle|² = a² + b² + 2ab·cos(knee).
  const cosK = (d * d - thigh * thigh - shank * shank) / (2 * thigh * shank);
  const kneeAngle = Math.acos(Math.max(-1, Math.min(1, cosK)));
  const knee = skel.joints[leg.knee]!;
  const kneeLocal = quatFromAxisAngle(knee.axes[0]!, kneeAngle);
  const inThigh = add(knee.offset, quatRotate(kneeLocal, skel.joints[leg.ankle]!.offset));
  const parentRot = world.rotations[skel.joints[leg.hip]!.parent]!;
  const thighRot = world.rotations[leg.hip]!;
  const swing = quatFromTo(quatRotate(thighRot, inThigh), sub(ankle, hipPos));
  let newThigh = quatNormalize(quatMultiply(swing, thighRot));
  if (pole && pole.weight > 0) newThigh = quatNormalize(quatMultiply(kneeTwist(quatRotate(newThigh, knee.offset), sub(ankle, hipPos), pole), newThigh));
  const newShin = quatMultiply(newThigh, kneeLocal);
  const rotations = pose.rotations.slice();
  rotations[leg.hip] = quatNormalize(quatMultiply(quatConjugate(parentRot), newThigh));
  rotations[leg.knee] = kneeLocal;
  rotations[leg.ankle] = quatNormalize(quatMultiply(quatConjugate(newShin), foot));
  return { ...pose, rotations };
}

/** The rotation about the hip→ankle line `axis` that turns the knee (`knee`, from the hip) toward the pole, scaled by its weight. */
function kneeTwist(knee: Vec3, axis: Vec3, pole: KneePole): Quat {
  const u = unit(axis);
  const off = (v: Vec3): Vec3 => sub(v, mul(u, dot(v, u)));
  const a = off(knee), b = off(pole.direction);
  if (len(a) < 1e-9 || len(b) < 1e-9) return [0, 0, 0, 1];
  const angle = Math.atan2(dot(cross(a, b), u), dot(a, b));
  return quatFromAxisAngle(u, pole.weight * angle);
}

/**
 * The smallest pelvis translation (least squares over the legs that cannot reach) after which
 * every target ankle is within its leg's reach from its hip: Gauss–Newton on the reach
 * violations, a few iterations. `targets` holds one ankle target per leg, or null for a free leg.
 */
export function pelvisShiftToReach(skel: Skeleton, world: WorldPose, targets: Record<Side, Vec3 | null>, iterations = 20): Vec3 {
  let shift: Vec3 = [0, 0, 0];
  for (let it = 0; it < iterations; it++) {
    let step: Vec3 = [0, 0, 0];
    let n = 0;
    for (const side of ['left', 'right'] as const) {
      const t = targets[side];
      if (!t) continue;
      const leg = legJoints(side);
      const [near, far] = legReach(skel, leg, 0.998);
      const v = sub(t, add(world.positions[leg.hip]!, shift));
      const d = len(v);
      const excess = d > far ? d - far : d < near ? d - near : 0;
      if (excess === 0) continue;
      step = add(step, [v[0] / d * excess, v[1] / d * excess, v[2] / d * excess]);
      n++;
    }
    if (n === 0) break;
    shift = add(shift, [step[0] / n, step[1] / n, step[2] / n]);
  }
  return shift;
}
