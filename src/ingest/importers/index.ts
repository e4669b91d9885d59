import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../../errors.ts';
import { readJsonFile } from '../../formats/io.ts';
import { listImages } from '../images.ts';
import { importCoco, looksLikeCoco } from './coco.ts';
import type { ImportOptions, ImportedKeypoints } from './common.ts';
import { importMediapipe, looksLikeMediapipe } from './mediapipe.ts';
import { importOpenpose, looksLikeOpenpose } from './openpose.ts';
import { importTfjs, looksLikeTfjs } from './tfjs.ts';

export type KeypointFormat = 'auto' | 'mediapipe' | 'coco' | 'openpose' | 'tfjs';
export const KEYPOINT_FORMATS: readonly KeypointFormat[] = ['auto', 'mediapipe', 'coco', 'openpose', 'tfjs'];
export type { ImportOptions, ImportedKeypoints } from './common.ts';

/** True when a path is keypoints to import (a .json file or a folder of them) rather than media. */
export function isKeypointInput(path: string): boolean {
  try {
    // A folder is keypoints when it holds JSON files and no images.
    if (statSync(path).isDirectory()) return jsonFilesIn(path).length > 0 && listImages(path).length === 0;
  } catch {
    return false;
  }
  return extname(path).toLowerCase() === '.json';
}

function jsonFilesIn(dir: string): string[] {
  const collator = new Intl.Collator('en', { numeric: true });
  return readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.json')).sort(collator.compare).map((f) => join(dir, f));
}

/**
 * Reads another tool's keypoints (a JSON file, or a folder of per-frame OpenPose
 * files) into the 33-landmark layout. `auto` recognizes the format by its shape.
 */
export function importKeypoints(path: string, format: KeypointFormat = 'auto', options: ImportOptions = {}): ImportedKeypoints {
  if (!KEYPOINT_FORMATS.includes(format)) throw new UserError(`unknown --format "${format}" (choose ${KEYPOINT_FORMATS.join(', ')})`);
  const isDir = (() => { try { return statSync(path).isDirectory(); } catch { return false; } })();
  const files = isDir ? jsonFilesIn(path) : [path];
  if (files.length === 0) throw new UserError(`${path}: folder holds no .json keypoint files`);
  const jsons = files.map((f) => ({ json: readJsonFile(f), where: f }));
  const first = jsons[0]!.json;
  const detected: KeypointFormat | null = format !== 'auto' ? format
    : looksLikeOpenpose(first) ? 'openpose'
    : looksLikeCoco(first) ? 'coco'
    : looksLikeMediapipe(first) ? 'mediapipe'
    : looksLikeTfjs(first) ? 'tfjs'
    : null;
  if (!detected) {
    throw new UserError(`${files[0]}: unknown keypoint format (expected MediaPipe PoseLandmarker, COCO-17, OpenPose BODY_25 or tfjs pose-detection JSON; or pass --format)`);
  }
  if (detected !== 'openpose' && jsons.length > 1) throw new UserError(`${path}: a folder of files is only read for OpenPose; pass one ${detected} JSON file`);
  switch (detected) {
    case 'openpose': return importOpenpose(jsons, path, options);
    case 'coco':
      if (!looksLikeCoco(first)) throw new UserError(`${path}: not COCO keypoints (expected {images, annotations} or a list of {image_id, keypoints})`);
      return importCoco(first, path, options);
    case 'mediapipe':
      if (!looksLikeMediapipe(first)) throw new UserError(`${path}: not MediaPipe PoseLandmarker results (no "landmarks" list)`);
      return importMediapipe(first, path, options);
    case 'tfjs':
      if (!looksLikeTfjs(first)) throw new UserError(`${path}: not tfjs pose-detection results (expected a list of per-frame poses)`);
      return importTfjs(first, path, options);
    default: throw new UserError(`unknown --format "${format}"`);
  }
}
