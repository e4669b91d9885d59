import { z } from 'zod';
import { finite, vec3 } from './common.ts';
import { readValidated, writeJsonAtomic } from './io.ts';
import { LANDMARK_COUNT } from './landmarks.ts';
import { skeletonDescription } from './skeleton.ts';
import { motionCamera } from './motion.ts';

export const TRUTH_FORMAT = 'optimus-motion/truth@1';

/**
 * Ground truth written by `synth`: world positions (metres, y up) of the 33
 * landmarks per frame, the skeleton, the camera and the fps.
 */
export const truthFile = z.object({
  format: z.literal(TRUTH_FORMAT),
  fps: finite.refine((v) => v > 0, 'fps must be positive'),
  source: z.string(),
  skeleton: skeletonDescription,
  camera: motionCamera,
  frames: z.array(z.object({
    joints3d: z.array(vec3).length(LANDMARK_COUNT),
  }).passthrough()),
}).passthrough();

export type TruthFile = z.infer<typeof truthFile>;

export function readTruth(path: string): TruthFile {
  return readValidated(truthFile, path);
}

export function writeTruth(path: string, data: TruthFile): void {
  writeJsonAtomic(path, data);
}
