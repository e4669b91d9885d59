import { LANDMARK_COUNT, LANDMARK_MIRROR } from '../formats/landmarks.ts';
import { quatFromRotationVector, quatToMatrix, type Vec3 } from '../geometry/quaternion.ts';
import { projectCalibrated, undistortPixel, weightedDlt, type ViewCamera } from '../geometry/triangulate.ts';
import { median, type PersonTruth, type ViewTracks } from './multiview-truth.ts';

/**
 * A small bundle adjustment of the cameras on the people themselves: every associated sighting of
 * every person (both at once, so a correction must fit both) is reprojected, and each camera's
 * rotation (optionally principal point and position) and every 3D point are moved to minimise a
 * robust (Cauchy) reprojection cost, by alternating resection and intersection, each a
 * Gauss–Newton step. A prior holds each camera near its calibration (a constant detector bias
 * must not be read as a camera error unless the evidence is strong).
 */
export const BUNDLE_DEFAULTS = {
  rounds: 10,
  /** Which of each camera's parameters move. */
  params: { rotation: true, principalPoint: false, position: false },
  /** Cauchy scale (px): sightings off by much more than this weigh little (a swapped limb, another person). */
  robustPx: 6,
  /** Sightings with a lower detector confidence are not used. */
  minConfidence: 0.5,
  /**
   * Prior on each parameter's change, in the pixels it moves the image centre by, weighed as this many
   * sightings at 1 px: weak against thousands of sightings, enough to keep near-gauge directions put.
   */
  priorWeight: 50,
};

export type BundleOptions = Partial<Omit<typeof BUNDLE_DEFAULTS, 'params'>> & { params?: Partial<typeof BUNDLE_DEFAULTS.params> };

interface Sighting { view: number; u: number; v: number; w: number }
interface Track { sightings: Sighting[]; point: Vec3 }

export interface BundleResult<C> {
  cams: C[];
  /** Per view: rotation change (degrees), principal point change (px), position change (mm). */
  change: Array<{ rotationDeg: number; principalPx: [number, number]; positionMm: number }>;
  /** Robust cost per sighting before and after (px², Cauchy). */
  costBefore: number;
  costAfter: number;
  /** Per view: median reprojection error (px) of its sightings before and after, every sighting counted. */
  medianPxBefore: number[];
  medianPxAfter: number[];
}

/** The sightings of every landmark of every person in every frame, with the truth's sides applied. */
export function collectTracks(cams: readonly ViewCamera[], views: readonly ViewTracks[], truths: readonly PersonTruth[], minConfidence: number): Track[] {
  const out: Track[] = [];
  for (const t of truths) {
    t.assignments.forEach((a, f) => {
      const dets = a.track.map((k, v) => (k == null ? null : views[v]!.tracks[k]!.frames[f]?.keypoints ?? null));
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        const sightings = dets.flatMap((d, v) => {
          const p = d?.[a.swapped[v] ? LANDMARK_MIRROR[i]! : i];
          return p && p[2] >= minConfidence ? [{ view: v, u: p[0], v: p[1], w: p[2] }] : [];
        });
        if (sightings.length < 2) continue;
        const start = t.frames[f]?.[i] ?? dlt(cams, sightings);
        if (start) out.push({ sightings, point: start });
      }
    });
  }
  return out;
}

function dlt(cams: readonly ViewCamera[], s: Sighting[]): Vec3 | null {
  return weightedDlt(cams, s.map((o) => { const [x, y] = undistortPixel(cams[o.view]!, o.u, o.v); return { view: o.view, x, y, weight: o.w }; }));
}

/** A camera with its rotation turned by `omega` (camera axes, about its own centre), principal point and centre moved. */
export function perturbCamera<C extends ViewCamera>(cam: C, d: readonly number[]): C {
  const [wx = 0, wy = 0, wz = 0, dcx = 0, dcy = 0, dX = 0, dY = 0, dZ = 0] = d;
  const Q = quatToMatrix(quatFromRotationVector([wx, wy, wz]));
  const R = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => Q[3 * r]! * cam.R[c]! + Q[3 * r + 1]! * cam.R[3 + c]! + Q[3 * r + 2]! * cam.R[6 + c]!));
  // Centre C = −Rᵀt, moved by (dX, dY, dZ); then t' = −R'C'.
  const C = [0, 1, 2].map((c) => -(cam.R[c]! * cam.t[0] + cam.R[3 + c]! * cam.t[1] + cam.R[6 + c]! * cam.t[2]) + [dX, dY, dZ][c]!);
  const t = [0, 1, 2].map((r) => -(R[3 * r]! * C[0]! + R[3 * r + 1]! * C[1]! + R[3 * r + 2]! * C[2]!)) as [number, number, number];
  return { ...cam, R, t, cx: cam.cx + dcx, cy: cam.cy + dcy };
}

const cauchy = (r2: number, s: number) => s * s * Math.log1p(r2 / (s * s));
/** IRLS weight of the Cauchy loss. */
const cauchyWeight = (r2: number, s: number) => 1 / (1 + r2 / (s * s));

function residual(cam: ViewCamera, p: Vec3, s: Sighting): [number, number] | null {
  const q = projectCalibrated(cam, p);
  return q ? [q[0] - s.u, q[1] - s.v] : null;
}

/** Solves the n × n system A x = b (row-major) by Gaussian elimination with partial pivoting. */
export function solveSmall(A: number[], b: number[]): number[] | null {
  const n = b.length;
  const M = A.slice();
  const x = b.slice();
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[piv * n + c]!)) piv = r;
    if (Math.abs(M[piv * n + c]!) < 1e-12) return null;
    if (piv !== c) {
      for (let k = 0; k < n; k++) [M[c * n + k], M[piv * n + k]] = [M[piv * n + k]!, M[c * n + k]!];
      [x[c], x[piv]] = [x[piv]!, x[c]!];
    }
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c]! / M[c * n + c]!;
      for (let k = c; k < n; k++) M[r * n + k] -= f * M[c * n + k]!;
      x[r] -= f * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < n; k++) s -= M[r * n + k]! * x[k]!;
    x[r] = s / M[r * n + r]!;
  }
  return x;
}

/**
 * One damped Gauss–Newton step on a robust least-squares problem in `n` parameters, with numeric
 * Jacobians: `terms(x)` lists residual pairs and their weights. Returns the step (not applied).
 */
function gaussNewtonStep(n: number, x: number[], terms: (x: number[]) => Array<{ r: [number, number]; w: number }>, prior: number[], h: number[]): number[] {
  const base = terms(x);
  const J = Array.from({ length: n }, (_, k) => {
    const xk = x.slice();
    xk[k] += h[k]!;
    return terms(xk).map((t, m) => [(t.r[0] - base[m]!.r[0]) / h[k]!, (t.r[1] - base[m]!.r[1]) / h[k]!]);
  });
  const A = new Array(n * n).fill(0);
  const g = new Array(n).fill(0);
  base.forEach((t, m) => {
    for (let i = 0; i < n; i++) {
      const ji = J[i]![m]!;
      g[i] -= t.w * (ji[0]! * t.r[0] + ji[1]! * t.r[1]);
      for (let j = 0; j < n; j++) { const jj = J[j]![m]!; A[i * n + j] += t.w * (ji[0]! * jj[0]! + ji[1]! * jj[1]!); }
    }
  });
  for (let i = 0; i < n; i++) { A[i * n + i] += prior[i]! + 1e-9; g[i] -= prior[i]! * x[i]!; }
  return solveSmall(A, g) ?? new Array(n).fill(0);
}

const PARAM_GROUPS = [['rotation', [0, 1, 2]], ['principalPoint', [3, 4]], ['position', [5, 6, 7]]] as const;

/** The cameras refined on the people's sightings (see the file comment), with what changed. */
export function bundleAdjust<C extends ViewCamera>(cams: readonly C[], views: readonly ViewTracks[], truths: readonly PersonTruth[], options: BundleOptions = {}): BundleResult<C> {
  const o = { ...BUNDLE_DEFAULTS, ...options, params: { ...BUNDLE_DEFAULTS.params, ...(options.params ?? {}) } };
  const tracks = collectTracks(cams, views, truths, o.minConfidence);
  const active = PARAM_GROUPS.flatMap(([name, idx]) => (o.params[name] ? [...idx] : []));
  const deltas = cams.map(() => new Array(8).fill(0) as number[]);
  const current = () => cams.map((c, v) => perturbCamera(c, deltas[v]!));
  const cost = (cs: C[]) => {
    let sum = 0;
    let n = 0;
    for (const tr of tracks) for (const s of tr.sightings) { const r = residual(cs[s.view]!, tr.point, s); if (r) { sum += s.w * cauchy(r[0] ** 2 + r[1] ** 2, o.robustPx); n += 1; } }
    return n ? sum / n : NaN;
  };
  const perView = (cs: readonly C[]) => cs.map((cam, v) => median(tracks.flatMap((tr) => tr.sightings.filter((s) => s.view === v).map((s) => { const r = residual(cam, tr.point, s); return r ? Math.hypot(r[0], r[1]) : NaN; }))));
  intersect(current(), tracks, o.robustPx);
  const costBefore = cost([...cams]);
  const medianPxBefore = perView(cams);
  for (let round = 0; round < o.rounds && active.length; round++) {
    const cs = current();
    cams.forEach((cam, v) => {
      const mine = tracks.flatMap((tr) => tr.sightings.filter((s) => s.view === v).map((s) => ({ s, p: tr.point })));
      const weights = mine.map(({ s, p }) => { const r = residual(cs[v]!, p, s); return r ? s.w * cauchyWeight(r[0] ** 2 + r[1] ** 2, o.robustPx) : 0; });
      const full = (x: number[]) => { const d = new Array(8).fill(0); active.forEach((k, j) => { d[k] = x[j]!; }); return d; };
      const terms = (x: number[]) => {
        const moved = perturbCamera(cam, full(x));
        return mine.map(({ s, p }, m) => ({ r: residual(moved, p, s) ?? [0, 0] as [number, number], w: weights[m]! }));
      };
      // Prior per parameter in pixels of image-centre motion: rotation f px/rad, position f/depth px/m (people ~4 m away).
      const pxPer = active.map((k) => (k < 3 ? cam.fx : k < 5 ? 1 : cam.fx / 4));
      const x0 = active.map((k) => deltas[v]![k]!);
      const step = gaussNewtonStep(active.length, x0, terms, pxPer.map((p) => o.priorWeight * p * p), active.map((k) => (k < 3 ? 1e-6 : k < 5 ? 1e-3 : 1e-5)));
      active.forEach((k, j) => { deltas[v]![k] += step[j]!; });
    });
    intersect(current(), tracks, o.robustPx);
  }
  const out = current();
  return {
    cams: out,
    change: deltas.map((d) => ({ rotationDeg: (Math.hypot(d[0]!, d[1]!, d[2]!) * 180) / Math.PI, principalPx: [d[3]!, d[4]!], positionMm: 1000 * Math.hypot(d[5]!, d[6]!, d[7]!) })),
    costBefore,
    costAfter: cost(out),
    medianPxBefore,
    medianPxAfter: perView(out),
  };
}

/** Moves every 3D point to its robust reprojection optimum under the given cameras (two Gauss–Newton steps). */
function intersect(cams: readonly ViewCamera[], tracks: Track[], robustPx: number): void {
  for (const tr of tracks) {
    for (let it = 0; it < 2; it++) {
      const weights = tr.sightings.map((s) => { const r = residual(cams[s.view]!, tr.point, s); return r ? s.w * cauchyWeight(r[0] ** 2 + r[1] ** 2, robustPx) : 0; });
      const terms = (x: number[]) => tr.sightings.map((s, m) => ({ r: residual(cams[s.view]!, x as Vec3, s) ?? [0, 0] as [number, number], w: weights[m]! }));
      const step = gaussNewtonStep(3, [...tr.point], terms, [0, 0, 0], [1e-5, 1e-5, 1e-5]);
      tr.point = [tr.point[0] + step[0]!, tr.point[1] + step[1]!, tr.point[2] + step[2]!];
    }
  }
}
