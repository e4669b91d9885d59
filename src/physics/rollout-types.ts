/**
 * What a rollout (rollout.ts) is asked to do and what it returns: shared by the rollout, its
 * recorder, the worker pool and the physics stage.
 */

/** PD gains of the residual root wrench, as accelerations (force = mass · (kp·e + kd·ė)). */
export interface RootGains {
  /** 1/s² and 1/s on the pelvis position. */
  stiffness: number;
  damping: number;
  /** 1/s² and 1/s on the pelvis orientation, times `inertia` (kg·m²). */
  rotStiffness: number;
  rotDamping: number;
  inertia: number;
  /** Body mass (kg). */
  mass: number;
  /** Multiplier on the horizontal (x, z) position gains (default 1). */
  horizontal?: number;
}

export interface RolloutSpec {
  /**
   * K × D packed joint angles (src/body/pose.ts order): PD target knots at the START of
   * each control interval. Within interval k the targets move linearly from knot k to
   * knot k+1 (the last interval holds its knot), with the matching target velocity.
   */
  targets: Float64Array;
  /** Simulation steps per control interval (e.g. 4 at 120 Hz for 30 fps). */
  stepsPerControl: number;
  /**
   * Optional K × 6 residual root wrench per interval: force xyz (N) and torque xyz (N·m) in the
   * world frame, applied to the pelvis at every step of the interval. Always reported.
   */
  rootWrench?: Float64Array;
  /** Multiplier on every joint's stiffness (damping scales with its square root). */
  gainScale?: number;
  /** Return the snapshot at the end of the rollout (~50 KB). */
  endSnapshot?: boolean;
  /**
   * Reference root at the start and end of every interval: (K + 1) × 3 positions and
   * (K + 1) × 4 quaternions (xyzw), and the interval length (s).
   */
  rootReference?: {
    positions: Float64Array; rotations: Float64Array; interval: number; gains: RootGains;
    /**
     * Reference root positions one interval before the first and after the last (3 each): when
     * given, the position reference is a Catmull-Rom spline (continuous velocity) instead of
     * piecewise linear, whose velocity jumps at every frame kick the pelvis through the damping.
     */
    before?: Float64Array; after?: Float64Array;
  };
  /**
   * Packed joint angles one interval before the first knot and after the last (D each): when
   * given, PD targets follow a Catmull-Rom spline through the knots — target velocities are
   * continuous across frames and, with neighbours taken from the reference, across windows.
   */
  splineEnds?: { before: Float64Array; after: Float64Array };
  /**
   * Control intervals to run (default: one per knot, the last one holding its knot). With
   * one knot more than intervals the last interval moves on to the next frame's pose instead
   * of holding — what chained windows need to avoid a stall at every window boundary.
   */
  intervals?: number;
  /**
   * With `endSnapshot`: take the snapshot after this many intervals instead of at the end — a
   * rollout that looks ahead past the frames it commits (the physics stage's `lookahead`)
   * continues from the state where its committed frames end.
   */
  snapshotAfter?: number;
}

export interface RolloutResult {
  /** Control intervals completed (K unless the simulation blew up). */
  frames: number;
  /** frames × 33 × 3 landmark world positions at the END of each interval. */
  landmarks: Float64Array;
  /** frames × J × 7 body poses (position xyz, quaternion xyzw) at the end of each interval. */
  bodies: Float64Array;
  /** frames × 2: left / right foot in contact with the ground (1) or not (0). */
  contacts: Uint8Array;
  /**
   * frames × 6: the residual wrench — every external force on the body other than gravity and
   * ground contact (the root PD and the open-loop root wrench) — averaged over each interval's
   * steps: force xyz (N), torque xyz (N·m), world frame, acting on the pelvis.
   */
  residualWrench: Float64Array;
  /** frames × 2: mean |force| (N) and |torque| (N·m) of the residual wrench over each interval's steps. */
  residualMagnitude: Float64Array;
  /** frames × 3: the ground's normal force (N) on the left foot, the right foot and the other bodies, mean over each interval's steps. */
  groundForce: Float64Array;
  /** Mean |force| (N) and |torque| (N·m) of the residual root wrench over all steps. */
  residualForce: number;
  residualTorque: number;
  /** Null, or where and why the simulation blew up (outputs stop before it). */
  blowUp: { step: number; reason: string } | null;
  /** Simulation steps taken. */
  steps: number;
  endSnapshot?: Uint8Array;
}
