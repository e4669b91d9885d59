/**
 * Reference motions built in code (no data files): standing still and a squat with the feet
 * flat on the ground. Used to test and benchmark the physics and the tracking controller.
 */
import { quatFromRotationVector, type Vec3 } from '../geometry/quaternion.ts';
import { poseFromAngles, type Pose } from './pose.ts';
import { angleCount, angleOffsets, JOINT_INDEX, type JointName, type Skeleton } from './skeleton.ts';

export interface ProceduralOptions {
  /** Frames per second of the generated motion. */
  fps: number;
  /** Length in seconds. */
  seconds: number;
}

export const PROCEDURAL_DEFAULTS: ProceduralOptions = { fps: 30, seconds: 3 };

function setAngles(skel: Skeleton, a: Float64Array, joint: JointName, values: number[]): void {
  const o = angleOffsets(skel)[JOINT_INDEX[joint]]!;
  values.forEach((v, i) => { a[o + i] = v; });
}

/** Standing relaxed: arms hanging slightly away from the body. */
export function standingAngles(skel: Skeleton): Float64Array {
  const a = new Float64Array(angleCount(skel));
  setAngles(skel, a, 'left_upper_arm', [0, 0, -1.35]);
  setAngles(skel, a, 'right_upper_arm', [0, 0, 1.35]);
  setAngles(skel, a, 'left_forearm', [0.15]);
  setAngles(skel, a, 'right_forearm', [0.15]);
  return a;
}

/**
 * A pose of a flat-footed squat of depth d ∈ [0, 1] (0 = standing): shins lean forward by
 * 0.6·d rad, thighs by 1.2·d rad, the trunk by 0.7·d rad, the arms reach forward. The root
 * is placed so both ankles stay at their standing position.
 */
export function squatPose(skel: Skeleton, d: number): Pose {
  const a = standingAngles(skel);
  const shinPitch = 0.6 * d, thighPitch = -1.2 * d, lean = 0.7 * d;
  // Joint angles are local: each is its segment's world pitch minus its parent's.
  for (const side of ['left', 'right'] as const) {
    setAngles(skel, a, `${side}_thigh`, [thighPitch - lean, 0, 0]);
    setAngles(skel, a, `${side}_shin`, [shinPitch - thighPitch]);
    setAngles(skel, a, `${side}_foot`, [-shinPitch, 0, 0]);
  }
  setAngles(skel, a, 'left_upper_arm', [0, -1.3 * d, -1.35 * (1 - d)]);
  setAngles(skel, a, 'right_upper_arm', [0, 1.3 * d, 1.35 * (1 - d)]);
  const shank = -skel.joints[JOINT_INDEX.left_foot]!.offset[1];
  const thigh = -skel.joints[JOINT_INDEX.left_shin]!.offset[1];
  const ankleH = skel.rootHeight - shank - thigh;
  const root: Vec3 = [
    0,
    ankleH + shank * Math.cos(shinPitch) + thigh * Math.cos(thighPitch),
    shank * Math.sin(shinPitch) + thigh * Math.sin(thighPitch),
  ];
  return poseFromAngles(skel, root, quatFromRotationVector([lean, 0, 0]), a);
}

/** Standing still for `seconds`. */
export function standingMotion(skel: Skeleton, options: Partial<ProceduralOptions> = {}): Pose[] {
  const o = { ...PROCEDURAL_DEFAULTS, ...options };
  const n = Math.max(2, Math.round(o.seconds * o.fps) + 1);
  return Array.from({ length: n }, () => squatPose(skel, 0));
}

/** Stand 0.5 s, one smooth squat to `depth`, stand 0.5 s (total `seconds`). */
export function squatMotion(skel: Skeleton, options: Partial<ProceduralOptions> & { depth?: number } = {}): Pose[] {
  const o = { ...PROCEDURAL_DEFAULTS, ...options };
  const depth = options.depth ?? 0.8;
  const n = Math.max(2, Math.round(o.seconds * o.fps) + 1);
  const move = Math.max(0.1, o.seconds - 1);
  return Array.from({ length: n }, (_, i) => {
    const t = i / o.fps - 0.5;
    const d = t <= 0 || t >= move ? 0 : 0.5 * (1 - Math.cos((2 * Math.PI * t) / move));
    return squatPose(skel, depth * d);
  });
}
