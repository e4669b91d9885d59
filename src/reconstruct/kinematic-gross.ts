import { LANDMARK_COUNT, LANDMARK_INDEX as L, LANDMARK_MIRROR } from '../formats/landmarks.ts';
import { projectPoint, type PinholeCamera } from '../geometry/camera.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import type { Observations } from './observations.ts';
import type { Intrinsics } from '../formats/common.ts';
import { solveTranslation } from './camera.ts';
import { SCENE_DEFAULTS, gaussianKernel, smoothFrames } from './scene.ts';

/**
 * A detector's gross failures found before the kinematic fit, so the fit does not follow them.
 * Each landmark's 2D track (in torso lengths) and 3D track (hip-centred metres) is compared
 * with its own robust temporal fit (a local quadratic over the neighbouring frames, the frame
 * itself left out, outliers re-weighted away); a limb pair whose mirrored labelling lies
 * much nearer that fit is relabelled (a side swap), and what stays far from it loses weight
 * (a misplaced limb). The scale of "far" is each landmark's own median residual over the clip,
 * so ordinary noise and fast motion set it, not a constant.
 */
export interface GrossOptions {
  /** σ of the temporal fit's Gaussian weights, seconds. */
  sigmaS: number;
  /** Re-weighting rounds of the robust temporal fit. */
  rounds: number;
  /** A residual of this many robust spreads (1.4826 × median residual) halves a landmark's weight (Cauchy). */
  spreads: number;
  /** Lower bounds of the scale: 2D in torso lengths, 3D in metres (a still landmark's median residual is ~0). */
  minScale2d: number;
  minScale3d: number;
  /** A pair is relabelled when its mirrored labelling lies nearer the fit than this share of its labelling's distance… */
  swapShare: number;
  /** …and its labelling is at least this many scales off (two crossing legs are not a swap). */
  swapSpreads: number;
  /** A final weight at or above this counts as 1 (1: every weight stands); 0.5 makes pose_squats.mp4's physics stage fall. */
  keepAbove: number;
  /** Relabel swapped pairs (false: only down-weight them). */
  swaps: boolean;
  /**
   * The 2D against the robustly smoothed 3D placed in the image: 'both' down-weights a 2D point only where
   * it is off its temporal fit and off the 3D too; 'either' where it is off one of them; null: the temporal fit alone.
   */
  agreement: 'both' | 'either' | null;
}

/**
 * Chosen on the CMU bench, 4 s kinematic (docs/notebook/robust-fit.md): under `blazepose-placed` PA 73.3 → 69.3 mm,
 * under `blazepose` 49.2 → 49.1; a shorter σ or the temporal fit alone caught fewer events or cost the latter up to 1 mm.
 */
export const GROSS_DEFAULTS: GrossOptions = {
  sigmaS: 0.4,
  rounds: 8,
  spreads: 1.5,
  minScale2d: 0.01,
  minScale3d: 0.01,
  swapShare: 0.5,
  swapSpreads: 2,
  keepAbove: 1,
  swaps: true,
  agreement: 'both',
};

/** What was found: relabelled frames per pair and space, and landmark-frames that lost most of their weight. */
export interface GrossReport {
  swaps2d: number;
  swaps3d: number;
  downweighted2d: number;
  downweighted3d: number;
}

/** The observations the kinematic fit should see, with `worldWeight` set, and what was changed. */
export function rejectGross(obs: Observations, options: Partial<GrossOptions> = {}, intrinsics: Intrinsics | null = null): { obs: Observations; report: GrossReport } {
  const o = { ...GROSS_DEFAULTS, ...options };
  const T = obs.frameCount;
  const sigma = Math.max(0.5, o.sigmaS * obs.fps);
  const torso = torsoLength(obs);
  const points2d = obs.points2d.map((f) => f.map((p) => [p[0], p[1]] as [number, number]));
  const conf2d = obs.confidence.map((f) => f.slice());
  const has2d = conf2d.map((f) => f.map((c) => c > 0));
  const track2d: Track = { at: (t, j) => [points2d[t]![j]![0] / torso, points2d[t]![j]![1] / torso], has: (t, j) => has2d[t]![j]! };
  const world = obs.world ? obs.world.map((f) => f.map((p) => [p[0], p[1], p[2]] as Vec3)) : null;
  const hipCentred = (t: number, j: number): number[] => {
    const f = world![t]!, a = f[L.left_hip]!, b = f[L.right_hip]!;
    const p = f[j]!;
    return [p[0] - (a[0] + b[0]) / 2, p[1] - (a[1] + b[1]) / 2, p[2] - (a[2] + b[2]) / 2];
  };
  const track3d: Track | null = world ? { at: hipCentred, has: (t) => obs.valid[t]! } : null;

  const report: GrossReport = { swaps2d: 0, swaps3d: 0, downweighted2d: 0, downweighted3d: 0 };
  if (o.swaps) {
    report.swaps2d = relabel(track2d, T, sigma, o, o.minScale2d, (t, i, m) => {
      [points2d[t]![i], points2d[t]![m]] = [points2d[t]![m]!, points2d[t]![i]!];
      [has2d[t]![i], has2d[t]![m]] = [has2d[t]![m]!, has2d[t]![i]!];
      [conf2d[t]![i], conf2d[t]![m]] = [conf2d[t]![m]!, conf2d[t]![i]!];
    });
    if (track3d) report.swaps3d = relabel(track3d, T, sigma, o, o.minScale3d, (t, i, m) => { [world![t]![i], world![t]![m]] = [world![t]![m]!, world![t]![i]!]; });
  }
  const w2 = landmarkWeights(track2d, T, sigma, o, o.minScale2d);
  const w3 = track3d ? landmarkWeights(track3d, T, sigma, o, o.minScale3d) : null;
  if (world && w3 && intrinsics && o.agreement) {
    const wc = agreementWeights(obs, world, w3, points2d, conf2d, torso, intrinsics, o);
    for (let t = 0; t < T; t++) for (let j = 0; j < LANDMARK_COUNT; j++) w2[t]![j] = o.agreement === 'both' ? Math.max(w2[t]![j]!, wc[t]![j]!) : Math.min(w2[t]![j]!, wc[t]![j]!);
  }
  const confidence = conf2d.map((f, t) => f.map((c, j) => c * w2[t]![j]!));
  report.downweighted2d = count(w2, (w, t, j) => has2d[t]![j]! && w < 0.25);
  report.downweighted3d = w3 ? count(w3, (w, t) => obs.valid[t]! && w < 0.25) : 0;
  return { obs: { ...obs, points2d, confidence, world, worldWeight: w3 }, report };
}

/** One landmark series: its value at (frame, landmark) and whether it was seen. */
interface Track {
  at: (t: number, j: number) => number[];
  has: (t: number, j: number) => boolean;
}

/** Median image distance from the shoulders' centre to the hips' centre over the clip (px). */
function torsoLength(obs: Observations): number {
  const lengths: number[] = [];
  obs.points2d.forEach((f, t) => {
    const c = obs.confidence[t]!;
    if (![L.left_shoulder, L.right_shoulder, L.left_hip, L.right_hip].every((j) => c[j]! > 0)) return;
    const s = mid2(f[L.left_shoulder]!, f[L.right_shoulder]!), h = mid2(f[L.left_hip]!, f[L.right_hip]!);
    lengths.push(Math.hypot(s[0] - h[0], s[1] - h[1]));
  });
  lengths.sort((a, b) => a - b);
  return Math.max(1, lengths[lengths.length >> 1] ?? obs.height / 4);
}

/**
 * Per landmark, the robust leave-one-out temporal fit of its series: the fitted value at every
 * frame and each frame's residual, after `rounds` of Cauchy re-weighting at the landmark's own scale.
 */
function robustFit(track: Track, j: number, T: number, sigma: number, o: GrossOptions, minScale: number): { fit: (number[] | null)[]; residual: number[]; scale: number } {
  const { r, kernel } = gaussianKernel(sigma);
  const values = Array.from({ length: T }, (_, t) => (track.has(t, j) ? track.at(t, j) : null));
  const weight: number[] = values.map((v) => (v ? 1 : 0));
  let fit: (number[] | null)[] = [];
  let residual: number[] = [];
  let scale = minScale;
  for (let round = 0; round <= o.rounds; round++) {
    fit = values.map((_, t) => localQuadratic(values, weight, kernel, r, t));
    residual = values.map((v, t) => (v && fit[t] ? dist(v, fit[t]!) : NaN));
    scale = Math.max(minScale, 1.4826 * median(residual.filter((x) => !Number.isNaN(x))));
    for (let t = 0; t < T; t++) weight[t] = values[t] ? cauchy(residual[t]!, o.spreads * scale) : 0;
  }
  return { fit, residual, scale };
}

/** Cauchy weight of a residual at scale c (1 at 0, ½ at c); a frame without a fit keeps full weight. */
function cauchy(residual: number, c: number): number {
  return Number.isNaN(residual) ? 1 : 1 / (1 + (residual / c) ** 2);
}

/** Weight of every landmark in every frame from its residual to its robust temporal fit. */
function landmarkWeights(track: Track, T: number, sigma: number, o: GrossOptions, minScale: number): number[][] {
  const out = Array.from({ length: T }, () => new Array<number>(LANDMARK_COUNT).fill(1));
  for (let j = 0; j < LANDMARK_COUNT; j++) {
    const { residual, scale } = robustFit(track, j, T, sigma, o, minScale);
    for (let t = 0; t < T; t++) { const w = cauchy(residual[t]!, o.spreads * scale); out[t]![j] = w < o.keepAbove ? w : 1; }
  }
  return out;
}

/** The distal points of each limb pair (shoulders and hips stay with the trunk), left side. */
const PAIRS: readonly (readonly number[])[] = [
  [L.left_elbow, L.left_wrist, L.left_pinky, L.left_index, L.left_thumb],
  [L.left_knee, L.left_ankle, L.left_heel, L.left_foot_index],
];

/** Relabels each frame's limb pair whose mirrored labelling fits the robust temporal fit much better; returns the frames changed. */
function relabel(track: Track, T: number, sigma: number, o: GrossOptions, minScale: number, swap: (t: number, i: number, m: number) => void): number {
  let changed = 0;
  for (const left of PAIRS) {
    const points = [...left, ...left.map((i) => LANDMARK_MIRROR[i]!)];
    const fits = new Map(points.map((j) => [j, robustFit(track, j, T, sigma, o, minScale)]));
    for (let t = 0; t < T; t++) {
      let labelled = 0, mirrored = 0, scale = 0, n = 0;
      for (const i of points) {
        const m = LANDMARK_MIRROR[i]!;
        const fi = fits.get(i)!.fit[t], fm = fits.get(m)!.fit[t];
        if (!track.has(t, i) || !fi || !fm) continue;
        const v = track.at(t, i);
        labelled += dist(v, fi);
        mirrored += dist(v, fm);
        scale += fits.get(i)!.scale;
        n++;
      }
      if (n < points.length / 2) continue;
      if (mirrored < o.swapShare * labelled && labelled > o.swapSpreads * o.spreads * scale) {
        for (const i of left) swap(t, i, LANDMARK_MIRROR[i]!);
        changed++;
      }
    }
  }
  return changed;
}

/**
 * The weighted least-squares quadratic through the series around t (Gaussian weights × `weight`,
 * frame t itself left out), read at t; the weighted mean where a quadratic is undetermined (as
 * scene.ts quadraticTaps, summed in place: this runs for every landmark, frame and round); null without any frame.
 */
function localQuadratic(values: readonly (number[] | null)[], weight: readonly number[], kernel: readonly number[], r: number, t: number): number[] | null {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  let dim = 0;
  const m0 = [0, 0, 0], m1 = [0, 0, 0], m2 = [0, 0, 0];
  for (let i = -r; i <= r; i++) {
    const u = t + i;
    const v = values[u];
    if (i === 0 || !v || !(weight[u]! > 0)) continue;
    const q = kernel[i + r]! * weight[u]!;
    s0 += q; s1 += q * i; s2 += q * i * i; s3 += q * i * i * i; s4 += q * i * i * i * i;
    dim = v.length;
    for (let c = 0; c < dim; c++) { m0[c]! += q * v[c]!; m1[c]! += q * i * v[c]!; m2[c]! += q * i * i * v[c]!; }
  }
  if (!(s0 > 0)) return null;
  const c0 = s2 * s4 - s3 * s3, c1 = s3 * s2 - s1 * s4, c2 = s1 * s3 - s2 * s2;
  const det = s0 * c0 + s1 * c1 + s2 * c2;
  const quadratic = det > 1e-9 * s0 * s2 * s4;
  return Array.from({ length: dim }, (_, c) => (quadratic ? (c0 * m0[c]! + c1 * m1[c]! + c2 * m2[c]!) / det : m0[c]! / s0));
}

function count(w: number[][], pred: (w: number, t: number, j: number) => boolean): number {
  let n = 0;
  w.forEach((f, t) => f.forEach((v, j) => { if (pred(v, t, j)) n++; }));
  return n;
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const v = xs.slice().sort((a, b) => a - b);
  return v[v.length >> 1]!;
}

function dist(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return Math.sqrt(s);
}
const mid2 = (a: readonly number[], b: readonly number[]) => [(a[0]! + b[0]!) / 2, (a[1]! + b[1]!) / 2];

/**
 * Weight of each 2D point from its distance to the robustly smoothed 3D landmarks placed in depth
 * (one translation per frame from the trusted points) and projected, in torso lengths, at the
 * landmark's own robust scale over the clip.
 */
function agreementWeights(obs: Observations, world: Vec3[][], w3: number[][], points2d: [number, number][][], conf2d: number[][], torso: number, intr: Intrinsics, o: GrossOptions): number[][] {
  const T = obs.frameCount;
  // The camera at the origin looking down −z: the points below are already in its frame.
  const camera: PinholeCamera = { ...intr, position: [0, 0, 0], rotation: [0, 0, 0, 1] };
  const smooth = smoothFrames(world, obs.valid, SCENE_DEFAULTS.worldSmoothing, w3);
  const residual: number[][] = Array.from({ length: T }, () => new Array<number>(LANDMARK_COUNT).fill(NaN));
  for (let t = 0; t < T; t++) {
    if (!obs.valid[t]) continue;
    const f = smooth[t]!, a = f[L.left_hip]!, b = f[L.right_hip]!;
    const local = f.map((p) => [p[0] - (a[0] + b[0]) / 2, p[1] - (a[1] + b[1]) / 2, p[2] - (a[2] + b[2]) / 2] as Vec3);
    const tr = solveTranslation(local, points2d[t]!, conf2d[t]!, intr);
    if (!tr) continue;
    for (let j = 0; j < LANDMARK_COUNT; j++) {
      if (!(conf2d[t]![j]! > 0)) continue;
      const p: Vec3 = [local[j]![0] + tr[0], local[j]![1] + tr[1], local[j]![2] + tr[2]];
      if (!(p[2] < -0.05)) continue;
      const [u, v] = projectPoint(camera, p)!;
      residual[t]![j] = Math.hypot(u - points2d[t]![j]![0], v - points2d[t]![j]![1]) / torso;
    }
  }
  const out = Array.from({ length: T }, () => new Array<number>(LANDMARK_COUNT).fill(1));
  for (let j = 0; j < LANDMARK_COUNT; j++) {
    const rs = residual.map((r) => r[j]!).filter((x) => !Number.isNaN(x));
    const scale = Math.max(o.minScale2d, 1.4826 * median(rs));
    for (let t = 0; t < T; t++) out[t]![j] = cauchy(residual[t]![j]!, o.spreads * scale);
  }
  return out;
}
