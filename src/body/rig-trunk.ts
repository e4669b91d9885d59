import type { Vec3 } from '../geometry/quaternion.ts';
import { quatFromAxisAngle, quatRotate } from '../geometry/quaternion.ts';
import { add, cross, dot, len, sub, unit } from '../geometry/vec3.ts';

/**
 * Rigs disagree on where their trunk joints sit: the CMU skeleton's lower-back joint is behind
 * the hip joints and its neck ~10° behind them in its own upright zero pose, the CC_Base
 * avatar's are straight above. Copying segment directions as they are would bend the project's
 * upright trunk by that anatomy, differently per rig. So the forward lean of each trunk segment
 * in the rig's upright pose is measured once and taken off every frame (a rotation about the
 * body's left axis: the hip line for the lower segments, the shoulder line for the upper ones).
 */

/** Trunk points (y up) the retargeting reads, with the hip and shoulder joints that give the left axis. */
export interface TrunkPoints {
  pelvis: Vec3; spine: Vec3; chest: Vec3; neck: Vec3; head: Vec3;
  left_thigh: Vec3; right_thigh: Vec3; left_upper_arm: Vec3; right_upper_arm: Vec3;
}

const SEGMENTS = [['pelvis', 'spine'], ['spine', 'chest'], ['chest', 'neck'], ['neck', 'head']] as const;

/** The left axis a segment leans about: the hip line for the lower two, the shoulder line for the upper two. */
function leftAxis(p: TrunkPoints, segment: number): Vec3 {
  return unit(segment < 2 ? sub(p.left_thigh, p.right_thigh) : sub(p.left_upper_arm, p.right_upper_arm));
}

/** Forward lean (rad) of each segment of an upright pose: pelvis → spine, spine → chest, chest → neck, neck → head. */
export function trunkLeans(p: TrunkPoints): number[] {
  return SEGMENTS.map(([a, b], s) => {
    const left = leftAxis(p, s);
    const up: Vec3 = [0, 1, 0];
    const forward = unit(cross(left, up));
    const d = sub(p[b], p[a]);
    return Math.atan2(dot(d, forward), dot(d, up));
  });
}

/** The trunk with each segment's rest lean taken off (lengths kept, chained from the pelvis). */
export function unleanTrunk(p: TrunkPoints, leans: readonly number[]): TrunkPoints {
  const out = { ...p };
  let from = p.pelvis;
  SEGMENTS.forEach(([a, b], s) => {
    const d = sub(p[b], p[a]);
    const axis = leftAxis(p, s);
    // A forward lean is a rotation about the left axis by +angle (y tips towards forward).
    const rotated = len(axis) > 0 ? quatRotate(quatFromAxisAngle(axis, -leans[s]!), d) : d;
    out[b] = add(from, rotated);
    from = out[b];
  });
  return out;
}
