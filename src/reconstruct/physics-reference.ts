/**
 * The motion the physics stage hands to the simulator and the seams it leaves behind: the
 * kinematic motion low-passed before it becomes PD targets (`smoothMotion`), the pose a restart
 * starts from, shifted to keep planted feet in place (`plantedFeetShift`, `shiftedPose`), and
 * the frames before a restart blended into it (`blendSeams`), and the reference put on the
 * floor where a foot is planted (`plantFeet`): a reference whose standing foot hovers or sinks
 * asks the fully physical controller for a body height it cannot have; and its stance feet
 * locked flat in one place (`physicalReference`, foot-lock.ts): a gliding or tiptoeing foot is
 * not a motion a rigid box foot can make.
 */
import { LANDMARK_INDEX as L } from '../formats/landmarks.ts';
import { forwardKinematics } from '../body/fk.ts';
import { anglesFromPose, poseFromAngles, type Pose } from '../body/pose.ts';
import type { Skeleton } from '../body/skeleton.ts';
import { quatNormalize, quatSlerp, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import { detectContacts, runs, SIDES, soleState } from './foot-contact.ts';
import { BALANCE_REFERENCE_DEFAULTS, balanceReference, type BalanceReferenceOptions } from './physics-balance.ts';
import { anchorDepth, type DepthAnchorOptions } from './physics-depth.ts';
import { FOOT_LOCK_DEFAULTS, lockFeet, type FootLockOptions } from './foot-lock.ts';
import { gaussianKernel, gaussianSmoothSeries } from './scene.ts';

/**
 * A motion low-passed with a Gaussian of σ frames (edges renormalised): joint angles and
 * root position averaged, root rotations averaged as sign-aligned quaternions.
 */
export function smoothMotion(skel: Skeleton, motion: Pose[], sigma: number): Pose[] {
  if (!(sigma > 0) || motion.length < 3) return motion;
  const { r, kernel } = gaussianKernel(sigma);
  const angles = motion.map((p) => anglesFromPose(skel, p));
  return motion.map((p, t) => {
    const a = new Float64Array(angles[t]!.length);
    const root: Vec3 = [0, 0, 0];
    const q: Quat = [0, 0, 0, 0];
    let wSum = 0;
    for (let i = -r; i <= r; i++) {
      const u = t + i;
      if (u < 0 || u >= motion.length) continue;
      const w = kernel[i + r]!;
      wSum += w;
      const m = motion[u]!;
      for (let c = 0; c < a.length; c++) a[c]! += w * angles[u]![c]!;
      for (let c = 0; c < 3; c++) root[c]! += w * m.rootPosition[c]!;
      const s = m.rootRotation[0] * p.rootRotation[0] + m.rootRotation[1] * p.rootRotation[1] + m.rootRotation[2] * p.rootRotation[2] + m.rootRotation[3] * p.rootRotation[3] < 0 ? -w : w;
      for (let c = 0; c < 4; c++) q[c]! += s * m.rootRotation[c]!;
    }
    for (let c = 0; c < a.length; c++) a[c]! /= wSum;
    return poseFromAngles(skel, root.map((v) => v / wSum) as Vec3, quatNormalize(q), a);
  });
}

/** The frames `blendSeams` blends before a seam: (seam − n, seam], never frame 0. */
export function seamFrames(seam: number, n: number): number[] {
  const frames: number[] = [];
  for (let t = Math.max(1, seam - n + 1); t <= seam; t++) frames.push(t);
  return frames;
}

/**
 * Frames (seam − n, seam] of a motion blended into the pose `target(seam)` the motion restarts
 * from after the seam (weights rising smoothly to 1 at the seam): a restart's jump spread over
 * n frames. Joint angles and root position are interpolated, the root rotation slerped.
 */
export function blendSeams(skel: Skeleton, motion: Pose[], seams: readonly number[], target: (seam: number) => Pose, n: number): Pose[] {
  if (!(n > 0) || seams.length === 0) return motion;
  const out = motion.slice();
  for (const seam of seams) {
    const goal = target(seam);
    const goalAngles = anglesFromPose(skel, goal);
    for (const t of seamFrames(seam, n)) {
      const u = (t - (seam - n)) / n;
      const w = u * u * (3 - 2 * u);
      const p = out[t]!;
      const a = anglesFromPose(skel, p);
      for (let c = 0; c < a.length; c++) a[c] = (1 - w) * a[c]! + w * goalAngles[c]!;
      const root = p.rootPosition.map((v, c) => (1 - w) * v + w * goal.rootPosition[c]!) as Vec3;
      out[t] = poseFromAngles(skel, root, quatSlerp(p.rootRotation, goal.rootRotation, w), a);
    }
  }
  return out;
}

/**
 * The horizontal shift (x, z; y = 0) that puts the kinematic landmarks' planted feet where the
 * simulated ones are: the mean offset of heel and toe over the feet in contact in the
 * simulation, or undefined when no foot is.
 */
export function plantedFeetShift(simulated: readonly Vec3[], kinematic: readonly Vec3[], contacts: readonly [boolean, boolean]): Vec3 | undefined {
  const feet = [[contacts[0], L.left_heel, L.left_foot_index], [contacts[1], L.right_heel, L.right_foot_index]] as const;
  let dx = 0, dz = 0, n = 0;
  for (const [planted, heel, toe] of feet) {
    if (!planted) continue;
    dx += (simulated[heel]![0] + simulated[toe]![0] - kinematic[heel]![0] - kinematic[toe]![0]) / 2;
    dz += (simulated[heel]![2] + simulated[toe]![2] - kinematic[heel]![2] - kinematic[toe]![2]) / 2;
    n++;
  }
  return n ? [dx / n, 0, dz / n] : undefined;
}

/** A pose moved horizontally by `shift` (unchanged without one). */
export function shiftedPose(p: Pose, shift: readonly number[] | undefined): Pose {
  return shift ? { ...p, rootPosition: [p.rootPosition[0] + shift[0]!, p.rootPosition[1], p.rootPosition[2] + shift[2]!] } : p;
}

/** What counts as a planted foot when the reference is put on the floor. */
export interface PlantOptions {
  /** A frame is in stance when its lowest sole point is below this height, m. */
  contactHeight: number;
  /** Gaussian smoothing (σ, frames) of the vertical shift, so it never jerks the body. */
  sigma: number;
  /**
   * Frames without a planted foot that run longer than this (s), or from the clip's start or to
   * its end, are no flight (a 0.5-s flight rises 31 cm): their lowest sole point goes on the floor
   * too. A fit of pose_1.mp4 floats 13–25 cm for its first second.
   */
  maxFlight: number;
}

export const PLANT_DEFAULTS: PlantOptions = { contactHeight: 0.06, sigma: 2, maxFlight: 0.5 };

/** Height of the lowest corner of either simulated sole box (src/physics/humanoid.ts) in a pose. */
export function lowestSole(skel: Skeleton, pose: Pose): number {
  const w = forwardKinematics(skel, pose);
  return Math.min(...SIDES.map((side) => soleState(skel, w, side).low));
}

/**
 * The motion moved up or down so that on stance frames (lowest sole point below
 * `contactHeight`) the lowest sole point touches the floor; between stance frames the shift is
 * interpolated, then smoothed, so flight phases keep their own shape. No stance frame: unchanged.
 */
export function plantFeet(skel: Skeleton, motion: Pose[], options: Partial<PlantOptions> = {}, fps = 30): Pose[] {
  const o = { ...PLANT_DEFAULTS, ...options };
  const low = motion.map((p) => lowestSole(skel, p));
  const stance = low.map((h) => h < o.contactHeight);
  if (o.maxFlight > 0 && stance.some(Boolean)) {
    for (const [s, e] of runs(stance.map((x) => !x))) {
      if (s === 0 || e === stance.length - 1 || e - s + 1 > o.maxFlight * fps) for (let t = s; t <= e; t++) stance[t] = true;
    }
  }
  const known = stance.flatMap((s, i) => (s ? [i] : []));
  if (known.length === 0) return motion;
  const shift = low.map((h, i) => {
    if (stance[i]) return -h;
    const next = known.find((k) => k > i), prev = [...known].reverse().find((k) => k < i);
    if (prev === undefined) return -low[next!]!;
    if (next === undefined) return -low[prev]!;
    return -low[prev]! + ((i - prev) / (next - prev)) * (low[prev]! - low[next]!);
  });
  const smoothed = gaussianSmoothSeries(shift.map((v) => [v]), o.sigma);
  return motion.map((p, t) => ({ ...p, rootPosition: [p.rootPosition[0], p.rootPosition[1] + smoothed[t]![0]!, p.rootPosition[2]] }));
}

/** How the kinematic motion is made into a reference the fully physical controller can follow. */
export interface ReferenceOptions {
  /** The camera centre (world), when known: what the depth anchor and the balance's shift measure the camera ray from. */
  camera: Vec3 | null;
  /** First move the body along the camera ray so its planted feet do not slide along it (physics-depth.ts); needs `camera`. */
  anchor: boolean;
  depthAnchor: Partial<DepthAnchorOptions>;
  /** Lock each stance foot flat in one place and re-solve the legs (foot-lock.ts); off: only `plantFeet`. */
  footLock: boolean;
  lock: FootLockOptions;
  /** Then move the body so its centre of mass stands over the stance feet (physics-balance.ts). */
  balance: boolean;
  balanceOptions: BalanceReferenceOptions;
}

export const REFERENCE_DEFAULTS: ReferenceOptions = { camera: null, anchor: false, depthAnchor: {}, footLock: false, lock: FOOT_LOCK_DEFAULTS, balance: false, balanceOptions: BALANCE_REFERENCE_DEFAULTS };

/**
 * The (already smoothed) kinematic motion as the fully physical controller's reference: put on
 * the floor (`plantFeet`), then, with `footLock`, its stance feet locked. Locking after the
 * smoothing keeps the low-pass from sliding a planted foot.
 */
export function physicalReference(skel: Skeleton, smooth: Pose[], fps: number, options: Partial<ReferenceOptions> = {}): Pose[] {
  const o = { ...REFERENCE_DEFAULTS, ...options };
  const flat = plantFeet(skel, smooth, {}, fps);
  const planted = o.anchor && o.camera ? anchorDepth(skel, flat, fps, o.camera, o.depthAnchor).motion : flat;
  const locked = o.footLock ? lockFeet(skel, planted, fps, o.lock) : { motion: planted, contacts: undefined };
  if (!o.balance) return locked.motion;
  const contacts = locked.contacts ?? detectContacts(skel, planted, fps, o.lock.contacts);
  return balanceReference(skel, locked.motion, fps, contacts, { ...o.balanceOptions, camera: o.camera }).motion;
}
