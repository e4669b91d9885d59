import { UserError } from '../../errors.ts';
import { LANDMARK_INDEX as L } from '../../formats/landmarks.ts';
import { IMPORT_DEFAULTS, choosePerson, isRecord, mapFlatKeypoints, requireSize, type ImportOptions, type ImportedFrame, type ImportedKeypoints } from './common.ts';

/**
 * OpenPose BODY_25 order → index in the 33 layout (-1: no counterpart, e.g. the
 * neck, mid-hip and small toes; the big toe stands in for the foot index).
 */
export const BODY25_TO_33: readonly number[] = [
  L.nose, -1, L.right_shoulder, L.right_elbow, L.right_wrist, L.left_shoulder, L.left_elbow, L.left_wrist,
  -1, L.right_hip, L.right_knee, L.right_ankle, L.left_hip, L.left_knee, L.left_ankle,
  L.right_eye, L.left_eye, L.right_ear, L.left_ear,
  L.left_foot_index, -1, L.left_heel, L.right_foot_index, -1, L.right_heel,
];

/**
 * OpenPose JSON: one `{ version, people: [{ pose_keypoints_2d: [x,y,c]×25 }] }` per
 * frame, as OpenPose writes it (a folder of `*_keypoints.json` files is read in
 * name order by the caller), or a list of such objects.
 */
export function looksLikeOpenpose(json: unknown): boolean {
  const first = Array.isArray(json) ? json[0] : json;
  return isRecord(first) && Array.isArray(first.people);
}

export function importOpenpose(frameJsons: Array<{ json: unknown; where: string }>, path: string, options: ImportOptions = {}): ImportedKeypoints {
  const list = frameJsons.flatMap(({ json, where }) => (Array.isArray(json) ? json.map((j, i) => ({ json: j, where: `${where}[${i}]` })) : [{ json, where }]));
  if (list.length === 0) throw new UserError(`${path}: no OpenPose frames`);
  const { width, height } = requireSize(path, options);
  const fps = options.fps ?? IMPORT_DEFAULTS.fps;
  const person = options.person ?? IMPORT_DEFAULTS.person;
  const frames: ImportedFrame[] = list.map(({ json, where }, index) => {
    if (!isRecord(json) || !Array.isArray(json.people)) throw new UserError(`${where}: not an OpenPose frame (no "people" list)`);
    const people = json.people.map((p, i) => {
      const flat = isRecord(p) ? p.pose_keypoints_2d : undefined;
      if (!Array.isArray(flat)) throw new UserError(`${where}: person ${i} has no pose_keypoints_2d`);
      if (flat.length === 18 * 3) throw new UserError(`${where}: COCO-18 OpenPose output; only BODY_25 is supported`);
      return mapFlatKeypoints(flat as number[], BODY25_TO_33, `${where} person ${i}`);
    });
    return { index, time: index / fps, keypoints: choosePerson(people, (k) => k, person) ?? null };
  });
  return { format: 'openpose', detector: 'openpose-body25', width, height, fps, frames };
}
