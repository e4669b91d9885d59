/**
 * What the fully physical controller (controller.ts) follows, as plain arrays per control frame:
 * PD target angles, the whole-body centre of mass with its velocity, the pelvis position and
 * orientation, and the nose height (for fall detection). Built once from a reference motion;
 * a rollout gets a slice starting at its snapshot's frame, so a batch stays small to post.
 */
import { forwardKinematics, type WorldPose } from '../body/fk.ts';
import { anglesFromPose, type Pose } from '../body/pose.ts';
import { angleCount, type Skeleton } from '../body/skeleton.ts';
import { quatRotate } from '../geometry/quaternion.ts';
import type { HumanoidLayout } from './humanoid.ts';

export interface ControlReference {
  /** Control frames per second. */
  fps: number;
  /** Frames held (n). */
  frames: number;
  /** n × D packed joint angles (src/body/pose.ts order). */
  angles: Float64Array;
  /** n × 3 whole-body centre of mass (simulated masses) and its velocity (central differences, m/s). */
  com: Float64Array;
  comVel: Float64Array;
  /** n × 3 pelvis positions and n × 4 pelvis orientations (xyzw). */
  root: Float64Array;
  rootRot: Float64Array;
  /** n nose heights (m), for the fall test. */
  noseY: Float64Array;
  /** n × J × 3 accelerations of each body's centre of mass (central second differences, m/s²): the controller's inertial feed-forward. */
  bodyAcc: Float64Array;
  /** n × 6 ankle positions, left then right (m): where the reference's feet stand, for balance relative to the simulated feet. */
  feet: Float64Array;
  /**
   * The camera centre in the reference's world, when the reference comes from one camera: where
   * the body is along the camera ray is what that camera sees least (view-error.ts).
   */
  camera?: [number, number, number];
}

/** Centre of mass of a pose (its forward kinematics) with the simulated body masses. */
function poseCom(layout: HumanoidLayout, w: WorldPose): [number, number, number] {
  let m = 0, x = 0, y = 0, z = 0;
  layout.coms.forEach((c, i) => {
    const o = quatRotate(w.rotations[i]!, c);
    const p = w.positions[i]!, mi = layout.masses[i]!;
    m += mi; x += mi * (p[0] + o[0]); y += mi * (p[1] + o[1]); z += mi * (p[2] + o[2]);
  });
  return [x / m, y / m, z / m];
}

/** World centre of mass of every body of a pose (J × 3, written at `out[at…]`). */
function bodyComs(layout: HumanoidLayout, w: WorldPose, out: Float64Array, at: number): void {
  layout.coms.forEach((c, i) => {
    const o = quatRotate(w.rotations[i]!, c);
    for (let d = 0; d < 3; d++) out[at + i * 3 + d] = w.positions[i]![d]! + o[d]!;
  });
}

/** The controller's reference from a motion sampled at the control rate. */
export function controlReference(layout: HumanoidLayout, poses: Pose[], fps: number, camera?: readonly number[]): ControlReference {
  const skel: Skeleton = layout.skeleton;
  const n = poses.length;
  const D = angleCount(skel);
  const ref: ControlReference = {
    fps, frames: n, angles: new Float64Array(n * D), com: new Float64Array(n * 3), comVel: new Float64Array(n * 3),
    root: new Float64Array(n * 3), rootRot: new Float64Array(n * 4), noseY: new Float64Array(n), bodyAcc: new Float64Array(n * layout.coms.length * 3), feet: new Float64Array(n * 6),
    ...(camera ? { camera: [camera[0]!, camera[1]!, camera[2]!] as [number, number, number] } : {}),
  };
  const nose = skel.landmarks[0]!;
  const ankles = ['left_foot', 'right_foot'].map((name) => skel.joints.findIndex((j) => j.name === name));
  const B = layout.coms.length * 3;
  const coms = new Float64Array(n * B);
  poses.forEach((p, k) => {
    const w = forwardKinematics(skel, p);
    bodyComs(layout, w, coms, k * B);
    ref.angles.set(anglesFromPose(skel, p), k * D);
    ref.com.set(poseCom(layout, w), k * 3);
    ref.root.set(p.rootPosition, k * 3);
    ref.rootRot.set(p.rootRotation, k * 4);
    ref.noseY[k] = w.positions[nose.joint]![1] + quatRotate(w.rotations[nose.joint]!, nose.offset)[1];
    ankles.forEach((j, s) => ref.feet.set(w.positions[j]!, k * 6 + s * 3));
  });
  for (let k = 0; k < n; k++) {
    const a = Math.max(0, k - 1), b = Math.min(n - 1, k + 1);
    for (let c = 0; c < 3; c++) ref.comVel[k * 3 + c] = b > a ? ((ref.com[b * 3 + c]! - ref.com[a * 3 + c]!) * fps) / (b - a) : 0;
    // The first and last frames have no second difference: held at their neighbour's.
    const m = Math.min(n - 2, Math.max(1, k));
    if (n >= 3) for (let c = 0; c < B; c++) ref.bodyAcc[k * B + c] = (coms[(m + 1) * B + c]! - 2 * coms[m * B + c]! + coms[(m - 1) * B + c]!) * fps * fps;
  }
  return ref;
}

/** Frames [from, from + count) of a reference (clamped at its end by repeating the last frame). */
export function referenceSlice(ref: ControlReference, from: number, count: number): ControlReference {
  const D = ref.angles.length / ref.frames;
  const out: ControlReference = {
    fps: ref.fps, frames: count, angles: new Float64Array(count * D), com: new Float64Array(count * 3),
    comVel: new Float64Array(count * 3), root: new Float64Array(count * 3), rootRot: new Float64Array(count * 4),
    noseY: new Float64Array(count), bodyAcc: new Float64Array(count * (ref.bodyAcc.length / ref.frames)), feet: new Float64Array(count * 6),
    ...(ref.camera ? { camera: ref.camera } : {}),
  };
  for (let k = 0; k < count; k++) {
    const s = Math.min(ref.frames - 1, from + k);
    out.angles.set(ref.angles.subarray(s * D, (s + 1) * D), k * D);
    out.com.set(ref.com.subarray(s * 3, s * 3 + 3), k * 3);
    // Past the end the reference holds still.
    if (s === from + k) out.comVel.set(ref.comVel.subarray(s * 3, s * 3 + 3), k * 3);
    const B = ref.bodyAcc.length / ref.frames;
    if (s === from + k) out.bodyAcc.set(ref.bodyAcc.subarray(s * B, (s + 1) * B), k * B);
    out.root.set(ref.root.subarray(s * 3, s * 3 + 3), k * 3);
    out.rootRot.set(ref.rootRot.subarray(s * 4, s * 4 + 4), k * 4);
    out.noseY[k] = ref.noseY[s]!;
    out.feet.set(ref.feet.subarray(s * 6, s * 6 + 6), k * 6);
  }
  return out;
}
