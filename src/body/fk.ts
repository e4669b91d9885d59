/**
 * Forward kinematics in plain TypeScript (fast, not differentiable; see fk-tf.ts for
 * the tfjs twin). World rotation of joint j: R_j = R_parent · q_j (root: rootRotation · q_0);
 * world position: P_j = P_parent + R_parent · offset_j (root: rootPosition).
 */
import { quatMultiply, quatRotate, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import type { Pose } from './pose.ts';
import type { Skeleton } from './skeleton.ts';

export interface WorldPose {
  /** World position of every joint. */
  positions: Vec3[];
  /** World rotation of every joint's frame. */
  rotations: Quat[];
}

export function forwardKinematics(skel: Skeleton, pose: Pose): WorldPose {
  const positions: Vec3[] = [];
  const rotations: Quat[] = [];
  skel.joints.forEach((j, i) => {
    if (j.parent < 0) {
      positions.push([...pose.rootPosition] as Vec3);
      rotations.push(quatMultiply(pose.rootRotation, pose.rotations[i]!));
      return;
    }
    const pr = rotations[j.parent]!;
    const pp = positions[j.parent]!;
    const o = quatRotate(pr, j.offset);
    positions.push([pp[0] + o[0], pp[1] + o[1], pp[2] + o[2]]);
    rotations.push(quatMultiply(pr, pose.rotations[i]!));
  });
  return { positions, rotations };
}

/** World positions of the 33 MediaPipe landmarks from a world pose. */
export function landmarksFromWorld(skel: Skeleton, world: WorldPose): Vec3[] {
  return skel.landmarks.map((l) => {
    const p = world.positions[l.joint]!;
    const o = quatRotate(world.rotations[l.joint]!, l.offset);
    return [p[0] + o[0], p[1] + o[1], p[2] + o[2]] as Vec3;
  });
}

/** World positions of the 33 MediaPipe landmarks (MediaPipe order). */
export function landmarkPositions(skel: Skeleton, pose: Pose): Vec3[] {
  return landmarksFromWorld(skel, forwardKinematics(skel, pose));
}

/** World point of a local offset on a joint's segment. */
export function segmentPoint(world: WorldPose, joint: number, local: Vec3): Vec3 {
  const p = world.positions[joint]!;
  const o = quatRotate(world.rotations[joint]!, local);
  return [p[0] + o[0], p[1] + o[1], p[2] + o[2]];
}
