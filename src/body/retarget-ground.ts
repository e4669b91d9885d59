import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import { quatFromTo, quatMultiply, quatNormalize, quatRotate } from '../geometry/quaternion.ts';
import { LANDMARK_INDEX } from '../formats/landmarks.ts';
import { forwardKinematics, segmentPoint } from './fk.ts';
import type { Pose } from './pose.ts';
import { JOINT_INDEX, type Skeleton } from './skeleton.ts';
import { centroid, unit } from '../geometry/vec3.ts';

/**
 * The floor of a retargeted clip: a tilted capture floor is levelled, then the ground is set at
 * the level where the feet stand flat, and the first frame's hip centre is put above the origin.
 */

/** Share of frames whose lowest foot point may lie below the stance level that defines the ground. */
export const GROUND_PERCENTILE = 0.05;

/** Local sole points (foot frame) under the heel and the toe tip. */
export function solePoints(skel: Skeleton, side: 'left' | 'right'): { heel: Vec3; toe: Vec3 } {
  const toe = skel.segments[JOINT_INDEX[`${side}_foot`]]!.end;
  const heelZ = skel.landmarks[LANDMARK_INDEX[`${side}_heel`]]!.offset[2];
  return { heel: [toe[0], toe[1], heelZ], toe: [...toe] as Vec3 };
}

/** World [toe, heel] sole points of each foot ([left, right]) of a pose. */
function worldSoles(skel: Skeleton, pose: Pose): Array<readonly [Vec3, Vec3]> {
  const world = forwardKinematics(skel, pose);
  return (['left', 'right'] as const).map((side) => {
    const foot = JOINT_INDEX[`${side}_foot`];
    const sole = solePoints(skel, side);
    return [segmentPoint(world, foot, sole.toe), segmentPoint(world, foot, sole.heel)] as const;
  });
}

/** The lowest of a pose's world sole points (left toe, left heel, right toe, right heel: the first lowest). */
function lowestOf(soles: Array<readonly [Vec3, Vec3]>): Vec3 {
  let best: Vec3 = [0, Infinity, 0];
  for (const foot of soles) for (const p of foot) if (p[1] < best[1]) best = p;
  return best;
}

/** Lowest sole point of a pose (world position). */
function lowestSole(skel: Skeleton, pose: Pose): Vec3 {
  return lowestOf(worldSoles(skel, pose));
}

/**
 * Height of the lowest sole point (heel and toe of each foot on the sole, below the heel and
 * foot_index landmarks, which sit above the sole) of a pose.
 */
export function lowestSolePoint(skel: Skeleton, pose: Pose): number {
  return lowestSole(skel, pose)[1];
}

/** Contact points must spread this far (m) before a floor tilt is estimated from them. */
const MIN_TILT_SPAN = 1.0;
/** Tilts smaller than this (rad) are left alone. */
const MIN_TILT = 0.002;

/** Larger tilts (rad) are fit artefacts, not capture floors: left alone. */
const MAX_TILT = 0.09;

/**
 * Motion capture floors are not always level in the file's frame (a walk that climbs a few
 * centimetres over a few metres). Fit a plane to the lower envelope of the per-frame lowest
 * sole points (least squares, refitted three times on the points at or below the 30th
 * percentile of the residuals) and rotate the motion so that plane is horizontal. The plane
 * tilts only along directions where the contact points spread at least 1 m (a straight walk
 * says nothing about the slope across it), and never more than ~5°.
 */
export function levelGround(skel: Skeleton, poses: Pose[]): Quat {
  const none: Quat = [0, 0, 0, 1];
  const pts = poses.map((p) => lowestSole(skel, p));
  const axes = spreadAxes(pts);
  if (!axes.length) return none;
  let plane = fitPlane(pts, axes);
  for (let iter = 0; iter < 3 && plane; iter++) {
    const pl = plane;
    const res = pts.map((p) => p[1] - pl(p));
    const cut = [...res].sort((a, b) => a - b)[Math.floor(0.3 * (res.length - 1))]!;
    plane = fitPlane(pts.filter((_, i) => res[i]! <= cut), axes) ?? plane;
  }
  if (!plane) return none;
  const pl = plane;
  const c = centroid(pts);
  const slope = (dx: number, dz: number): number => pl([c[0] + dx, 0, c[2] + dz]) - pl([c[0], 0, c[2]]);
  const normal = unit([-slope(1, 0), 1, -slope(0, 1)]);
  const tilt = Math.acos(Math.min(1, normal[1]));
  if (tilt < MIN_TILT || tilt > MAX_TILT) return none;
  const q = quatFromTo(normal, [0, 1, 0]);
  for (const p of poses) {
    p.rootPosition = quatRotate(q, p.rootPosition);
    p.rootRotation = quatNormalize(quatMultiply(q, p.rootRotation));
  }
  return q;
}

/** Horizontal unit directions (principal axes of the points' x, z) along which they spread ≥ MIN_TILT_SPAN. */
function spreadAxes(pts: Vec3[]): Array<[number, number]> {
  if (pts.length < 3) return [];
  const c = centroid(pts);
  let sxx = 0, sxz = 0, szz = 0;
  for (const p of pts) { const x = p[0] - c[0], z = p[2] - c[2]; sxx += x * x; sxz += x * z; szz += z * z; }
  const angle = 0.5 * Math.atan2(2 * sxz, sxx - szz);
  const dirs: Array<[number, number]> = [[Math.cos(angle), Math.sin(angle)], [-Math.sin(angle), Math.cos(angle)]];
  return dirs.filter(([dx, dz]) => {
    const t = pts.map((p) => (p[0] - c[0]) * dx + (p[2] - c[2]) * dz);
    return Math.max(...t) - Math.min(...t) >= MIN_TILT_SPAN;
  });
}

/** Least-squares height y(p) = a + Σ slope_i · (p − centroid)·axis_i over the given axes, or null when degenerate. */
function fitPlane(pts: Vec3[], axes: Array<[number, number]>): ((p: Vec3) => number) | null {
  if (pts.length < 3) return null;
  const c = centroid(pts);
  // The principal axes are orthogonal and centred: each slope is its own 1-D regression.
  const slopes = axes.map(([dx, dz]) => {
    let tt = 0, ty = 0;
    for (const p of pts) { const t = (p[0] - c[0]) * dx + (p[2] - c[2]) * dz; tt += t * t; ty += t * (p[1] - c[1]); }
    return tt > 1e-9 ? ty / tt : NaN;
  });
  if (slopes.some((s) => !Number.isFinite(s))) return null;
  return (p: Vec3): number => c[1] + axes.reduce((acc, [dx, dz], i) => acc + slopes[i]! * ((p[0] - c[0]) * dx + (p[2] - c[2]) * dz), 0);
}

/** A foot stands flat when its heel and toe sole points differ in height by less than this, m… */
const FLAT_HEIGHT = 0.01;
/** …and its sole centre moves slower than this horizontally, m/s. */
const FLAT_SPEED = 0.25;
/** The ground is this percentile of the flat standing feet's sole heights (robust to a flat foot held up). */
const FLAT_PERCENTILE = 0.5;
/** Fewer flat standing foot-frames than this share of frames: fall back to the lowest sole points. */
const MIN_FLAT_SHARE = 0.05;

/** Height of the sole where feet stand flat and still (per frame, worldSoles), or null when too few frames do. */
function flatStanceLevel(soles: Array<Array<readonly [Vec3, Vec3]>>, fps: number): number | null {
  const levels: number[] = [];
  soles.forEach((feet, k) => feet.forEach(([toe, heel], s) => {
    const a = soles[Math.max(0, k - 1)]![s]!, b = soles[Math.min(soles.length - 1, k + 1)]![s]!;
    const span = Math.min(soles.length - 1, k + 1) - Math.max(0, k - 1);
    const centre = (q: typeof a): [number, number] => [(q[0][0] + q[1][0]) / 2, (q[0][2] + q[1][2]) / 2];
    const speed = span > 0 ? Math.hypot(centre(b)[0] - centre(a)[0], centre(b)[1] - centre(a)[1]) * fps / span : 0;
    if (Math.abs(toe[1] - heel[1]) < FLAT_HEIGHT && speed < FLAT_SPEED) levels.push((toe[1] + heel[1]) / 2);
  }));
  if (levels.length < MIN_FLAT_SHARE * soles.length) return null;
  return [...levels].sort((x, y) => x - y)[Math.floor(FLAT_PERCENTILE * (levels.length - 1))]!;
}

/**
 * Feet on the ground: the ground is the level where feet stand flat and still (a low percentile
 * of the per-frame lowest sole point when too few frames do); frames that would still sink (a
 * rigid toe dipping as the source foot rolls over its toes) are lifted to touch y = 0. The first
 * frame's hip centre goes above the origin.
 */
export function placeOnGround(skel: Skeleton, poses: Pose[], fps: number): void {
  const soles = poses.map((p) => worldSoles(skel, p));
  const lowest = soles.map((s) => lowestOf(s)[1]);
  const sorted = [...lowest].sort((a, b) => a - b);
  const ground = flatStanceLevel(soles, fps) ?? sorted[Math.floor(GROUND_PERCENTILE * (sorted.length - 1))]!;
  const x0 = poses[0]!.rootPosition[0];
  const z0 = poses[0]!.rootPosition[2];
  poses.forEach((p, k) => {
    const lift = Math.max(0, ground - lowest[k]!);
    p.rootPosition = [p.rootPosition[0] - x0, p.rootPosition[1] - ground + lift, p.rootPosition[2] - z0];
  });
}
