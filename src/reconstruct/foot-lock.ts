/**
 * Foot locking: a reference the simulated body can stand on. During each stance (foot-contact.ts)
 * the foot is held at one place on the floor — at the stance's mean sole position and heading,
 * nearly flat (a rigid box foot tips over an edge) — and blended in and out of that lock over a
 * few frames; a foot in the air is kept above the floor. The legs are re-solved by analytic IK
 * (src/body/leg-ik.ts) and, where the locked feet are out of the legs' reach, the pelvis moves
 * (least squares, then smoothed) so both reach. Planted feet then neither hover, glide nor sink.
 */
import { forwardKinematics, type WorldPose } from '../body/fk.ts';
import { legJoints, pelvisShiftToReach, solveLeg, type Side } from '../body/leg-ik.ts';
import type { Pose } from '../body/pose.ts';
import type { Skeleton } from '../body/skeleton.ts';
import { quatAngle, quatFromAxisAngle, quatMultiply, quatRotate, quatSlerp, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import { CONTACT_DEFAULTS, detectContacts, runs, SIDES, soleBox, type ContactOptions } from './foot-contact.ts';
import { gaussianSmoothSeries } from './scene.ts';

export interface FootLockOptions {
  contacts: ContactOptions;
  /** Frames over which a foot moves into its lock before a stance and out of it after. */
  blend: number;
  /** Gaussian σ (frames) of the pelvis shift the locks ask for, so the pelvis never jerks. */
  pelvisSigma: number;
  /** Turn each locked leg about its hip–ankle line so the knee points over the toes. */
  kneeOverToes: boolean;
  /** A stance foot tilts as the reference tilts it up to this angle (rad) from flat, its lowest corner on the floor; 0: flat (what a box foot stands on). */
  maxTilt: number;
}

/** maxTilt 0.2 rad: of flat, 0.2 and unlimited, the lowest mean MPJPE over the CMU squat, walk and jumps (docs/notebook/physics-reference.md). */
export const FOOT_LOCK_DEFAULTS: FootLockOptions = { contacts: CONTACT_DEFAULTS, blend: 3, pelvisSigma: 2, kneeOverToes: true, maxTilt: 0.2 };

/** Where a foot stands: its ankle joint (world), the foot's world rotation and how much it is locked (0–1). */
export interface FootTarget { ankle: Vec3; rotation: Quat; weight: number }

/** Where one stance holds its foot: the sole centre's place on the floor (x, z) and the heading (yaw about +y). */
export interface StanceLock { x: number; z: number; yaw: number }

const yawOf = (q: Quat): number => { const f = quatRotate(q, [0, 0, 1]); return Math.atan2(f[0], f[2]); };

/** The lock of one stance [s, e]: mean sole centre, mean heading. */
export function stanceLock(skel: Skeleton, worlds: readonly WorldPose[], side: Side, s: number, e: number): StanceLock {
  const foot = legJoints(side).ankle;
  const box = soleBox(skel, foot);
  let x = 0, z = 0, sin = 0, cos = 0;
  for (let t = s; t <= e; t++) {
    const w = worlds[t]!;
    const c = quatRotate(w.rotations[foot]!, box.centre);
    x += w.positions[foot]![0] + c[0];
    z += w.positions[foot]![2] + c[2];
    const yaw = yawOf(w.rotations[foot]!);
    sin += Math.sin(yaw); cos += Math.cos(yaw);
  }
  const n = e - s + 1;
  return { x: x / n, z: z / n, yaw: Math.atan2(sin, cos) };
}

/**
 * The foot held by a lock: its heading, tilted as `ref` (the reference foot's rotation) tilts it
 * up to `maxTilt` rad (0: flat), with the sole centre over the lock and the lowest sole corner on
 * the floor.
 */
function lockedFoot(skel: Skeleton, foot: number, lock: StanceLock, ref: Quat, maxTilt: number): { ankle: Vec3; rotation: Quat } {
  const box = soleBox(skel, foot);
  const heading = quatFromAxisAngle([0, 1, 0], lock.yaw);
  const tilt = quatMultiply(quatFromAxisAngle([0, 1, 0], -yawOf(ref)), ref);
  const angle = quatAngle(tilt, [0, 0, 0, 1]);
  const rotation = quatMultiply(heading, angle > maxTilt ? quatSlerp([0, 0, 0, 1], tilt, maxTilt / angle) : tilt);
  const c = quatRotate(rotation, box.centre);
  const low = Math.min(...box.corners.map((k) => quatRotate(rotation, k)[1]));
  return { ankle: [lock.x - c[0], -low, lock.z - c[2]], rotation };
}

const smoothstep = (u: number): number => u * u * (3 - 2 * u);

/** The stance (index into `stances`) nearest to frame t within `blend` frames, and how much it holds the foot there (1 inside, easing to 0). */
export function nearestStance(stances: ReadonlyArray<[number, number]>, t: number, blend: number): { index: number; weight: number } | null {
  let out: { index: number; weight: number } | null = null, best = Infinity;
  stances.forEach(([s, e], i) => {
    const dist = t < s ? s - t : t > e ? t - e : 0;
    if (dist < best && dist <= blend) { best = dist; out = { index: i, weight: smoothstep(1 - dist / (blend + 1)) }; }
  });
  return out;
}

/**
 * Per frame, the target of one foot (null: leave it as the reference has it): its stance lock
 * inside a stance, a blend of the reference foot and the nearest lock within `blend` frames of
 * one, and anywhere the foot lifted just enough to keep its sole out of the floor.
 */
export function footTargets(skel: Skeleton, worlds: readonly WorldPose[], side: Side, planted: readonly boolean[], o: Pick<FootLockOptions, 'blend' | 'maxTilt'>): Array<FootTarget | null> {
  const foot = legJoints(side).ankle;
  const corners = soleBox(skel, foot).corners;
  const stances = runs(planted);
  const locks = stances.map(([s, e]) => stanceLock(skel, worlds, side, s, e));
  return worlds.map((w, t) => {
    const near = nearestStance(stances, t, o.blend);
    const lock: StanceLock | null = near ? locks[near.index]! : null, weight = near?.weight ?? 0;
    const refAnkle = w.positions[foot]!, refRot = w.rotations[foot]!;
    const l = lock ? lockedFoot(skel, foot, lock, refRot, o.maxTilt) : null;
    const ankle: Vec3 = l ? [0, 1, 2].map((c) => refAnkle[c]! + weight * (l.ankle[c]! - refAnkle[c]!)) as Vec3 : [...refAnkle] as Vec3;
    const rotation = l ? quatSlerp(refRot, l.rotation, weight) : refRot;
    const low = Math.min(...corners.map((c) => ankle[1] + quatRotate(rotation, c)[1]));
    if (low < 0 && weight < 1) ankle[1] -= low;
    return l || low < 0 ? { ankle, rotation, weight } : null;
  });
}

/** Per-frame pelvis shifts smoothed with a Gaussian of σ frames (edges renormalised). */
function smoothShifts(shifts: readonly Vec3[], sigma: number): Vec3[] {
  return sigma > 0 ? (gaussianSmoothSeries(shifts, sigma) as Vec3[]) : shifts.slice();
}

const shifted = (p: Pose, d: Vec3): Pose => ({ ...p, rootPosition: [p.rootPosition[0] + d[0], p.rootPosition[1] + d[1], p.rootPosition[2] + d[2]] });

/**
 * The motion with its feet locked where `contacts` (per frame, [left, right]) says they stand,
 * or where detectContacts finds them. Bone lengths are unchanged (only rotations and the pelvis
 * position move).
 */
export function lockFeet(
  skel: Skeleton, motion: readonly Pose[], fps: number, options: Partial<FootLockOptions> = {}, contacts?: ReadonlyArray<readonly [boolean, boolean]>,
): { motion: Pose[]; contacts: Array<[boolean, boolean]> } {
  const o = { ...FOOT_LOCK_DEFAULTS, ...options };
  const planted = (contacts ?? detectContacts(skel, motion, fps, o.contacts)).map((c) => [c[0], c[1]] as [boolean, boolean]);
  const worlds = motion.map((p) => forwardKinematics(skel, p));
  const targets = SIDES.map((side, i) => footTargets(skel, worlds, side, planted.map((c) => c[i]!), o));
  const targetsAt = (t: number): Record<Side, Vec3 | null> => ({ left: targets[0]![t]?.ankle ?? null, right: targets[1]![t]?.ankle ?? null });
  // The pelvis moves smoothly by what the locks need, then by any remainder the smoothing left.
  const first = smoothShifts(motion.map((_, t) => pelvisShiftToReach(skel, worlds[t]!, targetsAt(t))), o.pelvisSigma);
  const out = motion.map((p, t) => {
    let pose = shifted(p, first[t]!);
    let world = forwardKinematics(skel, pose);
    const rest = pelvisShiftToReach(skel, world, targetsAt(t));
    if (rest.some((v) => v !== 0)) { pose = shifted(pose, rest); world = forwardKinematics(skel, pose); }
    SIDES.forEach((side, i) => {
      const target = targets[i]![t];
      // A locked knee points over its toes, so the ankle is not twisted to the foot's heading.
      if (target) pose = solveLeg(skel, pose, side, target.ankle, target.rotation, world, o.kneeOverToes ? { direction: quatRotate(target.rotation, [0, 0, 1]), weight: target.weight } : undefined);
    });
    return pose;
  });
  return { motion: out, contacts: planted };
}
