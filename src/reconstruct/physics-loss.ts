/**
 * What the physics stage minimises per window, for one rollout: confidence-weighted robust
 * reprojection of the simulated landmarks, a weak 3D term to the kinematic landmarks, foot
 * sliding and skating while a foot is planted, and the size and smoothness of the controls.
 */
import { footCentreShift as metricFootCentreShift } from '../eval/metrics.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import type { PinholeCamera } from '../geometry/camera.ts';
import { quatToMatrix, type Vec3 } from '../geometry/quaternion.ts';
import type { RolloutResult } from '../physics/rollout.ts';
import { ROBUST_SCALE } from './kinematic-loss.ts';
import type { Observations } from './observations.ts';
import type { FrameWindow } from './windows.ts';

export interface PhysicsWeights {
  reprojection: number;
  kinematic3d: number;
  footSlide: number;
  /**
   * A planted foot's centre (mean of heel and toe, as the skating metric of src/eval) moving
   * more than `skateMargin` between frames: squared excess (m²), the slides the metric counts.
   */
  footSkate: number;
  control: number;
  residual: number;
  smooth: number;
}

export const PHYSICS_WEIGHTS: PhysicsWeights = {
  reprojection: 1,
  kinematic3d: 1,
  footSlide: 2,
  // Strong: a squared per-point slide weighs little next to the pose terms (docs/notebook/physics-stage.md).
  footSkate: 20,
  control: 1e-4,
  residual: 1e-3,
  smooth: 1e-4,
};

/** One window as its loss sees it. */
export interface WindowSetup {
  win: FrameWindow;
  /** Intervals each rollout runs: the window's K plus its lookahead. */
  intervals: number;
  /** Weight of a lookahead frame (frames past the window's end). */
  lookaheadWeight: number;
  /** Kinematic target angles at the end of each interval ((intervals + 1) × D). */
  base: Float64Array;
  /** Kinematic landmarks at the end of each interval. */
  kin: Vec3[][];
}

const SOLES = [[L.left_heel, L.left_foot_index], [L.right_heel, L.right_foot_index]] as const;
/** Width (m) of the logistic edge of the contact band of the foot-slide term. */
const CONTACT_BAND_SOFTNESS = 0.005;

/** The skating metric's foot-centre shift (src/eval) for a foot of the rollout (0 left, 1 right). */
export function footCentreShift(before: (j: number, c: number) => number, after: (j: number, c: number) => number, foot: 0 | 1): number {
  return metricFootCentreShift(before, after, SOLES[foot]!);
}

/** What the loss of a window needs besides the rollout and its controls. */
export interface WindowLossContext {
  obs: Observations;
  camera: PinholeCamera;
  depth: number;
  setup: WindowSetup;
  /** Values per control knot (controlled angles, then the optional root wrench's 6). */
  perKnot: number;
  /** Controlled angles per knot. */
  controlled: number;
  knots: number;
  weights: PhysicsWeights;
  /** Sole height (m) under which a foot counts as planted for the slide terms (0: simulated contact only). */
  contactBand: number;
  /** Per-frame foot-centre motion (m) above which `footSkate` charges a planted foot. */
  skateMargin: number;
}

/**
 * The window loss of one rollout (a plain number; blow-ups cost a large finite amount); x holds
 * all knots' control offsets.
 */
export function windowLossValue(ctx: WindowLossContext, r: RolloutResult, x: Float64Array): number {
  const { obs, camera, depth, setup, perKnot, controlled: nc, knots, weights: w, contactBand, skateMargin } = ctx;
  const K = setup.win.end - setup.win.start;
  const M = quatToMatrix(camera.rotation);
  const s2 = (ROBUST_SCALE / depth) ** 2;
  let reproj = 0, confSum = 0, kin = 0, slide = 0, skate = 0, frameWeights = 0;
  for (let k = 0; k < r.frames; k++) {
    const t = setup.win.start + k + 1;
    // Lookahead frames count with their own weight (see `lookahead`).
    const fw = k < K ? 1 : setup.lookaheadWeight;
    frameWeights += fw;
    for (let j = 0; j < LANDMARK_COUNT; j++) {
      const o = (k * LANDMARK_COUNT + j) * 3;
      const p: Vec3 = [r.landmarks[o]!, r.landmarks[o + 1]!, r.landmarks[o + 2]!];
      const c = fw * obs.confidence[t]![j]!;
      if (c > 0) {
        const d: Vec3 = [p[0] - camera.position[0], p[1] - camera.position[1], p[2] - camera.position[2]];
        const cx = M[0]! * d[0] + M[3]! * d[1] + M[6]! * d[2];
        const cy = M[1]! * d[0] + M[4]! * d[1] + M[7]! * d[2];
        const cz = Math.max(0.1, -(M[2]! * d[0] + M[5]! * d[1] + M[8]! * d[2]));
        const [u, v] = obs.points2d[t]![j]!;
        const e2 = (cx / cz - (u - camera.cx) / camera.fx) ** 2 + (cy / cz + (v - camera.cy) / camera.fy) ** 2;
        reproj += c * (e2 * s2) / (e2 + s2);
        confSum += c;
      }
      const q = setup.kin[k]![j]!;
      kin += fw * ((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2);
    }
    // Transitions within the rollout (charging the start state's too was worse: see footSkate).
    if (k === 0) continue;
    const before = (j: number, c: number) => r.landmarks[((k - 1) * LANDMARK_COUNT + j) * 3 + c]!;
    const after = (j: number, c: number) => r.landmarks[(k * LANDMARK_COUNT + j) * 3 + c]!;
    for (let f = 0; f < 2; f++) {
      // A foot counts as planted when the simulator reports contact at both frames, or —
      // softly — when its sole points hover within the contact band (what the skating metric
      // of src/eval counts: a foot gliding just above the ground is never in contact).
      let gate = r.contacts[k * 2 + f] && r.contacts[(k - 1) * 2 + f] ? 1 : 0;
      if (gate < 1 && contactBand > 0) {
        let g = 1;
        for (const j of SOLES[f]!) {
          for (const y of [after(j, 1), before(j, 1)]) g *= 1 / (1 + Math.exp((y - contactBand) / CONTACT_BAND_SOFTNESS));
        }
        gate = Math.max(gate, g);
      }
      if (gate === 0) continue;
      for (const j of SOLES[f]!) slide += fw * gate * ((after(j, 0) - before(j, 0)) ** 2 + (after(j, 2) - before(j, 2)) ** 2);
      skate += fw * gate * Math.max(0, footCentreShift(before, after, f as 0 | 1) - skateMargin) ** 2;
    }
  }
  const frames = Math.max(1e-9, frameWeights);
  let control = 0, residual = 0, smooth = 0;
  for (let a = 0; a < knots; a++) {
    for (let c = 0; c < nc; c++) control += x[a * perKnot + c]! ** 2;
    for (let c = nc; c < perKnot; c++) residual += x[a * perKnot + c]! ** 2;
    if (a > 0) for (let c = 0; c < perKnot; c++) smooth += (x[a * perKnot + c]! - x[(a - 1) * perKnot + c]!) ** 2;
  }
  let loss = w.reprojection * (confSum > 0 ? (reproj / confSum) * depth * depth : 0)
    + w.kinematic3d * kin / (frames * LANDMARK_COUNT)
    + w.footSlide * slide / frames
    + w.footSkate * skate / frames
    + w.control * control + w.residual * residual + w.smooth * smooth;
  // A blow-up ends the rollout early: charge the missing frames heavily, so steps toward it are refused.
  if (r.blowUp) loss += 1 + (setup.intervals - r.frames);
  return loss;
}

/** Mean distance (m) of a rollout's landmarks at a frame from a pose's, both relative to their pelvis. */
export function poseError(r: RolloutResult, frame: number, target: readonly Vec3[]): number {
  const o = frame * LANDMARK_COUNT * 3;
  const at = (j: number, c: number) => r.landmarks[o + j * 3 + c]!;
  let sum = 0;
  for (let j = 0; j < LANDMARK_COUNT; j++) {
    let d2 = 0;
    for (let c = 0; c < 3; c++) {
      const sim = at(j, c) - (at(L.left_hip, c) + at(L.right_hip, c)) / 2;
      const kin = target[j]![c]! - (target[L.left_hip]![c]! + target[L.right_hip]![c]!) / 2;
      d2 += (sim - kin) ** 2;
    }
    sum += Math.sqrt(d2);
  }
  return sum / LANDMARK_COUNT;
}
