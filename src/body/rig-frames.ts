import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import { quatConjugate, quatMultiply, quatRotate } from '../geometry/quaternion.ts';
import { type BvhClip, bvhFramePose } from './bvh.ts';
import { alignTwo, cross, dot, len, mul, sub, unit } from '../geometry/vec3.ts';

/**
 * Local frames of the source joints that carry landmarks without a joint of their own (the
 * face on the head; heel and toe tip on the feet), read from the rig itself.
 *
 * A BVH joint's world rotation maps its zero-pose frame to the current one. The zero pose of
 * most rigs is a standing T-pose, so a joint's local axes are the body's axes there; but some
 * rigs are not standing in their zero pose (CC_Base: the legs point up, the feet's local left
 * is the body's right). So each joint's local "left" is measured twice: from the zero pose
 * (its hip line) and from the motion (the hip line seen from the joint, averaged over the
 * clip). Where they agree the zero pose is kept (exact for a T-pose rig); where they do not,
 * the motion's axes are used. Feet are then built from their bones: forward along ankle →
 * toe, pitched up by the angle that line makes below a flat sole (measured from the clip's
 * stance: frames where the ankle is still and at its lowest), left from the joint's rotation.
 */

export type FramedJoint = 'head' | 'left_foot' | 'right_foot';
export const FRAMED_JOINTS: readonly FramedJoint[] = ['head', 'left_foot', 'right_foot'];

export interface RigFrames {
  /** Per joint: rotation from the project's canonical local axes (x left, y up, z forward) to the joint's zero-pose frame (y up). */
  canonical: Record<FramedJoint, Quat>;
  /** Where each joint's axes came from. */
  origin: Record<FramedJoint, 'rest' | 'motion'>;
  /** Per foot, angle (rad) of the ankle → toe line below a flat sole; null without toe joints. */
  footPitch: { left: number; right: number } | null;
}

/** Joint indices the calibration reads (−1 for an absent toe). */
export interface RigFrameJoints {
  head: number; neck: number; left_thigh: number; right_thigh: number;
  left_foot: number; right_foot: number; left_toe: number; right_toe: number;
}

/** Zero-pose and motion estimates of a joint's left may differ by toe-out and head turns; beyond 60° the zero pose is a different body orientation. */
const AGREE_COS = 0.5;
/** Share of the lowest heights taken as the flat-foot stance level (as the ground in retarget.ts). */
const STANCE_PERCENTILE = 0.05;
/** A foot is flat where the ankle is within this share of the foot's length of its lowest height… */
const FLAT_SHARE = 0.1;
/** …and moves slower than this many foot lengths per second (a heel strike passes quickly)… */
const FLAT_SPEED = 1.5;
/** …in at least this many sampled frames (else the lowest heights alone give the pitch). */
const MIN_FLAT_FRAMES = 3;
/** At most this many frames are read for the calibration. */
const MAX_SAMPLES = 400;

/**
 * Calibrates the framed joints of a clip. `up` turns the file frame to y up; `headingInv` turns
 * the project's canonical axes to those of the zero pose (its hip line is +x), as for a standing zero pose.
 */
export function calibrateRigFrames(clip: BvhClip, j: RigFrameJoints, up: Quat, headingInv: Quat): RigFrames {
  const restLeft = quatRotate(headingInv, [1, 0, 0]);
  const stride = Math.max(1, Math.ceil(clip.frameCount / MAX_SAMPLES));
  const leftSum: Record<FramedJoint, Vec3> = { head: [0, 0, 0], left_foot: [0, 0, 0], right_foot: [0, 0, 0] };
  const headUpSum: Vec3 = [0, 0, 0];
  const ankles: [number[], number[]] = [[], []], toes: [number[], number[]] = [[], []], footLengths: [number[], number[]] = [[], []];
  const ankleXZ: [Array<[number, number]>, Array<[number, number]>] = [[], []];
  const hasToes = j.left_toe >= 0 && j.right_toe >= 0;
  /** Inverse of a joint's world rotation, turned to y up. */
  const worldInv = (rotation: Quat): Quat => quatConjugate(quatMultiply(quatMultiply(up, rotation), quatConjugate(up)));
  for (let f = 0; f < clip.frameCount; f += stride) {
    const fp = bvhFramePose(clip, f);
    const P = (i: number): Vec3 => quatRotate(up, fp.positions[i]!);
    const Qinv = (i: number): Quat => worldInv(fp.rotations[i]!);
    const left = unit(sub(P(j.left_thigh), P(j.right_thigh)));
    for (const k of FRAMED_JOINTS) {
      const v = quatRotate(Qinv(j[k]), left);
      for (let a = 0; a < 3; a++) leftSum[k][a] += v[a]!;
    }
    const hu = quatRotate(Qinv(j.head), unit(sub(P(j.head), P(j.neck))));
    for (let a = 0; a < 3; a++) headUpSum[a] += hu[a]!;
    if (hasToes) {
      ([[j.left_foot, j.left_toe], [j.right_foot, j.right_toe]] as const).forEach(([ai, ti], s) => {
        const a = P(ai), t = P(ti);
        ankles[s].push(a[1]);
        ankleXZ[s].push([a[0], a[2]]);
        toes[s].push(t[1]);
        footLengths[s].push(len(sub(t, a)));
      });
    }
  }
  const canonical = {} as RigFrames['canonical'];
  const origin = {} as RigFrames['origin'];
  for (const k of FRAMED_JOINTS) {
    const left = unit(leftSum[k]);
    if (dot(left, restLeft) >= AGREE_COS) {
      canonical[k] = headingInv;
      origin[k] = 'rest';
      continue;
    }
    origin[k] = 'motion';
    // Second axis: the head's up is the neck bone seen from the head; a foot's forward is its toe bone.
    if (k === 'head') canonical[k] = alignTwo([1, 0, 0], [0, 1, 0], left, unit(headUpSum));
    else {
      const fp = bvhFramePose(clip, 0);
      const foot = j[k], toe = j[k === 'left_foot' ? 'left_toe' : 'right_toe'];
      const fwd = toe >= 0 ? quatRotate(worldInv(fp.rotations[foot]!), quatRotate(up, sub(fp.positions[toe]!, fp.positions[foot]!)))
        : cross(left, unit(headUpSum));
      canonical[k] = alignTwo([1, 0, 0], [0, 0, 1], left, fwd);
    }
  }
  // Per foot (rigs and captures are not symmetric): where the ankle is still and at its lowest the
  // heel is down (a pointed or rolling foot lifts it); the median pitch of those frames is the flat
  // pitch (the toe's own lowest heights are not used: a pointed toe tip dips below the stance level).
  let footPitch: RigFrames['footPitch'] = null;
  if (hasToes) {
    const low = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(STANCE_PERCENTILE * (xs.length - 1))]!;
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const pitch = (s: 0 | 1): number => {
      const length = median(footLengths[s]);
      if (!(length > 0)) return 0;
      const lowA = low(ankles[s]), lowT = low(toes[s]);
      const asin = (d: number): number => Math.asin(Math.max(-0.9, Math.min(0.9, d / length)));
      const xz = ankleXZ[s];
      const speed = (k: number): number => {
        const a = xz[Math.max(0, k - 1)]!, b = xz[Math.min(xz.length - 1, k + 1)]!;
        const dt = ((Math.min(xz.length - 1, k + 1) - Math.max(0, k - 1)) * stride * clip.frameTime) || 1;
        return Math.hypot(b[0] - a[0], b[1] - a[1]) / dt / length;
      };
      const flat = ankles[s].flatMap((a, k) => (a - lowA < FLAT_SHARE * length && speed(k) < FLAT_SPEED ? [asin(a - toes[s][k]!)] : []));
      return flat.length >= MIN_FLAT_FRAMES ? median(flat) : asin(lowA - lowT);
    };
    footPitch = { left: pitch(0), right: pitch(1) };
  }
  return { canonical, origin, footPitch };
}

/**
 * World rotation (y up) of a project foot: its sole forward (+z) along the source ankle → toe
 * line raised by `pitch`, its left (+x) the source foot's left. Null when the bone is degenerate.
 */
export function footRotation(ankle: Vec3, toe: Vec3, left: Vec3, pitch: number): Quat | null {
  const along = sub(toe, ankle);
  if (len(along) < 1e-9) return null;
  const f = unit(along);
  let l = sub(left, mul(f, dot(left, f)));
  if (len(l) < 1e-6) return null;
  l = unit(l);
  const footUp = cross(f, l);
  const sole: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) sole[a] = f[a]! * Math.cos(pitch) + footUp[a]! * Math.sin(pitch);
  return alignTwo([0, 0, 1], [1, 0, 0], sole, l);
}
