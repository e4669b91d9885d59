/**
 * A reference whose centre of mass stands over its feet. A monocular fit places the body along
 * the camera ray only loosely: on a real video the reference can stand on one foot with its
 * centre of mass 30–40 cm behind that foot, a pose no body holds. Here the pelvis (and the
 * whole body with it) moves horizontally, smoothly over time, by what brings the centre of mass
 * (simulated masses) inside the support polygon of the stance feet (their soles shrunk by a
 * margin); the stance legs are re-solved so the feet stay where they stood. Frames whose centre
 * of mass is already over the support are left as they are, up to the smoothing of the shift.
 */
import { forwardKinematics, type WorldPose } from '../body/fk.ts';
import { legJoints, pelvisShiftToReach, solveLeg, type Side } from '../body/leg-ik.ts';
import type { Pose } from '../body/pose.ts';
import type { Skeleton } from '../body/skeleton.ts';
import { quatRotate, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import { hull, nearestInside, type P2 } from '../physics/balance.ts';
import { simulatedMasses } from '../physics/humanoid.ts';
import { runs, SIDES, soleBox } from './foot-contact.ts';
import { nearestStance } from './foot-lock.ts';
import { gaussianSmoothSeries } from './scene.ts';

export interface BalanceReferenceOptions {
  /** Share of each sole (about its centre) the centre of mass is moved into. */
  margin: number;
  /** Gaussian σ (s) of the shift over time, so the body shifts its weight before it lifts a foot. */
  sigmaSeconds: number;
  /** Rounds of (measure what is missing, add it smoothed, σ × 0.7 each round): each closes most of the rest. */
  rounds: number;
  /** Least σ of a later round, as a share of `sigmaSeconds`. */
  minSigmaShare: number;
  /**
   * Horizontal speed (m/s) of the reference's centre of mass at which the gap counts for nothing
   * (linearly from full at rest): a walk's centre of mass rightly runs ahead of its stance foot,
   * a kick or a squat held on the feet does not.
   */
  staticSpeed: number;
  /** Largest horizontal shift, m. */
  maxShift: number;
  /**
   * Largest part of it across the camera ray (m), when `camera` (its centre, world) is given: a
   * shift along the ray barely moves the body in the image, one across it moves it off what the
   * camera saw. 0.1 instead of 0.4: the real capture's falls 14 → 10 of 80 windows, PA 102.5 →
   * 99.7 mm; the CMU squat, walk and jumps unchanged (docs/physics.md).
   */
  maxAcross: number;
  camera: Vec3 | null;
  /** Frames over which a foot eases into and out of staying in place around a stance. */
  blend: number;
}

export const BALANCE_REFERENCE_DEFAULTS: BalanceReferenceOptions = { margin: 0.8, sigmaSeconds: 0.25, rounds: 8, minSigmaShare: 0, staticSpeed: 0.5, maxShift: 0.4, maxAcross: 0.1, camera: null, blend: 3 };

/** Whole-body centre of mass of a pose with the simulated segment masses. */
export function centreOfMass(skel: Skeleton, w: WorldPose, masses: readonly number[]): Vec3 {
  let m = 0;
  const c: Vec3 = [0, 0, 0];
  skel.segments.forEach((seg, i) => {
    const o = quatRotate(w.rotations[i]!, seg.com);
    const p = w.positions[i]!, mi = masses[i]!;
    m += mi;
    for (let k = 0; k < 3; k++) c[k]! += mi * (p[k]! + o[k]!);
  });
  return [c[0] / m, c[1] / m, c[2] / m];
}

/** Horizontal move (x, z) that brings the centre of mass into the stance soles' polygon (shrunk by `margin`); [0, 0] without a stance foot. */
export function supportGap(skel: Skeleton, w: WorldPose, masses: readonly number[], stance: readonly boolean[], margin: number): P2 {
  const corners: P2[] = [];
  SIDES.forEach((side, i) => {
    if (!stance[i]) return;
    const foot = legJoints(side).ankle;
    const box = soleBox(skel, foot);
    const p = w.positions[foot]!, q = w.rotations[foot]!;
    const world = box.corners.map((c) => { const o = quatRotate(q, c); return [p[0] + o[0], p[1] + o[1], p[2] + o[2]] as Vec3; });
    const centre = quatRotate(q, box.centre);
    // A tilted foot stands on its low edge only: corners more than 2 cm above its lowest are in the air.
    const low = Math.min(...world.map((c) => c[1]));
    for (const c of world) {
      if (c[1] > low + 0.02) continue;
      corners.push([p[0] + centre[0] + margin * (c[0] - p[0] - centre[0]), p[2] + centre[2] + margin * (c[2] - p[2] - centre[2])]);
    }
  });
  if (corners.length === 0) return [0, 0];
  const com = centreOfMass(skel, w, masses);
  const [x, z] = nearestInside(hull(corners), [com[0], com[2]]);
  return [x - com[0], z - com[2]];
}

/** Per frame, how still the centre of mass is: 1 at rest, 0 at `speed` (m/s, horizontal, central differences) and above. */
function staticWeights(skel: Skeleton, worlds: readonly WorldPose[], masses: readonly number[], fps: number, speed: number): number[] {
  const com = worlds.map((w) => centreOfMass(skel, w, masses));
  return com.map((_, t) => {
    const a = com[Math.max(0, t - 1)]!, b = com[Math.min(com.length - 1, t + 1)]!;
    const span = Math.min(com.length - 1, t + 1) - Math.max(0, t - 1);
    const v = span > 0 ? (Math.hypot(b[0] - a[0], b[2] - a[2]) * fps) / span : 0;
    return Math.max(0, 1 - v / speed);
  });
}

/** Where each foot of the input stands (ankle, rotation) and how much it stays there (1 in stance, easing out). */
interface FootHold { ankle: Vec3; rotation: Quat; weight: number }

/** The motion with the pelvis shifted by `shift` (x, z per frame) and the held feet kept in place (the pelvis lowered where they would be out of reach). */
function shiftKeepingFeet(skel: Skeleton, motion: readonly Pose[], holds: ReadonlyArray<ReadonlyArray<FootHold | null>>, shift: readonly P2[]): Pose[] {
  return motion.map((p, t) => {
    const d = shift[t]!;
    if (Math.hypot(d[0], d[1]) < 1e-4) return p;
    let pose: Pose = { ...p, rootPosition: [p.rootPosition[0] + d[0], p.rootPosition[1], p.rootPosition[2] + d[1]] };
    let world = forwardKinematics(skel, pose);
    // A held foot stays where it stood; easing out of the hold it follows the pelvis.
    const target = (h: FootHold | null): Vec3 | null => (h ? [h.ankle[0] + (1 - h.weight) * d[0], h.ankle[1], h.ankle[2] + (1 - h.weight) * d[1]] : null);
    const targets: Record<Side, Vec3 | null> = { left: target(holds[0]![t]!), right: target(holds[1]![t]!) };
    const down = Math.min(0, pelvisShiftToReach(skel, world, targets)[1]);
    if (down < 0) { pose = { ...pose, rootPosition: [pose.rootPosition[0], pose.rootPosition[1] + down, pose.rootPosition[2]] }; world = forwardKinematics(skel, pose); }
    SIDES.forEach((side, i) => {
      const h = holds[i]![t], at = targets[side];
      if (h && at) pose = solveLeg(skel, pose, side, at, h.rotation, world);
    });
    return pose;
  });
}

/** A shift (x, z) within `maxShift`, and within `maxAcross` across the camera ray through `at` when the camera is known. */
function bounded(x: number, z: number, at: Vec3, o: BalanceReferenceOptions): P2 {
  if (o.camera) {
    const dx = at[0] - o.camera[0], dz = at[2] - o.camera[2], n = Math.hypot(dx, dz) || 1;
    const u = [dx / n, dz / n] as const;
    const along = x * u[0] + z * u[1], across = Math.max(-o.maxAcross, Math.min(o.maxAcross, -x * u[1] + z * u[0]));
    x = along * u[0] - across * u[1];
    z = along * u[1] + across * u[0];
  }
  const n = Math.hypot(x, z);
  return n > o.maxShift ? [(x * o.maxShift) / n, (z * o.maxShift) / n] : [x, z];
}

/**
 * The motion moved so that on every frame with a stance foot (`contacts`, per frame [left,
 * right]) the centre of mass lies over the stance soles (see the file comment). Bone lengths are
 * unchanged; the returned shifts (x, z per frame, m) say how far each frame moved.
 */
export function balanceReference(
  skel: Skeleton, motion: readonly Pose[], fps: number, contacts: ReadonlyArray<readonly [boolean, boolean]>, options: Partial<BalanceReferenceOptions> = {},
): { motion: Pose[]; shifts: P2[] } {
  const o = { ...BALANCE_REFERENCE_DEFAULTS, ...options };
  const masses = simulatedMasses(skel);
  const worlds = motion.map((p) => forwardKinematics(skel, p));
  const holds = SIDES.map((side, i) => {
    const stances = runs(contacts.map((c) => c[i]!));
    const foot = legJoints(side).ankle;
    return worlds.map((w, t) => {
      const near = nearestStance(stances, t, o.blend);
      return near ? { ankle: w.positions[foot]!, rotation: w.rotations[foot]!, weight: near.weight } : null;
    });
  });
  const static_ = staticWeights(skel, worlds, masses, fps, o.staticSpeed);
  let shift: P2[] = motion.map(() => [0, 0]);
  let out = motion.slice();
  for (let round = 0; round < o.rounds; round++) {
    const gap = out.map((p, t) => supportGap(skel, forwardKinematics(skel, p), masses, contacts[t]!, o.margin).map((g) => g * static_[t]!));
    if (!gap.some((g) => Math.hypot(g[0], g[1]) > 0.005)) break;
    // Coarse to fine: the first rounds shift broadly and smoothly, later ones close what is left near sudden changes of support.
    const smooth = gaussianSmoothSeries(gap, o.sigmaSeconds * fps * Math.max(o.minSigmaShare, 0.7 ** round));
    shift = shift.map((s, t) => bounded(s[0] + smooth[t]![0]!, s[1] + smooth[t]![1]!, motion[t]!.rootPosition, o));
    out = shiftKeepingFeet(skel, motion, holds, shift);
  }
  return { motion: out, shifts: shift };
}
