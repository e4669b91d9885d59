/**
 * One rollout: restore a snapshot, drive the PD motors through a sequence of target knots, step
 * at the layout's fixed rate and record what happened after every control interval
 * (rollout-recorder.ts). Optionally the root is pushed by residual forces: an open-loop wrench
 * per interval, and/or a closed-loop PD on the pelvis position and orientation toward a
 * reference root trajectory, evaluated at every simulation step (a "hand of God": without it a
 * simulated body that cannot balance a deep squat falls within a window; with it the body stays
 * on the reference root and optimized controls only have to fix what the camera sees). The
 * wrench is always reported (mean |force|, |torque|). Options: Catmull-Rom PD targets and root
 * reference (`splineEnds`, `rootReference.before/after`: continuous target velocities) and
 * weaker horizontal root gains (`gains.horizontal`: a stiff sideways pull drags planted feet
 * across the ground). The one rollout of the project: the physics stage, trackMotion
 * (tracking.ts) and the worker pool all run it.
 */
import {
  quatConjugate, quatMultiply, quatSlerp, quatToRotationVector, type Quat, type Vec3,
} from '../geometry/quaternion.ts';
import type { HumanoidLayout } from './humanoid.ts';
import { loadRapier, type Rapier } from './rapier.ts';
import { RolloutRecorder, motorKnots } from './rollout-recorder.ts';
import { HumanoidSim } from './sim.ts';

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
  /** Mean |force| (N) and |torque| (N·m) of the residual root wrench over all steps. */
  residualForce: number;
  residualTorque: number;
  /** Null, or where and why the simulation blew up (outputs stop before it). */
  blowUp: { step: number; reason: string } | null;
  /** Simulation steps taken. */
  steps: number;
  endSnapshot?: Uint8Array;
}

/**
 * Cubic Hermite segment from q0 to q1 with tangents m0, m1 (per segment), at t ∈ [0, 1]:
 * the value and its derivative per segment. With Catmull-Rom tangents, mᵢ = (qᵢ₊₁ − qᵢ₋₁) / 2,
 * consecutive segments join with equal values and slopes.
 */
export function hermite(q0: number, m0: number, q1: number, m1: number, t: number): [number, number] {
  const t2 = t * t, t3 = t2 * t;
  return [
    (2 * t3 - 3 * t2 + 1) * q0 + (t3 - 2 * t2 + t) * m0 + (-2 * t3 + 3 * t2) * q1 + (t3 - t2) * m1,
    (6 * t2 - 6 * t) * q0 + (3 * t2 - 4 * t + 1) * m0 + (-6 * t2 + 6 * t) * q1 + (3 * t2 - 2 * t) * m1,
  ];
}

/** Runs a rollout on this thread (Rapier must be loaded: see `runRollout`). */
export function rolloutWith(R: Rapier, layout: HumanoidLayout, snapshot: Uint8Array, spec: RolloutSpec): RolloutResult {
  const { knotCount, motors: M, knots } = motorKnots(layout, spec.targets);
  const ends = spec.splineEnds ? motorKnots(layout, Float64Array.from([...spec.splineEnds.before, ...spec.splineEnds.after])).knots : null;
  // Knot i in motor space, with the spline's neighbours at −1 and knotCount.
  const knot = (i: number, m: number): number => (i < 0 ? ends![m]! : i >= knotCount ? (ends ? ends[M + m]! : knots[(knotCount - 1) * M + m]!) : knots[i * M + m]!);
  const K = Math.min(knotCount, spec.intervals ?? knotCount);
  const S = Math.max(1, Math.round(spec.stepsPerControl));
  const ref = spec.rootReference;
  if (spec.rootWrench && spec.rootWrench.length !== K * 6) throw new Error(`rootWrench must hold ${K} × 6 values`);
  if (ref && (ref.positions.length !== (K + 1) * 3 || ref.rotations.length !== (K + 1) * 4)) throw new Error(`rootReference must hold ${K + 1} frames`);

  const sim = HumanoidSim.fromSnapshot(R, layout, snapshot);
  const recorder = new RolloutRecorder(layout, K);
  const pos = new Float64Array(M);
  const vel = new Float64Array(M);
  const wrench = new Float64Array(6);
  const rt0 = new Float64Array(3), rt1 = new Float64Array(3);
  const m0 = new Float64Array(M), m1 = new Float64Array(M); // spline tangents at an interval's ends
  const rate = layout.options.rate;
  const snapshotAfter = spec.endSnapshot && spec.snapshotAfter !== undefined ? spec.snapshotAfter : -1;
  let midSnapshot: Uint8Array | undefined;
  try {
    for (let k = 0; k < K; k++) {
      const a = k * M, b = (k + 1 < knotCount ? k + 1 : k) * M;
      // Tangents (per interval) of the Catmull-Rom spline at both ends of this interval.
      if (ends) for (let m = 0; m < M; m++) { m0[m] = (knot(k + 1, m) - knot(k - 1, m)) / 2; m1[m] = (knot(k + 2, m) - knot(k, m)) / 2; }
      if (!ends) for (let m = 0; m < M; m++) vel[m] = (knots[b + m]! - knots[a + m]!) * rate / S;
      // Reference root velocity over this interval (constant: linear interpolation).
      let p0: Vec3 = [0, 0, 0], p1: Vec3 = [0, 0, 0], q0: Quat = [0, 0, 0, 1], q1: Quat = [0, 0, 0, 1], vRef: Vec3 = [0, 0, 0], wRef: Vec3 = [0, 0, 0];
      if (ref) {
        p0 = [ref.positions[k * 3]!, ref.positions[k * 3 + 1]!, ref.positions[k * 3 + 2]!];
        p1 = [ref.positions[k * 3 + 3]!, ref.positions[k * 3 + 4]!, ref.positions[k * 3 + 5]!];
        q0 = [ref.rotations[k * 4]!, ref.rotations[k * 4 + 1]!, ref.rotations[k * 4 + 2]!, ref.rotations[k * 4 + 3]!];
        q1 = [ref.rotations[k * 4 + 4]!, ref.rotations[k * 4 + 5]!, ref.rotations[k * 4 + 6]!, ref.rotations[k * 4 + 7]!];
        vRef = [(p1[0] - p0[0]) / ref.interval, (p1[1] - p0[1]) / ref.interval, (p1[2] - p0[2]) / ref.interval];
        if (ref.before && ref.after) {
          const at = (i: number, c: number) => (i < 0 ? ref.before![c]! : i > K ? ref.after![c]! : ref.positions[i * 3 + c]!);
          for (let c = 0; c < 3; c++) { rt0[c] = (at(k + 1, c) - at(k - 1, c)) / 2; rt1[c] = (at(k + 2, c) - at(k, c)) / 2; }
        }
        wRef = quatToRotationVector(quatMultiply(q1, quatConjugate(q0))).map((x) => x / ref.interval) as Vec3;
      }
      const w = spec.rootWrench;
      for (let s = 0; s < S; s++) {
        const t = s / S;
        if (ends) {
          for (let m = 0; m < M; m++) {
            const [p, dp] = hermite(knots[a + m]!, m0[m]!, knot(k + 1, m), m1[m]!, t);
            pos[m] = p;
            // Per interval → per second.
            vel[m] = dp * rate / S;
          }
        } else {
          for (let m = 0; m < M; m++) pos[m] = knots[a + m]! + t * (knots[b + m]! - knots[a + m]!);
        }
        sim.setMotorTargets(pos, vel, 0, 0, spec.gainScale ?? 1);
        wrench.fill(0);
        if (w) for (let c = 0; c < 6; c++) wrench[c] = w[k * 6 + c]!;
        if (ref) {
          // The PD acts on the state after this step's target: the reference at t + dt.
          const f = (s + 1) / S;
          const g = ref.gains;
          const root = sim.rootState();
          const er = quatToRotationVector(quatMultiply(quatSlerp(q0, q1, f), quatConjugate(root.q)));
          const spline = ref.before && ref.after;
          for (let c = 0; c < 3; c++) {
            const [target, v] = spline
              ? hermite(p0[c]!, rt0[c]!, p1[c]!, rt1[c]!, f).map((x, i) => (i ? x / ref.interval : x)) as [number, number]
              : [p0[c]! + f * (p1[c]! - p0[c]!), vRef[c]!];
            const h = c === 1 ? 1 : g.horizontal ?? 1;
            wrench[c] += h * g.mass * (g.stiffness * (target - root.p[c]!) + g.damping * (v - root.v[c]!));
            wrench[3 + c] += g.inertia * (g.rotStiffness * er[c]! + g.rotDamping * (wRef[c]! - root.w[c]!));
          }
        }
        if (w || ref) {
          sim.pushRoot(wrench);
          recorder.forceSum += Math.hypot(wrench[0]!, wrench[1]!, wrench[2]!);
          recorder.torqueSum += Math.hypot(wrench[3]!, wrench[4]!, wrench[5]!);
        }
        sim.step();
      }
      if (!recorder.record(sim)) break;
      if (recorder.frames === snapshotAfter) midSnapshot = sim.takeSnapshot();
    }
    if (snapshotAfter < 0) return recorder.result(sim, spec.endSnapshot);
    const result = recorder.result(sim, false);
    if (midSnapshot) result.endSnapshot = midSnapshot;
    return result;
  } finally {
    sim.free();
  }
}

/** Runs a rollout on this thread, loading Rapier first if needed. */
export async function runRollout(layout: HumanoidLayout, snapshot: Uint8Array, spec: RolloutSpec): Promise<RolloutResult> {
  return rolloutWith(await loadRapier(), layout, snapshot, spec);
}
