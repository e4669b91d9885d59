import { z } from 'zod';
import { finite, quat, vec3 } from './common.ts';
import { readValidated, writeJsonAtomic } from './io.ts';
import { skeletonDescription } from './skeleton.ts';

export const MOTION_FORMAT = 'optimus-motion/motion@1';

export const motionCamera = z.object({
  fx: finite, fy: finite, cx: finite, cy: finite,
  rotation: quat,
  position: vec3,
}).passthrough();

export const motionFrame = z.object({
  root: z.object({ position: vec3, rotation: quat }),
  /** Local rotation of every skeleton joint, in skeleton.joints order. */
  rotations: z.array(quat),
  /** World positions (metres) of the 33 MediaPipe landmarks (DESIGN: landmark-mapped joints). */
  joints3d: z.array(vec3),
  contacts: z.object({ leftFoot: z.boolean(), rightFoot: z.boolean() }).passthrough(),
  /** Physics stage: the ground's normal force (N) on each foot, mean over the frame's simulation steps. */
  groundForce: z.object({ leftFoot: finite, rightFoot: finite }).optional(),
  /**
   * Physics stage: the residual — every external force (N) and torque (N·m) on the body other
   * than gravity and contact, acting on the pelvis, world frame, mean over the frame's steps.
   */
  residual: z.object({ force: vec3, torque: vec3 }).optional(),
}).passthrough();

export const stageReport = z.object({
  loss: finite,
  iterations: z.number().int().nonnegative(),
  ms: finite,
  lossCurve: z.array(finite),
  optimizer: z.string().optional(),
}).passthrough();

/**
 * How physical a physics stage result is (DESIGN §4.6 report.json `physics`): the residual
 * (external force other than gravity and contact) over the simulated frames, the share of the
 * body weight the ground carries over stance frames, restarts (state replaced instead of
 * simulated) and falls (windows the body could not follow).
 */
export const physicsAccounting = z.object({
  /** Mass (kg) of the simulated body. */
  massKg: finite,
  residual: z.object({
    meanN: finite,
    meanNm: finite,
    meanPctBodyWeight: finite,
    maxPctBodyWeight: finite,
    framesAbove10Pct: z.number().int().nonnegative(),
  }),
  contactSupportPct: finite,
  restarts: z.number().int().nonnegative(),
  falls: z.number().int().nonnegative(),
  /** Frames of motion.json that were simulated (the others: the start pose, kinematic frames kept after a blow-up). */
  simulatedFrames: z.number().int().nonnegative(),
  /** How the body was driven: `physical` (no external force), `puppet` (a root PD on the pelvis), `pd` (joint PD alone). */
  controller: z.enum(['physical', 'puppet', 'pd']).optional(),
}).passthrough();

/**
 * What the physics stage adds to its stage report: residual root force and torque (mean N,
 * N·m), blow-ups, restarted windows, how far each restart moved the body and the frames
 * blended into a restart. Each field is read
 * on its own: one a run did not write, or wrote malformed, is left out, not the whole report.
 */
export const physicsStageReport = z.object({
  residualForce: finite.optional().catch(undefined),
  residualTorque: finite.optional().catch(undefined),
  blowUps: z.array(z.object({ window: z.number().int(), reason: z.string(), recovered: z.boolean(), frame: z.number().int().optional() })).optional().catch(undefined),
  resets: z.array(z.number().int()).optional().catch(undefined),
  blendedFrames: z.array(z.number().int()).optional().catch(undefined),
  restartShifts: z.array(finite).optional().catch(undefined),
  accounting: physicsAccounting.optional().catch(undefined),
}).passthrough();

export const motionFile = z.object({
  format: z.literal(MOTION_FORMAT),
  fps: finite.refine((v) => v > 0, 'fps must be positive'),
  skeleton: skeletonDescription,
  camera: motionCamera,
  ground: z.object({ normal: vec3, height: finite }),
  frames: z.array(motionFrame),
  stages: z.record(z.string(), stageReport).optional(),
}).passthrough();

export type MotionCamera = z.infer<typeof motionCamera>;
export type MotionFrame = z.infer<typeof motionFrame>;
export type MotionFile = z.infer<typeof motionFile>;
export type StageReport = z.infer<typeof stageReport>;
export type PhysicsStageReport = z.infer<typeof physicsStageReport>;
export type PhysicsAccounting = z.infer<typeof physicsAccounting>;

export function readMotion(path: string): MotionFile {
  return readValidated(motionFile, path);
}

export function writeMotion(path: string, data: MotionFile): void {
  writeJsonAtomic(path, data);
}
