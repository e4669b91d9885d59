import { z } from 'zod';
import { finite, intrinsics, vec3 } from './common.ts';
import { readValidated, writeJsonAtomic } from './io.ts';
import { LANDMARK_COUNT } from './landmarks.ts';

export const KEYPOINTS_FORMAT = 'optimus-motion/keypoints@1';

/** [x_px, y_px, score]; score 0 marks a missing landmark. */
export const keypoint2d = z.tuple([finite, finite, finite]);

export const keypointsFrame = z.object({
  index: z.number().int().nonnegative(),
  time: finite,
  keypoints: z.array(keypoint2d).length(LANDMARK_COUNT).nullable(),
  world: z.array(vec3).length(LANDMARK_COUNT).nullable().optional(),
});

export const keypointsFile = z.object({
  format: z.literal(KEYPOINTS_FORMAT),
  source: z.object({
    path: z.string(),
    fps: finite.refine((v) => v > 0, 'fps must be positive'),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    frameCount: z.number().int().nonnegative(),
  }).passthrough(),
  landmarks: z.literal('mediapipe-33'),
  detector: z.object({ name: z.string(), runtime: z.string() }).passthrough(),
  camera: intrinsics.nullable(),
  frames: z.array(keypointsFrame),
}).passthrough();

export type KeypointsFrame = z.infer<typeof keypointsFrame>;
export type KeypointsFile = z.infer<typeof keypointsFile>;

export function readKeypoints(path: string): KeypointsFile {
  return readValidated(keypointsFile, path);
}

export function writeKeypoints(path: string, data: KeypointsFile): void {
  writeJsonAtomic(path, data);
}
