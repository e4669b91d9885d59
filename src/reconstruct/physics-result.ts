/**
 * What the physics stage keeps between windows (a resumable checkpoint) and what it returns.
 */
import type { Pose } from '../body/pose.ts';
import type { PhysicsAccounting } from '../formats/motion.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import type { FrameForces, RestartEvent } from './physics-accounting.ts';

export interface BlowUp {
  window: number;
  reason: string;
  recovered: boolean;
  /** The first frame the simulation could not produce (absent when it recovered at softer gains). */
  frame?: number;
}

/** Resumable state: simulated frames so far and the snapshot to continue from. */
export interface PhysicsCheckpoint {
  nextWindow: number;
  /** Per simulated frame: body poses (J × 7) — frame 0 is the kinematic start pose. */
  bodies: number[][];
  contacts: Array<[boolean, boolean]>;
  /** Base64 Rapier snapshot at the end of the last finished window. */
  snapshot: string;
  curves: number[][];
  /** Loss of each window before optimization (plain tracking). */
  starts: number[];
  rollouts: number;
  residualForce: number[];
  residualTorque: number[];
  blowUps: BlowUp[];
  /** Windows after which the simulation drifted off and was restarted from the kinematic state. */
  resets: number[];
  /** Control offsets of the last knot of the last finished window (see `windows.continuous`). */
  carry?: number[];
  /** The sampling search's PD-target offsets (D) at the end of the last finished window (`sampling.acrossWindows`). */
  searchCarry?: number[];
  /** Per reset window: the horizontal shift (m) of the kinematic pose it restarted from. */
  shifts?: Record<number, number[]>;
  /** Per frame (as `bodies`): what the simulation measured, or null for a frame not simulated. */
  forces: Array<FrameForces | null>;
  /** Every time the simulated state was replaced instead of simulated. */
  restarts: RestartEvent[];
  /** Windows the body, simulated on from the previous window, could not follow (strayed, ended far off, blew up). */
  falls: number[];
  /** Wall time (ms) and rollouts of the optimizer and of the sampling search under it. */
  compute?: ComputeSplit;
}

/** How the physics stage's compute splits between the optimizer and the sampling search (report.json physics.compute). */
export interface ComputeSplit {
  optimizerMs: number;
  optimizerRollouts: number;
  samplingMs: number;
  samplingRollouts: number;
}

export interface PhysicsResult {
  poses: Pose[];
  landmarks: Vec3[][];
  contacts: Array<{ leftFoot: boolean; rightFoot: boolean }>;
  loss: number;
  iterations: number;
  rollouts: number;
  lossCurve: number[];
  windowCurves: number[][];
  /** Each window's loss before optimization. */
  windowStarts: number[];
  /** Mean |residual force| (N) and torque (N·m) over the windows. */
  residualForce: number;
  residualTorque: number;
  blowUps: BlowUp[];
  resets: number[];
  /** Frames blended into a restart pose (`recovery.seamBlend`): interpolated, not simulated. */
  blendedFrames: number[];
  /** Per restart (as `resets`): how far (m) the restart pose was moved to keep planted feet (`recovery.restartShift`). */
  restartShifts: number[];
  /** Per frame: what the simulation measured (residual, ground forces), null where not simulated. */
  frameForces: Array<FrameForces | null>;
  /** Every restart: rewinds, resets, blow-ups and windows given up. */
  restartEvents: RestartEvent[];
  /** Windows the body could not follow. */
  falls: number[];
  /** report.json's `physics` block. */
  accounting: PhysicsAccounting;
  ms: number;
}
