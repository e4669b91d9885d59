import { UserError } from '../errors.ts';
import { landmarkPositions } from '../body/fk.ts';
import { restPose } from '../body/pose.ts';
import { createSkeleton, type Skeleton, type SkeletonOptions } from '../body/skeleton.ts';
import type { Intrinsics } from '../formats/common.ts';
import { LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import { quatFromMatrix, quatToRotationVector, type Vec3 } from '../geometry/quaternion.ts';
import { cameraFromGround, cameraToWorld, resolveIntrinsics, solveTranslation, type CameraGround } from './camera.ts';
import { estimateBodySize, estimateGround, SEGMENTS, type BodySize, type SegmentName } from './ground.ts';
import { fillSeries, type Observations } from './observations.ts';
import { anchorFeetDepth } from './kinematic-ground.ts';

/**
 * Everything the fitting stages need before they start: the subject's skeleton (stature and
 * proportions from bone lengths), the static camera and ground, and a first 3D guess per
 * frame — the detector's 3D landmarks placed in depth so they reproject onto the 2D
 * keypoints, then moved into the world frame (ground y = 0).
 */
export interface Scene {
  skel: Skeleton;
  /** What rebuilds `skel` (stored in kinematic.json for the next stage). */
  skeletonOptions: SkeletonOptions;
  body: BodySize;
  intrinsics: Intrinsics;
  ground: CameraGround;
  camera: PinholeCamera;
  /** Mean subject depth (m). */
  depth: number;
  /** First 3D guess of the 33 landmarks per frame, world frame. */
  initWorld: Vec3[][];
  /** Detector 3D landmarks per frame (hip-centred, camera axes), or null. */
  prior3d: Vec3[][] | null;
}

export interface SceneOptions {
  /** Subject stature in metres; estimated from bone lengths when not given. */
  height?: number;
  /** Adapt limb proportions to the measured bone lengths (within ±15 %). */
  fitProportions?: boolean;
  /**
   * Smoothing (σ of the Gaussian weights, frames; smoothFrames) of the detector's hip-centred
   * 3D landmarks before they become the first guess and the 3D prior: their noise is nearly
   * independent from frame to frame, and it was the largest error of the kinematic stage (CMU
   * squat, 2 s, 3 px + 3 cm synthetic noise: PA-MPJPE 17 mm without the 3D noise, 36 mm with it). 0 for none.
   */
  worldSmoothing?: number;
  /** Feet within this many torso lengths of each other in the image share a depth for the ground fit (kinematic-ground.ts); 0 (default): each frame's own (0.1 measured in docs/notebook/real-video.md). */
  groundAnchor?: number;
}

export const SCENE_DEFAULTS: Required<Omit<SceneOptions, 'height'>> = { fitProportions: true, worldSmoothing: 3.5, groundAnchor: 0 };

/** Segment lengths per unit of the skeleton's height option, measured on the model itself. */
export function skeletonRatios(): Record<SegmentName, number> {
  const skel = createSkeleton({ height: 1 });
  const lm = landmarkPositions(skel, restPose(skel));
  const out = {} as Record<SegmentName, number>;
  for (const name of Object.keys(SEGMENTS) as SegmentName[]) {
    let s = 0;
    for (const [a, b] of SEGMENTS[name]) s += Math.hypot(lm[a]![0] - lm[b]![0], lm[a]![1] - lm[b]![1], lm[a]![2] - lm[b]![2]);
    out[name] = s / SEGMENTS[name].length;
  }
  return out;
}

export function buildScene(obs: Observations, cameraIntrinsics: Intrinsics | null, source: string, options: SceneOptions = {}): Scene {
  const o = { ...SCENE_DEFAULTS, ...options };
  const T = obs.frameCount;
  const intrinsics = resolveIntrinsics(cameraIntrinsics, obs.width, obs.height);
  const ratios = skeletonRatios();

  // Body size from the detector's metric 3D landmarks (valid frames only).
  const world = obs.world ? smoothFrames(obs.world, obs.valid, o.worldSmoothing, obs.worldWeight) : null;
  const validWorld = world ? world.filter((_, t) => obs.valid[t]) : [];
  const body = validWorld.length ? estimateBodySize(validWorld, ratios) : estimateBodySize([], ratios);
  const height = options.height ?? body.height;
  const clampP = (v: number) => Math.max(0.85, Math.min(1.15, v));
  const pr = body.proportions;
  const skeletonOptions: SkeletonOptions = {
    height,
    proportions: o.fitProportions && validWorld.length && options.height === undefined
      ? {
          legs: clampP((pr.thigh + pr.shin) / 2),
          arms: clampP((pr.upperArm + pr.forearm) / 2),
          shoulderWidth: clampP(pr.shoulderWidth),
          hipWidth: clampP(pr.hipWidth),
        }
      : {},
  };
  const skel = createSkeleton(skeletonOptions);

  // Local (hip-centred, camera axes) 3D per frame: the detector's, or the rest pose without one.
  const restLmGround = landmarkPositions(skel, restPose(skel));
  const restLm = landmarkPositions(skel, { ...restPose(skel), rootPosition: [0, 0, 0] });
  const local: Vec3[][] = Array.from({ length: T }, (_, t) => {
    const w = world?.[t] ?? restLm;
    const mid = midpoint(w[L.left_hip]!, w[L.right_hip]!);
    return w.map((p) => [p[0] - mid[0], p[1] - mid[1], p[2] - mid[2]] as Vec3);
  });

  // Depth from reprojection: a translation per frame, interpolated where it fails.
  const trans: (Vec3 | null)[] = local.map((l, t) => (obs.valid[t] ? solveTranslation(l, obs.points2d[t]!, obs.confidence[t]!, intrinsics) : null));
  if (!trans.some(Boolean)) throw new UserError(`${source}: cannot place the subject in depth in any frame (keypoints degenerate)`);
  fillSeries(T, (t) => trans[t] !== null, (t, a, b, w) => {
    const pa = trans[a]!, pb = trans[b]!;
    trans[t] = [pa[0] + w * (pb[0] - pa[0]), pa[1] + w * (pb[1] - pa[1]), pa[2] + w * (pb[2] - pa[2])];
  });
  const camFrames = local.map((l, t) => l.map((p) => [p[0] + trans[t]![0], p[1] + trans[t]![1], p[2] + trans[t]![2]] as Vec3));
  const validCam = camFrames.filter((_, t) => obs.valid[t]);
  // Sole landmarks sit a little above the sole on the model: tell the ground fit how much.
  const soleHeights: Record<number, number> = {};
  for (const j of [L.left_heel, L.right_heel, L.left_foot_index, L.right_foot_index]) soleHeights[j] = restLmGround[j]![1];
  const ground = estimateGround(anchorFeetDepth(validCam, obs.points2d.filter((_, t) => obs.valid[t]), o.groundAnchor), { soleHeights });
  const meanRoot = mean3(validCam.map((f) => midpoint(f[L.left_hip]!, f[L.right_hip]!)));
  const camera = cameraFromGround(intrinsics, ground, meanRoot);
  const initWorld = camFrames.map((f) => f.map((p) => cameraToWorld(camera, p)));
  return {
    skel, skeletonOptions, body, intrinsics, ground: { pitch: ground.pitch, height: ground.height }, camera,
    depth: Math.max(0.5, -meanRoot[2]), initWorld, prior3d: world ? local : null,
  };
}

/**
 * Root pose (pelvis position and rotation vector) from world landmarks: the pelvis frame
 * has x toward the subject's left hip, y up the trunk, z forward (the skeleton's rest axes).
 */
export function rootFromLandmarks(lm: readonly Vec3[]): { position: Vec3; rotation: Vec3 } {
  const lh = lm[L.left_hip]!, rh = lm[L.right_hip]!;
  const position = midpoint(lh, rh);
  const shoulders = midpoint(lm[L.left_shoulder]!, lm[L.right_shoulder]!);
  let x = normalize([lh[0] - rh[0], lh[1] - rh[1], lh[2] - rh[2]]);
  let y: Vec3 = normalize([shoulders[0] - position[0], shoulders[1] - position[1], shoulders[2] - position[2]]);
  // Blend the trunk direction with world up: the pelvis tilts less than the trunk leans.
  y = normalize([y[0] * 0.5, y[1] * 0.5 + 0.5, y[2] * 0.5]);
  const z = normalize(cross(x, y));
  y = cross(z, x);
  x = normalize(x);
  const m = [x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]];
  return { position, rotation: quatToRotationVector(quatFromMatrix(m)) };
}

/** Gaussian weights over t − r … t + r (r = ⌈3σ⌉ frames), unnormalised: callers renormalise at the clip's edges. */
export function gaussianKernel(sigma: number): { r: number; kernel: number[] } {
  const r = Math.ceil(3 * sigma);
  return { r, kernel: Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-0.5 * ((i - r) / sigma) ** 2)) };
}

/** A series of values (each one or more channels) low-passed by a Gaussian of σ frames, renormalised at the edges. */
export function gaussianSmoothSeries(series: readonly (readonly number[])[], sigma: number): number[][] {
  const { r, kernel } = gaussianKernel(sigma);
  return series.map((v, t) => {
    const s = v.map(() => 0);
    let wSum = 0;
    for (let i = -r; i <= r; i++) {
      const u = t + i;
      if (u < 0 || u >= series.length) continue;
      wSum += kernel[i + r]!;
      for (let c = 0; c < s.length; c++) s[c]! += kernel[i + r]! * series[u]![c]!;
    }
    return s.map((x) => x / wSum);
  });
}

/**
 * Landmark frames low-passed over time: at each frame a quadratic in time, fitted by least
 * squares with Gaussian weights of σ frames, read at that frame. A Gaussian mean flattens every
 * swing (at σ 3 a stride of 26 frames, a brisk walk's, loses a quarter of its amplitude); the
 * quadratic passes a steady curvature unchanged. Only `valid` frames contribute.
 */
export function smoothFrames(frames: Vec3[][], valid: readonly boolean[], sigma: number, weight?: readonly (readonly number[])[] | null): Vec3[][] {
  if (!(sigma > 0) || frames.length < 3) return frames;
  const { r, kernel } = gaussianKernel(sigma);
  if (weight) return frames.map((f, t) => f.map((_, j) => smoothPoint(frames, valid, weight, kernel, r, t, j) ?? f[j]!));
  return frames.map((f, t) => {
    const at: number[] = [], w: number[] = [];
    for (let i = -r; i <= r; i++) {
      const u = t + i;
      if (u < 0 || u >= frames.length || valid[u] === false) continue;
      at.push(i);
      w.push(kernel[i + r]!);
    }
    if (at.length === 0) return f;
    const taps = quadraticTaps(at, w);
    const acc = f.map(() => [0, 0, 0] as Vec3);
    at.forEach((i, k) => frames[t + i]!.forEach((p, j) => {
      acc[j]![0] += taps[k]! * p[0]; acc[j]![1] += taps[k]! * p[1]; acc[j]![2] += taps[k]! * p[2];
    }));
    return acc;
  });
}

/** One landmark of smoothFrames at frame t with per-landmark trust `weight` (a gross failure's 0 drops it); null when nothing is trusted. */
function smoothPoint(frames: Vec3[][], valid: readonly boolean[], weight: readonly (readonly number[])[], kernel: readonly number[], r: number, t: number, j: number): Vec3 | null {
  const at: number[] = [], w: number[] = [];
  for (let i = -r; i <= r; i++) {
    const u = t + i;
    const q = u < 0 || u >= frames.length || valid[u] === false ? 0 : kernel[i + r]! * weight[u]![j]!;
    if (!(q > 1e-6)) continue;
    at.push(i);
    w.push(q);
  }
  if (at.length === 0) return null;
  const taps = quadraticTaps(at, w);
  const out: Vec3 = [0, 0, 0];
  at.forEach((i, k) => { const p = frames[t + i]![j]!; out[0] += taps[k]! * p[0]; out[1] += taps[k]! * p[1]; out[2] += taps[k]! * p[2]; });
  return out;
}

/**
 * Taps c with Σ c_k·y_k = the weighted least-squares quadratic through (x_k, y_k) read at x = 0
 * (the first row of the normal equations' inverse); the weighted mean when fewer than three
 * distinct x leave the quadratic undetermined.
 */
function quadraticTaps(x: readonly number[], w: readonly number[]): number[] {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  x.forEach((v, k) => { const q = w[k]!; s0 += q; s1 += q * v; s2 += q * v * v; s3 += q * v ** 3; s4 += q * v ** 4; });
  const c0 = s2 * s4 - s3 * s3, c1 = s3 * s2 - s1 * s4, c2 = s1 * s3 - s2 * s2;
  const det = s0 * c0 + s1 * c1 + s2 * c2;
  if (!(det > 1e-9 * s0 * s2 * s4)) return w.map((q) => q / s0);
  return x.map((v, k) => (w[k]! * (c0 + c1 * v + c2 * v * v)) / det);
}

function midpoint(a: Vec3, b: Vec3): Vec3 {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
}
function mean3(v: Vec3[]): Vec3 {
  const s: Vec3 = [0, 0, 0];
  for (const p of v) { s[0] += p[0]; s[1] += p[1]; s[2] += p[2]; }
  const n = Math.max(1, v.length);
  return [s[0] / n, s[1] / n, s[2] / n];
}
function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(...v) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}
function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
