import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import { quatFromAxisAngle, quatMultiply, quatSlerp, quatToMatrix } from '../geometry/quaternion.ts';
import { type Pose } from '../body/pose.ts';
import { createSkeleton, JOINT_INDEX, type Skeleton } from '../body/skeleton.ts';

/**
 * A procedurally generated human motion, so the project has a sample of its own (third-party
 * mocap must not be committed): stand, squat twice, then march in place. Built on the
 * project skeleton with simple sagittal-plane inverse kinematics, so the planted feet stay
 * exactly still and flat on the ground while the knees bend. Deterministic (no randomness).
 *
 * Written as BVH in the project's joint names (centimetres, y up, subject facing +z,
 * root channels `Xposition Yposition Zposition Zrotation Xrotation Yrotation`, joints
 * `Zrotation Xrotation Yrotation`), so the demo exercises the same BVH import and unit
 * inference as any user clip.
 */

export interface ProceduralOptions {
  /** Frames per second of the generated clip. */
  fps?: number;
  /** Subject stature, m. */
  height?: number;
}

export const PROCEDURAL_DEFAULTS = {
  fps: 30,
  height: 1.70,
};

/** Timeline (seconds): stand, two squats, four marching steps. */
const STAND_END = 0.5;
const SQUAT_SECONDS = 1.0;
const SQUATS = 2;
const STEP_SECONDS = 0.375;
const STEPS = 4;
export const PROCEDURAL_SECONDS = STAND_END + SQUATS * SQUAT_SECONDS + STEPS * STEP_SECONDS;

/** Deepest knee bend of the squats, rad. */
const SQUAT_KNEE = 1.7;

const X: Vec3 = [1, 0, 0];
const Y: Vec3 = [0, 1, 0];
const Z: Vec3 = [0, 0, 1];
const rx = (a: number): Quat => quatFromAxisAngle(X, a);

/** Smooth 0 → 1 → 0 bump over u ∈ [0, 1]. */
function bump(u: number): number {
  return u <= 0 || u >= 1 ? 0 : 0.5 * (1 - Math.cos(2 * Math.PI * u));
}

/** The pose at time t (seconds). */
export function proceduralPose(skel: Skeleton, t: number): Pose {
  const J = skel.joints;
  const I = JOINT_INDEX;
  const thigh = -J[I.left_shin]!.offset[1];
  const shank = -J[I.left_foot]!.offset[1];
  const rot: Quat[] = J.map(() => [0, 0, 0, 1] as Quat);

  // Squat depth q ∈ [0, 1] and marching phase.
  let q = 0;
  const squatT = t - STAND_END;
  if (squatT > 0 && squatT < SQUATS * SQUAT_SECONDS) q = bump((squatT % SQUAT_SECONDS) / SQUAT_SECONDS);
  const stepT = t - STAND_END - SQUATS * SQUAT_SECONDS;
  let lift = 0;
  let liftSide: 'left' | 'right' = 'left';
  if (stepT > 0 && stepT < STEPS * STEP_SECONDS) {
    const k = Math.floor(stepT / STEP_SECONDS);
    liftSide = k % 2 === 0 ? 'left' : 'right';
    lift = bump((stepT - k * STEP_SECONDS) / STEP_SECONDS);
  }

  // Squat IK, feet flat and fixed: shin tilts forward by α, thigh back by β, knee angle α + β.
  const knee = SQUAT_KNEE * q;
  const alpha = 0.42 * knee;
  const beta = 0.58 * knee;
  const lean = 0.55 * beta; // trunk leans forward to keep the centre of mass over the feet
  const ankleY = skel.rootHeight - thigh - shank;
  const rootPosition: Vec3 = [0, ankleY + shank * Math.cos(alpha) + thigh * Math.cos(beta), shank * Math.sin(alpha) - thigh * Math.sin(beta)];
  const rootRotation = rx(lean);
  rot[I.spine] = rx(0.25 * lean);
  rot[I.chest] = rx(0.1 * lean);
  rot[I.neck] = rx(-0.6 * lean);
  rot[I.head] = rx(-0.75 * lean);

  for (const side of ['left', 'right'] as const) {
    const s = side === 'left' ? 1 : -1;
    // Marching: the lifted leg flexes at hip and knee (knee = 2 × hip, so with thigh ≈ shank the
    // foot rises straight up instead of sliding forward near the ground), its foot stays level.
    const b = side === liftSide ? 0.75 * lift : 0;
    const k = 2 * b;
    const hipFlex = beta + b;
    const kneeBend = knee + k;
    rot[I[`${side}_thigh`]] = rx(-hipFlex - lean);
    rot[I[`${side}_shin`]] = rx(kneeBend);
    rot[I[`${side}_foot`]] = rx(hipFlex - kneeBend);
    // Arms: hanging at the sides when standing, raised forward in the squat, swinging while marching.
    const down = quatFromAxisAngle(Z, -s * 1.35);
    const forward = quatFromAxisAngle(Y, -s * 1.5);
    const swing = side === liftSide ? 0 : 0.45 * lift;
    let arm = quatSlerp(down, forward, q);
    arm = quatMultiply(quatFromAxisAngle(X, s * -swing), arm);
    rot[I[`${side}_upper_arm`]] = quatMultiply(rx(-lean * 0.5), arm);
    rot[I[`${side}_forearm`]] = quatFromAxisAngle(J[I[`${side}_forearm`]]!.axes[0]!, 0.25 + 0.5 * q + 0.6 * swing);
  }
  return { rootPosition, rootRotation, rotations: rot };
}

/** The whole clip as poses at `fps`. */
export function proceduralMotion(options: ProceduralOptions = {}): { skeleton: Skeleton; poses: Pose[]; fps: number } {
  const fps = options.fps ?? PROCEDURAL_DEFAULTS.fps;
  const skeleton = createSkeleton({ height: options.height ?? PROCEDURAL_DEFAULTS.height });
  const count = Math.round(PROCEDURAL_SECONDS * fps) + 1;
  const poses: Pose[] = [];
  for (let k = 0; k < count; k++) poses.push(proceduralPose(skeleton, k / fps));
  return { skeleton, poses, fps };
}

/** Intrinsic Z·X·Y Euler angles (degrees) of a rotation, the order the BVH channels list. */
export function eulerZXY(q: Quat): [number, number, number] {
  const m = quatToMatrix(q);
  const x = Math.asin(Math.max(-1, Math.min(1, m[7]!)));
  const y = Math.atan2(-m[6]!, m[8]!);
  const z = Math.atan2(-m[1]!, m[4]!);
  const deg = 180 / Math.PI;
  return [z * deg, x * deg, y * deg];
}

const CM = 100;
const fmt = (v: number): string => {
  const s = v.toFixed(4);
  return s === '-0.0000' ? '0.0000' : s;
};

/** BVH text of poses on a skeleton (centimetres; End Sites at the segment tips of the leaves). */
export function posesToBvh(skel: Skeleton, poses: Pose[], fps: number): string {
  const lines: string[] = ['HIERARCHY'];
  const children = (i: number): number[] => skel.joints.flatMap((j, k) => (j.parent === i ? [k] : []));
  const order: number[] = []; // channel order = depth-first order of the hierarchy
  const write = (i: number, depth: number): void => {
    order.push(i);
    const pad = '\t'.repeat(depth);
    const j = skel.joints[i]!;
    lines.push(`${pad}${j.parent < 0 ? 'ROOT' : 'JOINT'} ${j.name}`, `${pad}{`);
    const offset = j.parent < 0 ? [0, 0, 0] : j.offset;
    lines.push(`${pad}\tOFFSET ${offset.map((v) => fmt(v * CM)).join(' ')}`);
    lines.push(j.parent < 0
      ? `${pad}\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation`
      : `${pad}\tCHANNELS 3 Zrotation Xrotation Yrotation`);
    const kids = children(i);
    for (const k of kids) write(k, depth + 1);
    if (kids.length === 0) {
      const end = skel.segments[i]!.end;
      lines.push(`${pad}\tEnd Site`, `${pad}\t{`, `${pad}\t\tOFFSET ${end.map((v) => fmt(v * CM)).join(' ')}`, `${pad}\t}`);
    }
    lines.push(`${pad}}`);
  };
  write(0, 0);
  lines.push('MOTION', `Frames: ${poses.length}`, `Frame Time: ${(1 / fps).toFixed(7)}`);
  for (const p of poses) {
    const values: number[] = [...p.rootPosition.map((v) => v * CM)];
    for (const i of order) {
      const q = skel.joints[i]!.parent < 0 ? quatMultiply(p.rootRotation, p.rotations[i]!) : p.rotations[i]!;
      values.push(...eulerZXY(q));
    }
    lines.push(values.map(fmt).join(' '));
  }
  return lines.join('\n') + '\n';
}

/** The demo clip as BVH text (deterministic: the same bytes on every run). */
export function proceduralBvh(options: ProceduralOptions = {}): string {
  const { skeleton, poses, fps } = proceduralMotion(options);
  return posesToBvh(skeleton, poses, fps);
}
