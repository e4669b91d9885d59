import { symmetricEigen } from './eigen.ts';
import { distortNormalized, undistortNormalized, type Distortion } from './distortion.ts';
import type { Vec3 } from './quaternion.ts';

/**
 * Multi-view triangulation with calibrated OpenCV-convention cameras (x_c = R·X + t, z forward).
 * Confidence-weighted DLT on undistorted normalized coordinates, then views whose
 * sighting the others disagree with are dropped one by one (a wrong or swapped detection in
 * one view must not drag the point).
 */
export interface ViewCamera {
  fx: number; fy: number; cx: number; cy: number;
  distortion: Distortion;
  /** Row-major 3 × 3 world → camera rotation. */
  R: readonly number[];
  t: readonly [number, number, number];
}

/** One view's sighting of a point: pixel position (distorted, as detected) and its confidence. */
export interface Sighting {
  u: number;
  v: number;
  weight: number;
}

export interface TriangulateOptions {
  /** Sightings below this weight are not used. */
  minWeight?: number;
  /** A view that the others' point misses by more than this (px) is rejected… */
  rejectPx?: number;
  /** …when that miss is also this many times the others' own median error (they agree). */
  rejectRatio?: number;
  /** Never drop below this many views. */
  minViews?: number;
}

export const TRIANGULATE_DEFAULTS: Required<TriangulateOptions> = {
  minWeight: 0.3,
  rejectPx: 15,
  rejectRatio: 3,
  minViews: 2,
};

export interface Triangulated {
  point: Vec3;
  /** Indices (into the camera list) of the views kept. */
  views: number[];
  /** Reprojection error (px) in every view that had a sighting (NaN where none), kept or not. */
  errors: number[];
}

/** Camera coordinates of a world point. */
export function toCamera(cam: ViewCamera, p: Vec3): Vec3 {
  const { R, t } = cam;
  return [
    R[0]! * p[0] + R[1]! * p[1] + R[2]! * p[2] + t[0],
    R[3]! * p[0] + R[4]! * p[1] + R[5]! * p[2] + t[1],
    R[6]! * p[0] + R[7]! * p[1] + R[8]! * p[2] + t[2],
  ];
}

/** World point → distorted pixel; null behind the camera. */
export function projectCalibrated(cam: ViewCamera, p: Vec3): [number, number] | null {
  const c = toCamera(cam, p);
  if (c[2] <= 1e-6) return null;
  const [xd, yd] = distortNormalized(c[0] / c[2], c[1] / c[2], cam.distortion);
  return [cam.fx * xd + cam.cx, cam.fy * yd + cam.cy];
}

/** Distorted pixel → undistorted normalized coordinates. */
export function undistortPixel(cam: ViewCamera, u: number, v: number): [number, number] {
  return undistortNormalized((u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy, cam.distortion);
}

/** Weighted DLT: the point minimizing Σ w²‖(x·P₃ − P₁, y·P₃ − P₂)‖² over homogeneous X. */
export function weightedDlt(cams: readonly ViewCamera[], obs: ReadonlyArray<{ view: number; x: number; y: number; weight: number }>): Vec3 | null {
  const AtA = new Array(16).fill(0);
  for (const o of obs) {
    const { R, t } = cams[o.view]!;
    const P = [R[0]!, R[1]!, R[2]!, t[0], R[3]!, R[4]!, R[5]!, t[1], R[6]!, R[7]!, R[8]!, t[2]];
    for (const [a, row] of [[o.x, 0], [o.y, 4]] as const) {
      const r = [0, 1, 2, 3].map((k) => o.weight * (a * P[8 + k]! - P[row + k]!));
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) AtA[4 * i + j] += r[i]! * r[j]!;
    }
  }
  const X = smallestEigenvector4(AtA);
  if (Math.abs(X[3]!) < 1e-12) return null;
  return [X[0]! / X[3]!, X[1]! / X[3]!, X[2]! / X[3]!];
}

/**
 * Triangulates one point from its sightings (null entries: not seen in that view). A view is
 * dropped when the point triangulated from the other views reprojects far from its sighting
 * while those views agree among themselves (leave-one-out), worst first, down to `minViews`.
 */
export function triangulatePoint(cams: readonly ViewCamera[], sightings: ReadonlyArray<Sighting | null>, options: TriangulateOptions = {}): Triangulated | null {
  const opts = { ...TRIANGULATE_DEFAULTS, ...options };
  let views = sightings.flatMap((s, i) => (s && s.weight >= opts.minWeight ? [i] : []));
  const norm = sightings.map((s, i) => (s ? undistortPixel(cams[i]!, s.u, s.v) : null));
  const solve = (use: number[]) => weightedDlt(cams, use.map((i) => ({ view: i, x: norm[i]![0], y: norm[i]![1], weight: sightings[i]!.weight })));
  const errorAt = (point: Vec3, i: number) => {
    const s = sightings[i]!;
    const q = projectCalibrated(cams[i]!, point);
    return q ? Math.hypot(q[0] - s.u, q[1] - s.v) : Infinity;
  };
  while (views.length > Math.max(2, opts.minViews)) {
    let worst = -1;
    let worstErr = 0;
    let restErr = 0;
    for (const v of views) {
      const rest = views.filter((i) => i !== v);
      const p = solve(rest);
      if (!p) continue;
      const e = errorAt(p, v);
      if (e > worstErr) { worst = v; worstErr = e; restErr = median(rest.map((i) => errorAt(p, i))); }
    }
    if (worst < 0 || worstErr <= opts.rejectPx || worstErr <= opts.rejectRatio * Math.max(1, restErr)) break;
    views = views.filter((i) => i !== worst);
  }
  if (views.length < opts.minViews || views.length < 2) return null;
  const point = solve(views);
  if (!point) return null;
  const errors = sightings.map((s, i) => (s ? errorAt(point, i) : NaN));
  return { point, views, errors };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Eigenvector of the smallest eigenvalue of a symmetric 4 × 4 matrix. */
function smallestEigenvector4(S: readonly number[]): number[] {
  const { values, vectors } = symmetricEigen(S, 4);
  let best = 0;
  for (let i = 1; i < 4; i++) if (values[i]! < values[best]!) best = i;
  return [vectors[best]!, vectors[4 + best]!, vectors[8 + best]!, vectors[12 + best]!];
}
