/**
 * Which foot stands on the floor in which frame of a kinematic motion, judged on the simulated
 * humanoid's rigid sole box (src/physics/humanoid.ts): a foot is down while its lowest sole
 * corner is near the floor and its sole centre barely moves. Hysteresis (separate thresholds to
 * enter and leave a stance) and minimum run lengths keep detector noise from flickering it.
 */
import { forwardKinematics, type WorldPose } from '../body/fk.ts';
import { legJoints, type Side } from '../body/leg-ik.ts';
import type { Pose } from '../body/pose.ts';
import type { Skeleton } from '../body/skeleton.ts';
import { quatRotate, type Vec3 } from '../geometry/quaternion.ts';
import { PHYSICS_DEFAULTS } from '../physics/humanoid.ts';

export const SIDES: readonly Side[] = ['left', 'right'];

export interface ContactOptions {
  /** A stance starts when the lowest sole corner is below this height, m… */
  enterHeight: number;
  /** …and the sole centre moves slower than this horizontally, m/s. */
  enterSpeed: number;
  /** A stance ends when the lowest sole corner rises above this height, m… */
  exitHeight: number;
  /** …or the sole centre moves faster than this, m/s. */
  exitSpeed: number;
  /** Stance runs shorter than this many frames at 30 fps (the same time at other rates, never under this many frames) are dropped (a foot brushing the floor). */
  minStance: number;
  /** Swing gaps shorter than this many frames at 30 fps (likewise) between two stances are filled (a flicker). */
  minSwing: number;
  /**
   * A run of frames with neither foot planted that lasts at most this long (s), between or next
   * to planted frames, is no flight: each of its frames plants the lower foot. A fit's feet
   * hover through a change of support (the real capture: 0.13 s with both feet 5–25 cm up); a
   * jump's flight lasts longer. 0: off.
   */
  maxFlight: number;
}

/** Chosen on the kinematic fits of the CMU squat, walk and forward jumps against their truths' contacts (docs/notebook/physics-reference.md). */
export const CONTACT_DEFAULTS: ContactOptions = {
  enterHeight: 0.06, enterSpeed: 0.5, exitHeight: 0.09, exitSpeed: 0.9, minStance: 3, minSwing: 3, maxFlight: 0.15,
};

/** The simulated sole box of a foot in the foot joint's frame: corners and the sole's centre (y = the sole). */
export function soleBox(skel: Skeleton, foot: number): { corners: Vec3[]; centre: Vec3 } {
  const H = skel.height;
  const e = skel.segments[foot]!.end;
  const heel = -0.040 * H, toe = e[2] * PHYSICS_DEFAULTS.toeLength, half = 0.045 * (H / 1.7);
  const corners: Vec3[] = [];
  for (const z of [heel, toe]) for (const x of [-half, half]) corners.push([x, e[1], z]);
  return { corners, centre: [0, e[1], (heel + toe) / 2] };
}

/** World height of a foot's lowest sole corner and its sole centre. */
export function soleState(skel: Skeleton, world: WorldPose, side: Side): { low: number; centre: Vec3 } {
  const foot = legJoints(side).ankle;
  const box = soleBox(skel, foot);
  const p = world.positions[foot]!, q = world.rotations[foot]!;
  const at = (v: Vec3): Vec3 => { const o = quatRotate(q, v); return [p[0] + o[0], p[1] + o[1], p[2] + o[2]]; };
  return { low: Math.min(...box.corners.map((c) => at(c)[1])), centre: at(box.centre) };
}

/** Runs [start, end] (inclusive) of true frames. */
export function runs(flags: readonly boolean[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  flags.forEach((f, t) => {
    if (!f) return;
    if (out.length && out[out.length - 1]![1] === t - 1) out[out.length - 1]![1] = t;
    else out.push([t, t]);
  });
  return out;
}

/** Contacts from per-frame sole heights and horizontal speeds of one foot (hysteresis, then run lengths; `fps` scales the run lengths). */
export function contactsFrom(low: readonly number[], speed: readonly number[], o: ContactOptions = CONTACT_DEFAULTS, fps = 30): boolean[] {
  let down = false;
  const raw = low.map((h, t) => {
    down = down ? !(h > o.exitHeight || speed[t]! > o.exitSpeed) : h < o.enterHeight && speed[t]! < o.enterSpeed;
    return down;
  });
  const minSwing = atRate(o.minSwing, fps), minStance = atRate(o.minStance, fps);
  const filled = raw.slice();
  const stances = runs(raw);
  for (let i = 1; i < stances.length; i++) {
    const gap = stances[i]![0] - stances[i - 1]![1] - 1;
    if (gap < minSwing) for (let t = stances[i - 1]![1] + 1; t < stances[i]![0]; t++) filled[t] = true;
  }
  for (const [s, e] of runs(filled)) if (e - s + 1 < minStance) for (let t = s; t <= e; t++) filled[t] = false;
  return filled;
}

/** Frames at `fps` lasting as long as `frames` at 30 fps, never fewer than `frames` (a flicker is a flicker at any rate). */
export function atRate(frames: number, fps: number): number {
  return Math.max(frames, Math.round((frames * fps) / 30));
}

/**
 * Per frame, [left, right]: is the foot planted? Speeds are central differences over ±1/30 s
 * (±1 frame at 30 fps and below): at 60 fps a fit's frame-to-frame jitter alone reads 0.5–1 m/s.
 */
export function detectContacts(skel: Skeleton, motion: readonly Pose[], fps: number, options: Partial<ContactOptions> = {}): Array<[boolean, boolean]> {
  const o = { ...CONTACT_DEFAULTS, ...options };
  const worlds = motion.map((p) => forwardKinematics(skel, p));
  const soles = SIDES.map((side) => worlds.map((w) => soleState(skel, w, side)));
  const perSide = soles.map((s) => {
    const h = Math.max(1, Math.round(fps / 30));
    const speed = s.map((_, t) => {
      const a = Math.max(0, t - h), b = Math.min(s.length - 1, t + h);
      if (b === a) return 0;
      return (Math.hypot(s[b]!.centre[0] - s[a]!.centre[0], s[b]!.centre[2] - s[a]!.centre[2]) * fps) / (b - a);
    });
    return contactsFrom(s.map((x) => x.low), speed, o, fps);
  });
  const lows = motion.map((_, t) => soles.map((s) => s[t]!.low));
  return fillShortFlights(motion.map((_, t) => [perSide[0]![t]!, perSide[1]![t]!]), lows, Math.round(o.maxFlight * fps));
}

/** Contacts with every run of at most `maxFrames` frames without a planted foot given its lower foot (see `maxFlight`). */
export function fillShortFlights(contacts: Array<[boolean, boolean]>, lows: ReadonlyArray<readonly number[]>, maxFrames: number): Array<[boolean, boolean]> {
  if (maxFrames <= 0 || !contacts.some((c) => c[0] || c[1])) return contacts;
  const out = contacts.map((c) => [c[0], c[1]] as [boolean, boolean]);
  for (const [s, e] of runs(contacts.map((c) => !c[0] && !c[1]))) {
    if (e - s + 1 > maxFrames) continue;
    for (let t = s; t <= e; t++) out[t]![lows[t]![0]! <= lows[t]![1]! ? 0 : 1] = true;
  }
  return out;
}
