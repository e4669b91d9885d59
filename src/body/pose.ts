/**
 * A pose of the skeleton, and its compact angle parameterisation.
 *
 * Pose: root position/rotation in the world plus one LOCAL rotation per joint
 * (index = joint index; the root's entry is identity, its rotation is `rootRotation`).
 *
 * Angle vector: for every non-root joint in index order, one angle per DoF axis.
 * A joint's local rotation is exp(Σ angle_i · axis_i), i.e. the rotation vector
 * Σ angle_i · axis_i. For 3-DoF joints the axes are x, y, z, so the three angles are
 * exactly the rotation-vector components; 1-DoF joints (elbows, knees) rotate about
 * their single axis. This is smooth, has no gimbal lock near the rest pose and is
 * what src/body/fk-tf.ts differentiates through.
 */
import {
  quatFromRotationVector, quatToRotationVector, quatNormalize, quatSlerp, type Quat, type Vec3,
} from '../geometry/quaternion.ts';
import { angleCount, angleLimits, type Skeleton } from './skeleton.ts';

export interface Pose {
  rootPosition: Vec3;
  rootRotation: Quat;
  /** Local rotation per joint (parent frame), root entry identity. */
  rotations: Quat[];
}

/** T-pose standing on the ground at the origin, facing +z. */
export function restPose(skel: Skeleton): Pose {
  return {
    rootPosition: [0, skel.rootHeight, 0],
    rootRotation: [0, 0, 0, 1],
    rotations: skel.joints.map(() => [0, 0, 0, 1] as Quat),
  };
}

export function clonePose(p: Pose): Pose {
  return {
    rootPosition: [...p.rootPosition] as Vec3,
    rootRotation: [...p.rootRotation] as Quat,
    rotations: p.rotations.map((q) => [...q] as Quat),
  };
}

/** Local rotation of a joint from its angles. */
export function jointRotationFromAngles(axes: Vec3[], angles: ArrayLike<number>, offset = 0): Quat {
  let rx = 0, ry = 0, rz = 0;
  for (let i = 0; i < axes.length; i++) {
    const a = angles[offset + i]!;
    rx += a * axes[i]![0]; ry += a * axes[i]![1]; rz += a * axes[i]![2];
  }
  return quatFromRotationVector([rx, ry, rz]);
}

/** Pose from root position, root rotation and the packed angle vector. */
export function poseFromAngles(skel: Skeleton, rootPosition: Vec3, rootRotation: Quat, angles: ArrayLike<number>): Pose {
  if (angles.length !== angleCount(skel)) throw new Error(`angle vector has ${angles.length} entries, the skeleton needs ${angleCount(skel)}`);
  const rotations: Quat[] = [];
  let k = 0;
  for (const j of skel.joints) {
    if (j.parent < 0) { rotations.push([0, 0, 0, 1]); continue; }
    rotations.push(jointRotationFromAngles(j.axes, angles, k));
    k += j.axes.length;
  }
  return { rootPosition: [...rootPosition] as Vec3, rootRotation: quatNormalize(rootRotation), rotations };
}

/**
 * Packed angle vector of a pose: each local rotation vector projected onto the joint's
 * DoF axes (exact for 3-DoF joints; for 1-DoF joints the off-axis part is dropped).
 */
export function anglesFromPose(skel: Skeleton, pose: Pose): Float64Array {
  const out = new Float64Array(angleCount(skel));
  let k = 0;
  skel.joints.forEach((j, idx) => {
    if (j.parent < 0) return;
    const r = quatToRotationVector(pose.rotations[idx]!);
    for (const a of j.axes) out[k++] = r[0] * a[0] + r[1] * a[1] + r[2] * a[2];
  });
  return out;
}

/** Clamps a packed angle vector to the joint limits (in place; returns it). */
export function clampAngles(skel: Skeleton, angles: Float64Array | number[]): Float64Array | number[] {
  const { lower, upper } = angleLimits(skel);
  for (let i = 0; i < angles.length; i++) angles[i] = Math.min(upper[i]!, Math.max(lower[i]!, angles[i]!));
  return angles;
}

/** The pose with every joint projected onto its DoF axes and clamped to its limits. */
export function clampPose(skel: Skeleton, pose: Pose): Pose {
  const a = clampAngles(skel, anglesFromPose(skel, pose));
  return poseFromAngles(skel, pose.rootPosition, pose.rootRotation, a);
}

/** Interpolates two poses (lerp of the root position, slerp of every rotation). */
export function interpolatePose(a: Pose, b: Pose, t: number): Pose {
  return {
    rootPosition: [
      a.rootPosition[0] + t * (b.rootPosition[0] - a.rootPosition[0]),
      a.rootPosition[1] + t * (b.rootPosition[1] - a.rootPosition[1]),
      a.rootPosition[2] + t * (b.rootPosition[2] - a.rootPosition[2]),
    ],
    rootRotation: quatSlerp(a.rootRotation, b.rootRotation, t),
    rotations: a.rotations.map((q, i) => quatSlerp(q, b.rotations[i]!, t)),
  };
}

/** Samples a motion (poses at `fps`) at time t seconds, clamped to its ends. */
export function samplePose(motion: Pose[], fps: number, t: number): Pose {
  const f = Math.max(0, Math.min(motion.length - 1, t * fps));
  const i = Math.min(motion.length - 2, Math.floor(f));
  if (motion.length === 1 || i < 0) return clonePose(motion[0]!);
  return interpolatePose(motion[i]!, motion[i + 1]!, f - i);
}
