import { UserError } from '../../errors.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX, type LandmarkName } from '../../formats/landmarks.ts';
import { COCO17_TO_33 } from './coco.ts';
import { IMPORT_DEFAULTS, choosePerson, emptyLandmarks, isRecord, requireSize, type ImportOptions, type ImportedFrame, type ImportedKeypoints } from './common.ts';

/**
 * TensorFlow.js pose-detection results (MoveNet, BlazePose, PoseNet) saved as JSON: a list with one
 * entry per frame, each entry one of
 *  - the `estimatePoses` result, `[{ keypoints: [{x, y, score?, name?}], score? }, …people]`;
 *  - a single pose `{ keypoints: [...] }`;
 *  - a map from keypoint name to `{x, y, score?}` (how tfjs-models' own golden files store MoveNet);
 *  - `null` or `[]`: nobody in that frame.
 * Coordinates are image pixels. Points are matched by name (the tfjs names are the 33-layout names);
 * unnamed lists of 17 are COCO order, of 33 the BlazePose order. A point without a score counts as seen.
 */
export function looksLikeTfjs(json: unknown): boolean {
  if (!Array.isArray(json)) return false;
  const first = json.find((f) => f != null && !(Array.isArray(f) && f.length === 0));
  const pose = Array.isArray(first) ? first[0] : first;
  if (!isRecord(pose)) return false;
  if (Array.isArray(pose.keypoints)) return pose.keypoints.length > 0 && isRecord(pose.keypoints[0]) && 'x' in pose.keypoints[0];
  return Object.entries(pose).some(([name, p]) => name in LANDMARK_INDEX && isRecord(p) && 'x' in p && 'y' in p);
}

export function importTfjs(json: unknown, path: string, options: ImportOptions = {}): ImportedKeypoints {
  if (!Array.isArray(json) || json.length === 0) throw new UserError(`${path}: expected a list of per-frame tfjs pose results`);
  const { width, height } = requireSize(path, options);
  const fps = options.fps ?? IMPORT_DEFAULTS.fps;
  const person = options.person ?? IMPORT_DEFAULTS.person;
  const frames: ImportedFrame[] = json.map((entry, index) => {
    const where = `${path}: frame ${index}`;
    const poses = entry == null ? [] : Array.isArray(entry) ? entry : [entry];
    const people = poses.map((pose, p) => toLandmarks(pose, `${where} person ${p}`));
    return { index, time: index / fps, keypoints: choosePerson(people, (k) => k, person) };
  });
  return { format: 'tfjs', detector: 'tfjs-pose-detection', width, height, fps, frames };
}

/** One pose in the 33 layout; null when it has no seen point. */
function toLandmarks(pose: unknown, where: string): Array<[number, number, number]> | null {
  if (!isRecord(pose)) throw new UserError(`${where}: not a pose (expected {keypoints: [...]} or {name: {x, y}})`);
  const points = Array.isArray(pose.keypoints)
    ? pose.keypoints.map((k, i) => ({ k, target: targetOf(k, i, (pose.keypoints as unknown[]).length, where) }))
    : Object.entries(pose).map(([name, k]) => ({ k, target: LANDMARK_INDEX[name as LandmarkName] ?? -1 }));
  const out = emptyLandmarks();
  let seen = 0;
  for (const { k, target } of points) {
    if (target < 0) continue;
    if (!isRecord(k) || !Number.isFinite(k.x) || !Number.isFinite(k.y)) throw new UserError(`${where}: keypoint ${target} has no numeric x and y`);
    const score = k.score === undefined ? 1 : Number(k.score);
    if (!Number.isFinite(score)) throw new UserError(`${where}: keypoint ${target} has a non-numeric score`);
    out[target] = [Number(k.x), Number(k.y), Math.max(0, Math.min(1, score))];
    if (score > 0) seen += 1;
  }
  return seen > 0 ? out : null;
}

/** Index in the 33 layout of the i-th keypoint of a list of n: by its name, else by the list's order. */
function targetOf(k: unknown, i: number, n: number, where: string): number {
  const name = isRecord(k) && typeof k.name === 'string' ? k.name : null;
  if (name !== null) return LANDMARK_INDEX[name as LandmarkName] ?? -1;
  if (n === LANDMARK_COUNT) return i;
  if (n === COCO17_TO_33.length) return COCO17_TO_33[i]!;
  throw new UserError(`${where}: ${n} unnamed keypoints (expected 17 in COCO order or 33 in BlazePose order)`);
}
