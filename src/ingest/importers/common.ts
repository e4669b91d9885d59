import { UserError } from '../../errors.ts';
import { LANDMARK_COUNT } from '../../formats/landmarks.ts';
import type { PersonChoice } from '../detector.ts';

/** Keypoints read from another tool's file, already in the 33-landmark layout. */
export interface ImportedFrame {
  index: number;
  time: number;
  keypoints: Array<[number, number, number]> | null;
  world?: Array<[number, number, number]> | null;
}

export interface ImportedKeypoints {
  format: 'mediapipe' | 'coco' | 'openpose' | 'tfjs';
  /** Detector named in keypoints.json (e.g. "openpose-body25"). */
  detector: string;
  width: number;
  height: number;
  fps: number;
  frames: ImportedFrame[];
}

/** What an importer needs that some files do not carry. */
export interface ImportOptions {
  /** Frame size in pixels (needed for normalized coordinates and files without a size). */
  width?: number;
  height?: number;
  /** Frame rate (files rarely carry one). */
  fps?: number;
  /** Which person when a frame has several: the largest, or the i-th as listed in the file. */
  person?: PersonChoice;
}

export const IMPORT_DEFAULTS = { fps: 30, person: 'largest' as PersonChoice };

/** 33 empty landmarks (score 0 = missing). */
export function emptyLandmarks(): Array<[number, number, number]> {
  return Array.from({ length: LANDMARK_COUNT }, (): [number, number, number] => [0, 0, 0]);
}

/**
 * Maps a flat [x, y, score]×n array of another layout into the 33 layout:
 * `map[k]` is the 33-index of source point k (or -1). Unmapped landmarks keep score 0.
 */
export function mapFlatKeypoints(flat: number[], map: readonly number[], where: string, scoreOf = (v: number) => v): Array<[number, number, number]> | null {
  if (flat.length !== map.length * 3 || flat.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new UserError(`${where}: expected ${map.length} keypoints as ${map.length * 3} numbers, got ${flat.length} values`);
  }
  const out = emptyLandmarks();
  let found = 0;
  map.forEach((target, k) => {
    if (target < 0) return;
    const x = flat[3 * k]!, y = flat[3 * k + 1]!, s = scoreOf(flat[3 * k + 2]!);
    // Tools write undetected points as (0, 0, 0).
    if (s <= 0 && x === 0 && y === 0) return;
    out[target] = [x, y, Math.max(0, Math.min(1, s))];
    if (s > 0) found += 1;
  });
  return found > 0 ? out : null;
}

/** Chooses one of several people: the largest keypoint extent, or the i-th in file order. */
export function choosePerson<T>(people: T[], keypointsOf: (p: T) => Array<[number, number, number]> | null, person: PersonChoice): T | null {
  if (people.length === 0) return null;
  if (person !== 'largest') return people[person] ?? null;
  let best: T | null = null;
  let bestArea = -1;
  for (const p of people) {
    const kp = keypointsOf(p)?.filter((k) => k[2] > 0);
    if (!kp?.length) continue;
    const xs = kp.map((k) => k[0]), ys = kp.map((k) => k[1]);
    const area = (Math.max(...xs) - Math.min(...xs) + 1) * (Math.max(...ys) - Math.min(...ys) + 1);
    if (area > bestArea) { bestArea = area; best = p; }
  }
  return best;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Frame size from options or the file; a clear error when neither has it. */
export function requireSize(path: string, options: ImportOptions, fromFile?: { width?: unknown; height?: unknown }): { width: number; height: number } {
  const width = options.width ?? Number(fromFile?.width);
  const height = options.height ?? Number(fromFile?.height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new UserError(`${path}: the file does not say the frame size; pass --size WIDTHxHEIGHT`);
  }
  return { width, height };
}
