import { UserError } from '../errors.ts';
import type { KeypointsFile } from '../formats/keypoints.ts';
import { LANDMARK_COUNT } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';

/**
 * What the reconstruction sees of a keypoints.json: per frame the 33 landmarks in
 * pixels with a confidence, the detector's 3D landmarks (camera-aligned, hip-centred,
 * converted to our camera axes) when present, and which frames had no usable person.
 * Frames without a person are filled for initialisation only (their confidence stays 0,
 * so no fit is driven by invented points) and listed in `filledFrames`.
 */
export interface Observations {
  fps: number;
  width: number;
  height: number;
  frameCount: number;
  /** [frame][landmark] = [x_px, y_px]. */
  points2d: [number, number][][];
  /** [frame][landmark] confidence in [0, 1]; 0 for missing or filled landmarks. */
  confidence: number[][];
  /** [frame][landmark] detector 3D landmarks in camera axes (x right, y up, z toward viewer), metres; null when absent. */
  world: Vec3[][] | null;
  /** Frames where the detector found a usable person. */
  valid: boolean[];
  /** Frames without a usable person (filled by interpolation and flagged). */
  filledFrames: number[];
  /** [frame][landmark] trust in `world` (kinematic-gross.ts: 0 for a gross failure); absent: all trusted. */
  worldWeight?: number[][] | null;
}

export interface ObservationOptions {
  /** A landmark counts when its score is at least this. */
  minScore?: number;
  /** A frame counts as valid when at least this many landmarks count. */
  minLandmarks?: number;
  /** Refuse a clip with fewer valid frames than this. */
  minValidFrames?: number;
}

export const OBSERVATION_DEFAULTS: Required<ObservationOptions> = {
  minScore: 0.2,
  // Hips, knees, ankles, shoulders and a few more: below this a pose is not constrained.
  minLandmarks: 12,
  minValidFrames: 3,
};

/**
 * Detector world landmarks follow MediaPipe's axes (x right, y down, z away from the
 * camera is larger); our camera looks down −z with y up, so y and z flip.
 */
export function detectorWorldToCamera(p: readonly number[]): Vec3 {
  return [p[0]!, -p[1]!, -p[2]!];
}

/** Turns a validated keypoints.json into observations; refuses clips with too little to fit. */
export function prepareObservations(kp: KeypointsFile, source: string, options: ObservationOptions = {}): Observations {
  const o = { ...OBSERVATION_DEFAULTS, ...options };
  const T = kp.frames.length;
  if (T === 0) throw new UserError(`${source}: no frames`);
  const valid: boolean[] = [];
  const points2d: [number, number][][] = [];
  const confidence: number[][] = [];
  const hasWorld = kp.frames.some((f) => f.world && f.world.length === LANDMARK_COUNT);
  const world: Vec3[][] | null = hasWorld ? [] : null;
  const worldValid: boolean[] = [];

  for (const f of kp.frames) {
    const k = f.keypoints;
    let count = 0;
    const pts: [number, number][] = [];
    const conf: number[] = [];
    for (let j = 0; j < LANDMARK_COUNT; j++) {
      const p = k?.[j];
      const s = p ? Math.max(0, Math.min(1, p[2])) : 0;
      const ok = p !== undefined && s >= o.minScore;
      if (ok) count++;
      pts.push(p ? [p[0], p[1]] : [0, 0]);
      conf.push(ok ? s : 0);
    }
    const isValid = k !== null && count >= o.minLandmarks;
    valid.push(isValid);
    points2d.push(pts);
    confidence.push(isValid ? conf : conf.map(() => 0));
    if (world) {
      const w = f.world;
      const ok = isValid && !!w && w.length === LANDMARK_COUNT;
      worldValid.push(ok);
      world.push(ok ? w!.map(detectorWorldToCamera) : []);
    }
  }

  const validCount = valid.filter(Boolean).length;
  if (validCount < o.minValidFrames) {
    throw new UserError(
      `${source}: only ${validCount} of ${T} frames have a person with at least ${o.minLandmarks} landmarks ` +
      `(need ${o.minValidFrames}); check the video or the detector output`,
    );
  }

  // Per landmark, fill low-confidence entries of valid frames from neighbours in time,
  // then whole missing frames; filled entries keep confidence 0.
  for (let j = 0; j < LANDMARK_COUNT; j++) {
    fillSeries(T, (t) => confidence[t]![j]! > 0, (t, a, b, w) => {
      const pa = points2d[a]![j]!, pb = points2d[b]![j]!;
      points2d[t]![j] = [pa[0] + w * (pb[0] - pa[0]), pa[1] + w * (pb[1] - pa[1])];
    });
  }
  if (world) {
    fillSeries(T, (t) => worldValid[t]!, (t, a, b, w) => {
      world[t] = world[a]!.map((pa, j) => {
        const pb = world[b]![j]!;
        return [pa[0] + w * (pb[0] - pa[0]), pa[1] + w * (pb[1] - pa[1]), pa[2] + w * (pb[2] - pa[2])] as Vec3;
      });
    });
    if (!worldValid.some(Boolean)) world.length = 0;
  }

  const filledFrames = valid.flatMap((v, t) => (v ? [] : [t]));
  return {
    fps: kp.source.fps,
    width: kp.source.width,
    height: kp.source.height,
    frameCount: T,
    points2d,
    confidence,
    world: world && world.length === T ? world : null,
    valid,
    filledFrames,
  };
}

/**
 * Fills the entries t where `has(t)` is false by linear interpolation between the nearest
 * known neighbours (holding the nearest one at the ends). `set(t, a, b, w)` writes
 * value(t) = (1 − w)·value(a) + w·value(b). Does nothing when nothing is known.
 */
export function fillSeries(T: number, has: (t: number) => boolean, set: (t: number, a: number, b: number, w: number) => void): void {
  const known: number[] = [];
  for (let t = 0; t < T; t++) if (has(t)) known.push(t);
  if (known.length === 0) return;
  let k = 0;
  for (let t = 0; t < T; t++) {
    if (has(t)) continue;
    while (k < known.length && known[k]! < t) k++;
    const next = known[k];
    const prev = known[k - 1];
    if (prev === undefined) set(t, next!, next!, 0);
    else if (next === undefined) set(t, prev, prev, 0);
    else set(t, prev, next, (t - prev) / (next - prev));
  }
}
