import { UserError } from '../../errors.ts';
import { LANDMARK_INDEX as L } from '../../formats/landmarks.ts';
import { IMPORT_DEFAULTS, choosePerson, isRecord, mapFlatKeypoints, requireSize, type ImportOptions, type ImportedFrame, type ImportedKeypoints } from './common.ts';

/** COCO-17 keypoint order → index in the 33 layout. */
export const COCO17_TO_33: readonly number[] = [
  L.nose, L.left_eye, L.right_eye, L.left_ear, L.right_ear,
  L.left_shoulder, L.right_shoulder, L.left_elbow, L.right_elbow, L.left_wrist, L.right_wrist,
  L.left_hip, L.right_hip, L.left_knee, L.right_knee, L.left_ankle, L.right_ankle,
];

/**
 * COCO-17 keypoints. Accepted shapes:
 *  - a COCO annotation file `{ images: [{id, width, height}], annotations: [{image_id, keypoints: [x,y,v]×17}] }`
 *    (v: 0 not labelled, 1 labelled but hidden, 2 visible; hidden points get score 0.5);
 *  - a COCO results list `[{ image_id, keypoints: [x,y,score]×17, score }]` (detector output).
 * Frames are the images in id order.
 */
export function looksLikeCoco(json: unknown): boolean {
  if (isRecord(json)) return Array.isArray(json.annotations) && Array.isArray(json.images);
  return Array.isArray(json) && json.length > 0 && isRecord(json[0]) && Array.isArray(json[0].keypoints) && 'image_id' in json[0];
}

export function importCoco(json: unknown, path: string, options: ImportOptions = {}): ImportedKeypoints {
  const isAnnotations = isRecord(json);
  const annotations = (isAnnotations ? (json as Record<string, unknown>).annotations : json) as unknown[];
  const images = isAnnotations ? ((json as Record<string, unknown>).images as unknown[]) : [];
  if (!Array.isArray(annotations)) throw new UserError(`${path}: not a COCO keypoint file`);
  const byImage = new Map<string, unknown[]>();
  for (const [i, a] of annotations.entries()) {
    if (!isRecord(a) || a.image_id == null || !Array.isArray(a.keypoints)) throw new UserError(`${path}: annotation ${i} has no image_id / keypoints`);
    const key = String(a.image_id);
    byImage.set(key, [...(byImage.get(key) ?? []), a]);
  }
  // Frame order: the images list when present (it also lists frames with nobody), else image ids.
  const ids = images.length > 0
    ? images.map((im, i) => { if (!isRecord(im) || im.id == null) throw new UserError(`${path}: image ${i} has no id`); return String(im.id); })
    : [...byImage.keys()];
  ids.sort(new Intl.Collator('en', { numeric: true }).compare);
  if (ids.length === 0) throw new UserError(`${path}: no images or annotations`);
  const firstImage = images.find(isRecord) as Record<string, unknown> | undefined;
  const { width, height } = requireSize(path, options, firstImage);
  const fps = options.fps ?? IMPORT_DEFAULTS.fps;
  const person = options.person ?? IMPORT_DEFAULTS.person;
  const visibility = (v: number) => (v >= 2 ? 1 : v >= 1 ? 0.5 : 0);

  const frames: ImportedFrame[] = ids.map((id, index) => {
    const people = (byImage.get(id) ?? []).map((a, p) => {
      const flat = (a as Record<string, unknown>).keypoints as number[];
      return mapFlatKeypoints(flat, COCO17_TO_33, `${path}: image ${id} person ${p}`, isAnnotations ? visibility : undefined);
    });
    const chosen = choosePerson(people, (k) => k, person);
    return { index, time: index / fps, keypoints: chosen ?? null };
  });
  return { format: 'coco', detector: isAnnotations ? 'coco-17-annotations' : 'coco-17', width, height, fps, frames };
}
