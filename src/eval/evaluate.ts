import { UserError } from '../errors.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { readJsonFile, validate } from '../formats/io.ts';
import { LANDMARK_COUNT } from '../formats/landmarks.ts';
import type { Metrics } from '../formats/metrics.ts';
import { MOTION_FORMAT, motionFile } from '../formats/motion.ts';
import { TRUTH_FORMAT, truthFile } from '../formats/truth.ts';
import { computeMetrics, footSkatePct, type MetricOptions, penetrationMm } from './metrics.ts';

/** A sequence of 33-landmark frames (world metres) at a frame rate, as read from a file. */
export interface LandmarkSequence {
  /** Where it came from (for messages). */
  source: string;
  /** 'motion' (motion.json) or 'truth' (truth.json). */
  kind: 'motion' | 'truth';
  fps: number;
  frames: Vec3[][];
}

/** Reads a motion.json or a truth.json (told apart by their `format` field) as landmark frames. */
export function readLandmarkSequence(path: string): LandmarkSequence {
  const raw = readJsonFile(path);
  const format = (raw as { format?: unknown } | null)?.format;
  let fps: number;
  let frames: Vec3[][];
  let kind: LandmarkSequence['kind'];
  if (format === MOTION_FORMAT) {
    const m = validate(motionFile, raw, path);
    kind = 'motion';
    fps = m.fps;
    frames = m.frames.map((f) => f.joints3d as Vec3[]);
  } else if (format === TRUTH_FORMAT) {
    const t = validate(truthFile, raw, path);
    kind = 'truth';
    fps = t.fps;
    frames = t.frames.map((f) => f.joints3d as Vec3[]);
  } else {
    throw new UserError(`${path}: not a motion.json or truth.json (format is ${JSON.stringify(format)}, expected "${MOTION_FORMAT}" or "${TRUTH_FORMAT}")`);
  }
  frames.forEach((f, i) => {
    if (f.length !== LANDMARK_COUNT) throw new UserError(`${path}: frame ${i} has ${f.length} joints3d, expected the ${LANDMARK_COUNT} MediaPipe landmarks`);
  });
  if (frames.length === 0) throw new UserError(`${path}: has no frames`);
  return { source: path, kind, fps, frames };
}

export type EvaluateOptions = MetricOptions;

/** Metrics of metrics.json plus the truth's own plausibility numbers, for context. */
export interface EvaluationResult extends Metrics {
  /** Foot skating of the truth itself (%); the prediction's footSkatePct is best compared to it. */
  truthFootSkatePct: number;
  /** Penetration of the truth itself (mm). */
  truthPenetrationMm: number;
}

/**
 * Scores a prediction against the truth. Both must have the same fps and frame count:
 * a mismatch is refused with a message saying which, never silently resampled.
 */
export function evaluate(prediction: LandmarkSequence, truth: LandmarkSequence, options: EvaluateOptions = {}): EvaluationResult {
  if (Math.abs(prediction.fps - truth.fps) > 1e-6 * Math.max(prediction.fps, truth.fps)) {
    throw new UserError(`fps differ: ${prediction.source} is at ${prediction.fps} fps, ${truth.source} at ${truth.fps} fps`);
  }
  if (prediction.frames.length !== truth.frames.length) {
    throw new UserError(`frame counts differ: ${prediction.source} has ${prediction.frames.length} frames, ${truth.source} has ${truth.frames.length}`);
  }
  return {
    ...computeMetrics(prediction.frames, truth.frames, options),
    truthFootSkatePct: footSkatePct(truth.frames, options),
    truthPenetrationMm: penetrationMm(truth.frames),
  };
}

/** Reads both files and evaluates. */
export function evaluateFiles(predictionPath: string, truthPath: string, options: EvaluateOptions = {}): EvaluationResult {
  return evaluate(readLandmarkSequence(predictionPath), readLandmarkSequence(truthPath), options);
}
