import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { worldToCamera, type PinholeCamera } from '../geometry/camera.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { readJsonFile, validate } from '../formats/io.ts';
import { LANDMARK_COUNT } from '../formats/landmarks.ts';
import type { Metrics } from '../formats/metrics.ts';
import { MOTION_FORMAT, motionFile, physicsAccounting } from '../formats/motion.ts';
import { TRUTH_FORMAT, truthFile } from '../formats/truth.ts';
import { contactMetrics, footSkatePct, type MetricOptions, penetrationMm, perLandmarkErrors, positionMetrics } from './metrics.ts';

/** A sequence of 33-landmark frames (world metres) at a frame rate, as read from a file. */
export interface LandmarkSequence {
  /** Where it came from (for messages). */
  source: string;
  /** 'motion' (motion.json) or 'truth' (truth.json). */
  kind: 'motion' | 'truth';
  fps: number;
  frames: Vec3[][];
  /** The file's camera (world pose), when it has one: lets the position metrics be taken in camera coordinates. */
  camera?: PinholeCamera;
  /** A motion.json written by the physics stage (its stages carry `physics`). */
  physics?: boolean;
}

/** Reads a motion.json or a truth.json (told apart by their `format` field) as landmark frames. */
export function readLandmarkSequence(path: string): LandmarkSequence {
  const raw = readJsonFile(path);
  const format = (raw as { format?: unknown } | null)?.format;
  let fps: number;
  let frames: Vec3[][];
  let kind: LandmarkSequence['kind'];
  let camera: PinholeCamera;
  let physics = false;
  if (format === MOTION_FORMAT) {
    const m = validate(motionFile, raw, path);
    kind = 'motion';
    physics = m.stages?.physics !== undefined;
    fps = m.fps;
    frames = m.frames.map((f) => f.joints3d as Vec3[]);
    camera = m.camera as PinholeCamera;
  } else if (format === TRUTH_FORMAT) {
    const t = validate(truthFile, raw, path);
    kind = 'truth';
    fps = t.fps;
    frames = t.frames.map((f) => f.joints3d as Vec3[]);
    camera = t.camera as PinholeCamera;
  } else {
    throw new UserError(`${path}: not a motion.json or truth.json (format is ${JSON.stringify(format)}, expected "${MOTION_FORMAT}" or "${TRUTH_FORMAT}")`);
  }
  frames.forEach((f, i) => {
    if (f.length !== LANDMARK_COUNT) throw new UserError(`${path}: frame ${i} has ${f.length} joints3d, expected the ${LANDMARK_COUNT} MediaPipe landmarks`);
  });
  if (frames.length === 0) throw new UserError(`${path}: has no frames`);
  return { source: path, kind, fps, frames, camera, physics };
}

const besideReport = z.object({
  outputs: z.object({ motion: z.string().optional() }).passthrough().optional(),
  physics: physicsAccounting.pick({ residual: true }).passthrough().optional(),
}).passthrough();

/**
 * The physics residual block of the report.json beside a motion.json with a physics stage, when
 * that report names this motion (or names none); undefined otherwise.
 */
export function residualBeside(motionPath: string): Metrics['residual'] {
  const reportPath = join(dirname(resolve(motionPath)), 'report.json');
  if (!existsSync(reportPath)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(reportPath, 'utf8'));
  } catch {
    return undefined;
  }
  const r = besideReport.safeParse(raw);
  if (!r.success || !r.data.physics) return undefined;
  const named = r.data.outputs?.motion;
  if (named !== undefined && resolve(dirname(reportPath), named) !== resolve(motionPath)) return undefined;
  return r.data.physics.residual;
}

export interface EvaluateOptions extends MetricOptions {
  /**
   * Coordinates of the position metrics (MPJPE, PA-MPJPE, MPJPE-G, acceleration):
   * 'camera' (default when both files carry a camera) expresses each sequence in its own
   * camera's frame, as monocular methods are evaluated: the heading of the world about
   * the vertical cannot be observed from one static camera, so a reconstruction's world
   * may differ from the truth's by a rotation that says nothing about the motion.
   * 'world' compares world coordinates directly. Contact metrics (skating, penetration,
   * ground distance) always use each file's own world frame, where the ground is y = 0.
   */
  frame?: 'camera' | 'world';
}

/** Metrics of metrics.json plus the truth's own plausibility numbers, for context. */
export interface EvaluationResult extends Metrics {
  /** Foot skating of the truth itself (%); the prediction's footSkatePct is best compared to it. */
  truthFootSkatePct: number;
  /** Penetration of the truth itself (mm). */
  truthPenetrationMm: number;
  /** Coordinates the position metrics were taken in. */
  frame: 'camera' | 'world';
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
  const frame = options.frame ?? (prediction.camera && truth.camera ? 'camera' : 'world');
  if (frame === 'camera' && !(prediction.camera && truth.camera)) {
    throw new UserError(`camera-frame evaluation needs a camera in both ${prediction.source} and ${truth.source}`);
  }
  const positions = positionFrames(prediction, truth, frame);
  return {
    ...positionMetrics(positions.prediction, positions.truth, options),
    ...contactMetrics(prediction.frames, truth.frames, options),
    frames: prediction.frames.length,
    truthFootSkatePct: footSkatePct(truth.frames, options),
    truthPenetrationMm: penetrationMm(truth.frames),
    frame,
  };
}

/**
 * Reads both files and evaluates; a motion.json with a physics stage also gets the residual of
 * the report.json beside it (DESIGN §4.5).
 */
export function evaluateFiles(predictionPath: string, truthPath: string, options: EvaluateOptions = {}): EvaluationResult {
  const prediction = readLandmarkSequence(predictionPath);
  const result = evaluate(prediction, readLandmarkSequence(truthPath), options);
  const residual = prediction.physics ? residualBeside(predictionPath) : undefined;
  return residual ? { ...result, residual } : result;
}

/** Per-landmark MPJPE and PA-MPJPE (mm) of two files, in the coordinates `evaluate` uses. */
export function evaluatePerLandmark(predictionPath: string, truthPath: string, options: EvaluateOptions = {}): ReturnType<typeof perLandmarkErrors> {
  const prediction = readLandmarkSequence(predictionPath);
  const truth = readLandmarkSequence(truthPath);
  if (prediction.frames.length !== truth.frames.length) {
    throw new UserError(`frame counts differ: ${prediction.source} has ${prediction.frames.length} frames, ${truth.source} has ${truth.frames.length}`);
  }
  const frame = options.frame ?? (prediction.camera && truth.camera ? 'camera' : 'world');
  const positions = positionFrames(prediction, truth, frame);
  return perLandmarkErrors(positions.prediction, positions.truth, options);
}

/**
 * Both sequences' frames in the coordinates of the position metrics: each in its own
 * camera's frame for 'camera' when both have a camera, otherwise the world frames as they are.
 */
function positionFrames(prediction: LandmarkSequence, truth: LandmarkSequence, frame: 'camera' | 'world'): { prediction: Vec3[][]; truth: Vec3[][] } {
  if (frame === 'camera' && prediction.camera && truth.camera) {
    return { prediction: inCamera(prediction.frames, prediction.camera), truth: inCamera(truth.frames, truth.camera) };
  }
  return { prediction: prediction.frames, truth: truth.frames };
}

/** Landmark frames expressed in a camera's coordinates (x right, y up, looking down −z). */
function inCamera(frames: readonly Vec3[][], camera: PinholeCamera): Vec3[][] {
  return frames.map((f) => f.map((p) => worldToCamera(camera, p)));
}
