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
 * across the ground). Every external force on the body other than gravity and contact (the root
 * wrench) and the ground's normal forces are measured at every step and reported per interval.
 * The one rollout of the project: the physics stage, trackMotion (tracking.ts) and the worker
 * pool all run it.
 */
import {
  quatConjugate, quatMultiply, quatSlerp, quatToRotationVector, type Quat, type Vec3,
} from '../geometry/quaternion.ts';
import type { HumanoidLayout } from './humanoid.ts';
import { loadRapier, type Rapier } from './rapier.ts';
import { RolloutRecorder, motorKnots } from './rollout-recorder.ts';
import type { RolloutResult, RolloutSpec } from './rollout-types.ts';
import { HumanoidSim } from './sim.ts';

export type { RolloutResult, RolloutSpec, RootGains } from './rollout-types.ts';

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

/** The reference root over one control interval: its ends, velocities and spline tangents. */
interface RootInterval {
  p0: Vec3; p1: Vec3; q0: Quat; q1: Quat;
  /** Linear and angular reference velocity (constant over the interval). */
  vRef: Vec3; wRef: Vec3;
  /** Catmull-Rom tangents (per interval) at both ends, when the reference is a spline. */
  rt0: Float64Array; rt1: Float64Array;
}

function rootInterval(ref: NonNullable<RolloutSpec['rootReference']>, k: number, K: number): RootInterval {
  const p0: Vec3 = [ref.positions[k * 3]!, ref.positions[k * 3 + 1]!, ref.positions[k * 3 + 2]!];
  const p1: Vec3 = [ref.positions[k * 3 + 3]!, ref.positions[k * 3 + 4]!, ref.positions[k * 3 + 5]!];
  const q0: Quat = [ref.rotations[k * 4]!, ref.rotations[k * 4 + 1]!, ref.rotations[k * 4 + 2]!, ref.rotations[k * 4 + 3]!];
  const q1: Quat = [ref.rotations[k * 4 + 4]!, ref.rotations[k * 4 + 5]!, ref.rotations[k * 4 + 6]!, ref.rotations[k * 4 + 7]!];
  const vRef: Vec3 = [(p1[0] - p0[0]) / ref.interval, (p1[1] - p0[1]) / ref.interval, (p1[2] - p0[2]) / ref.interval];
  const rt0 = new Float64Array(3), rt1 = new Float64Array(3);
  if (ref.before && ref.after) {
    const at = (i: number, c: number) => (i < 0 ? ref.before![c]! : i > K ? ref.after![c]! : ref.positions[i * 3 + c]!);
    for (let c = 0; c < 3; c++) { rt0[c] = (at(k + 1, c) - at(k - 1, c)) / 2; rt1[c] = (at(k + 2, c) - at(k, c)) / 2; }
  }
  const wRef = quatToRotationVector(quatMultiply(q1, quatConjugate(q0))).map((x) => x / ref.interval) as Vec3;
  return { p0, p1, q0, q1, vRef, wRef, rt0, rt1 };
}

/** Adds the closed-loop root PD's wrench toward the reference at fraction f of the interval. */
function addRootPd(wrench: Float64Array, sim: HumanoidSim, ref: NonNullable<RolloutSpec['rootReference']>, iv: RootInterval, f: number): void {
  const g = ref.gains;
  const root = sim.rootState();
  const er = quatToRotationVector(quatMultiply(quatSlerp(iv.q0, iv.q1, f), quatConjugate(root.q)));
  const spline = ref.before && ref.after;
  for (let c = 0; c < 3; c++) {
    const [target, v] = spline
      ? hermite(iv.p0[c]!, iv.rt0[c]!, iv.p1[c]!, iv.rt1[c]!, f).map((x, i) => (i ? x / ref.interval : x)) as [number, number]
      : [iv.p0[c]! + f * (iv.p1[c]! - iv.p0[c]!), iv.vRef[c]!];
    const h = c === 1 ? 1 : g.horizontal ?? 1;
    wrench[c] += h * g.mass * (g.stiffness * (target - root.p[c]!) + g.damping * (v - root.v[c]!));
    wrench[3 + c] += g.inertia * (g.rotStiffness * er[c]! + g.rotDamping * (iv.wRef[c]! - root.w[c]!));
  }
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
      const iv = ref ? rootInterval(ref, k, K) : null;
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
        // The PD acts on the state after this step's target: the reference at t + dt.
        if (ref) addRootPd(wrench, sim, ref, iv!, (s + 1) / S);
        if (w || ref) {
          sim.pushRoot(wrench);
          recorder.addResidual(wrench);
        }
        sim.step();
        recorder.afterStep(sim);
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
