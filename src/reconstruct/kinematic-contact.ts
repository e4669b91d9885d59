import { landmarkPositions } from '../body/fk.ts';
import { restPose } from '../body/pose.ts';
import { LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import type { Observations } from './observations.ts';
import { gaussianSmoothSeries, type Scene } from './scene.ts';

/**
 * Which foot stands on the known floor in which frame, judged before the kinematic fit from the
 * scene's first 3D guess (its ground is y = 0) and the 2D keypoints: a foot is down where its
 * sole is the lowest of the frame's two (or within `bothWithin` of it) and its ankle barely moves
 * in the image. The kinematic loss's contact term then puts such soles on the floor: with the
 * camera's ray through the 2D foot, that fixes the foot's depth, which the detector's 3D lacks.
 */
export interface StanceOptions {
  /** Both feet count as down when their soles are within this (m) of each other in the 3D guess. */
  bothWithin: number;
  /** A foot whose ankle moves faster than this in the image (torso lengths per second) is not down. */
  maxSpeed: number;
  /** σ (frames at 30 fps, scaled with the rate) of the smoothing of sole heights and ankle tracks. */
  smoothing: number;
}

export const STANCE_DEFAULTS: StanceOptions = { bothWithin: 0.04, maxSpeed: 0.8, smoothing: 2 };

const SIDES = [
  { heel: L.left_heel, toe: L.left_foot_index, ankle: L.left_ankle },
  { heel: L.right_heel, toe: L.right_foot_index, ankle: L.right_ankle },
] as const;

/** Per frame [left, right] stance (1 down, 0 not); 0 in frames without a usable detection. */
export function detectStance(obs: Observations, scene: Scene, options: Partial<StanceOptions> = {}): Array<[number, number]> {
  const o = { ...STANCE_DEFAULTS, ...options };
  const T = obs.frameCount;
  const rest = landmarkPositions(scene.skel, restPose(scene.skel));
  const sigma = o.smoothing * (obs.fps / 30);
  const heights = gaussianSmoothSeries(scene.initWorld.map((f) => SIDES.map((s) => Math.min(f[s.heel]![1] - rest[s.heel]![1], f[s.toe]![1] - rest[s.toe]![1]))), sigma);
  const ankles = gaussianSmoothSeries(obs.points2d.map((f) => SIDES.flatMap((s) => f[s.ankle]!)), sigma);
  const torso = obs.points2d.map((f) => {
    const sh = [(f[L.left_shoulder]![0] + f[L.right_shoulder]![0]) / 2, (f[L.left_shoulder]![1] + f[L.right_shoulder]![1]) / 2];
    const hp = [(f[L.left_hip]![0] + f[L.right_hip]![0]) / 2, (f[L.left_hip]![1] + f[L.right_hip]![1]) / 2];
    return Math.max(1, Math.hypot(sh[0]! - hp[0]!, sh[1]! - hp[1]!));
  });
  return Array.from({ length: T }, (_, t) => {
    if (!obs.valid[t]) return [0, 0];
    const h = heights[t]!;
    const low = Math.min(h[0]!, h[1]!);
    const a = Math.max(0, t - 1), b = Math.min(T - 1, t + 1);
    return SIDES.map((_, s) => {
      const speed = b > a ? (Math.hypot(ankles[b]![2 * s]! - ankles[a]![2 * s]!, ankles[b]![2 * s + 1]! - ankles[a]![2 * s + 1]!) / torso[t]!) * (obs.fps / (b - a)) : 0;
      return h[s]! <= low + o.bothWithin && speed <= o.maxSpeed ? 1 : 0;
    }) as [number, number];
  });
}
