/**
 * A reference whose planted feet do not slide along the camera ray. One camera sees where a body
 * is across the image well and how far away it is poorly: on the real capture a fit standing
 * still slides 20–80 cm toward and away from the camera in a quarter of a second, feet and all
 * (docs/notebook/physics-reference.md). A simulated body cannot follow that without falling, and
 * the observation does not ask for it. Here a foot counts as planted when it is low and still
 * ACROSS the ray (what the image shows), and the whole body moves back along the ray by what its
 * planted feet slid along it, frame by frame; in the air it keeps the fit's own motion.
 */
import { forwardKinematics } from '../body/fk.ts';
import type { Pose } from '../body/pose.ts';
import type { Skeleton } from '../body/skeleton.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { contactsFrom, CONTACT_DEFAULTS, SIDES, soleState } from './foot-contact.ts';

export interface DepthAnchorOptions {
  /** A foot may anchor while its lowest sole corner is below this height (m): fits leave standing feet hovering. */
  height: number;
  /** …and its sole centre moves across the camera ray slower than this (m/s) to enter, faster to leave. */
  enterSpeed: number;
  exitSpeed: number;
  /**
   * Along the ray a foot counts as still up to this many times those speeds: a fit's drift is
   * slow, a jump or a stride toward the camera is not (the CMU forward jumps travel 2 m/s along it).
   */
  alongFactor: number;
  /** Largest correction along the ray, as a share of the camera's distance to the body. */
  maxShare: number;
}

export const DEPTH_ANCHOR_DEFAULTS: DepthAnchorOptions = { height: 0.15, enterSpeed: 0.5, exitSpeed: 0.9, alongFactor: 2, maxShare: 0.25 };

/** Horizontal unit vector from the camera centre toward a point (x, z). */
function horizontalRay(camera: Vec3, p: Vec3): [number, number] {
  const dx = p[0] - camera[0], dz = p[2] - camera[2], n = Math.hypot(dx, dz) || 1;
  return [dx / n, dz / n];
}

/**
 * The motion moved along the horizontal camera ray (per frame, through its pelvis) so that feet
 * planted across the ray stay where they stand along it. `camera` is the camera centre in the
 * motion's world. Returns the motion and the correction per frame (m, + away from the camera).
 */
export function anchorDepth(skel: Skeleton, motion: readonly Pose[], fps: number, camera: Vec3, options: Partial<DepthAnchorOptions> = {}): { motion: Pose[]; shifts: number[] } {
  const o = { ...DEPTH_ANCHOR_DEFAULTS, ...options };
  const rays = motion.map((p) => horizontalRay(camera, p.rootPosition));
  const soles = motion.map((p) => { const w = forwardKinematics(skel, p); return SIDES.map((side) => soleState(skel, w, side)); });
  const h = Math.max(1, Math.round(fps / 30));
  const planted = SIDES.map((_, i) => {
    const across = soles.map((s, t) => { const c = s[i]!.centre, u = rays[t]!; return -u[1] * c[0] + u[0] * c[2]; });
    const along = soles.map((s, t) => { const c = s[i]!.centre, u = rays[t]!; return u[0] * c[0] + u[1] * c[2]; });
    const speed = across.map((_, t) => {
      const a = Math.max(0, t - h), b = Math.min(across.length - 1, t + h);
      if (b === a) return 0;
      return (Math.max(Math.abs(across[b]! - across[a]!), Math.abs(along[b]! - along[a]!) / o.alongFactor) * fps) / (b - a);
    });
    const opts = { ...CONTACT_DEFAULTS, enterHeight: o.height, exitHeight: o.height, enterSpeed: o.enterSpeed, exitSpeed: o.exitSpeed };
    return contactsFrom(soles.map((s) => s[i]!.low), speed, opts, fps);
  });
  const shifts = [0];
  for (let t = 1; t < motion.length; t++) {
    const u = rays[t]!;
    let slip = 0, n = 0;
    SIDES.forEach((_, i) => {
      if (!planted[i]![t] || !planted[i]![t - 1]) return;
      const a = soles[t]![i]!.centre, b = soles[t - 1]![i]!.centre;
      slip += u[0] * (a[0] - b[0]) + u[1] * (a[2] - b[2]);
      n++;
    });
    const distance = Math.hypot(motion[t]!.rootPosition[0] - camera[0], motion[t]!.rootPosition[2] - camera[2]);
    const limit = o.maxShare * distance;
    shifts.push(Math.max(-limit, Math.min(limit, shifts[t - 1]! - (n ? slip / n : 0))));
  }
  const out = motion.map((p, t) => {
    const u = rays[t]!, d = shifts[t]!;
    return { ...p, rootPosition: [p.rootPosition[0] + d * u[0], p.rootPosition[1], p.rootPosition[2] + d * u[1]] as Vec3 };
  });
  return { motion: out, shifts };
}
