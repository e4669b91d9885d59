import type { Vec3 } from '../geometry/quaternion.ts';
import { type BvhClip, bvhFramePose, bvhRestPositions } from './bvh.ts';
import { dot, mid, sub } from '../geometry/vec3.ts';

/**
 * The standing pose a rig's up axis and size are read from. Most rigs stand in their zero pose
 * (all channels zero: a T-pose), but not all: the CC_Base zero pose has its legs pointing up
 * (the pelvis joint turns them down in every frame), so its feet → head vector points down and
 * its height is not a stature. The zero pose is used when it stands — head above hips above
 * knees above ankles along its up axis — otherwise the clip's most extended frame among those
 * that touch the floor is (the up axis then comes from the motion's feet → head direction).
 */

/** Joint indices the choice reads (head_top −1 when absent). */
export interface StanceJoints {
  head: number; head_top: number; left_thigh: number; right_thigh: number;
  left_shin: number; right_shin: number; left_foot: number; right_foot: number;
}

export interface StandingReference {
  /** Joint positions of the standing pose, file frame and units. */
  positions: Vec3[];
  /** Unit file axis that points up, e.g. [0, 1, 0]. */
  axis: Vec3;
  /** 'zero pose' or 'frame N' (0-based). */
  origin: string;
}

/** At most this many frames are searched. */
const MAX_SAMPLES = 400;
/** A frame touches the floor when its lowest joint is within this share of the body's extent of the clip's floor. */
const FLOOR_SHARE = 0.02;
/** Share of the lowest frames taken as the floor. */
const FLOOR_PERCENTILE = 0.05;

function dominantAxis(v: Vec3): Vec3 {
  const a = [0, 1, 2].reduce((best, i) => (Math.abs(v[i]!) > Math.abs(v[best]!) ? i : best), 0);
  const axis: Vec3 = [0, 0, 0];
  axis[a] = Math.sign(v[a]!) || 1;
  return axis;
}

function stands(p: Vec3[], j: StanceJoints, up: Vec3): boolean {
  const above = (a: Vec3, b: Vec3): boolean => dot(sub(a, b), up) > 0;
  const hips = mid(p[j.left_thigh]!, p[j.right_thigh]!);
  return above(p[j.head]!, hips)
    && above(p[j.left_thigh]!, p[j.left_shin]!) && above(p[j.left_shin]!, p[j.left_foot]!)
    && above(p[j.right_thigh]!, p[j.right_shin]!) && above(p[j.right_shin]!, p[j.right_foot]!);
}

export function standingReference(clip: BvhClip, j: StanceJoints): StandingReference {
  const rest = bvhRestPositions(clip);
  const feetToHead = (p: Vec3[]): Vec3 => sub(p[j.head]!, mid(p[j.left_foot]!, p[j.right_foot]!));
  const restAxis = dominantAxis(feetToHead(rest));
  if (stands(rest, j, restAxis) || clip.frameCount === 0) return { positions: rest, axis: restAxis, origin: 'zero pose' };

  const stride = Math.max(1, Math.ceil(clip.frameCount / MAX_SAMPLES));
  const frames: Array<{ f: number; p: Vec3[] }> = [];
  const sum: Vec3 = [0, 0, 0];
  for (let f = 0; f < clip.frameCount; f += stride) {
    const p = bvhFramePose(clip, f).positions;
    frames.push({ f, p });
    const v = feetToHead(p);
    for (let a = 0; a < 3; a++) sum[a] += v[a]!;
  }
  const axis = dominantAxis(sum);
  const top = j.head_top >= 0 ? j.head_top : j.head;
  const rows = frames.map(({ f, p }) => {
    const h = p.map((q) => dot(q, axis));
    const lowest = Math.min(...h);
    return { f, p, lowest, extent: h[top]! - lowest };
  });
  const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const floor = sorted(rows.map((r) => r.lowest))[Math.floor(FLOOR_PERCENTILE * (rows.length - 1))]!;
  const extent = sorted(rows.map((r) => r.extent))[rows.length >> 1]!;
  const grounded = rows.filter((r) => r.lowest - floor <= FLOOR_SHARE * extent);
  const best = (grounded.length ? grounded : rows).reduce((a, b) => (b.extent > a.extent ? b : a));
  return { positions: best.p, axis, origin: `frame ${best.f}` };
}
