/**
 * The balance layer of the fully physical controller: a "virtual force" on the centre of mass
 * (PD toward the reference centre of mass, plus the body's weight) and a virtual torque on the
 * pelvis (PD toward the reference orientation), realised as joint torques of the legs standing
 * on the ground by the Jacobian transpose (SIMBICON; Coros et al. 2010): joint j of a stance leg
 * applies τ = (c − p_j) × F + T to the part above it. Nothing pushes the body from outside; the
 * ground carries it through the feet. What the feet can transmit bounds it, not a clamp: the
 * force stays inside the friction cone, and each ankle's torque keeps the centre of pressure it
 * implies inside the sole (shrunk by a margin), so a foot is not asked to tip or slide.
 */
import {
  quatConjugate, quatMultiply, quatRotate, quatToRotationVector, type Quat, type Vec3,
} from '../geometry/quaternion.ts';
import { cross } from '../geometry/vec3.ts';
import type { HumanoidLayout } from './humanoid.ts';
import type { MassState } from './inverse-dynamics.ts';
import type { BodyState } from './sim.ts';

export interface BalanceOptions {
  /** PD of the virtual force on the centre of mass, as accelerations: 1/s² and 1/s. */
  comStiffness: number;
  comDamping: number;
  /** PD of the virtual torque on the pelvis orientation: 1/s² and 1/s, times `inertia` (kg·m²). */
  rotStiffness: number;
  rotDamping: number;
  inertia: number;
  /** Friction coefficient assumed for the friction cone (at most the simulated one). */
  friction: number;
  /** Share of the sole (heel to toe, side to side) the centre of pressure may use. */
  copMargin: number;
  /**
   * Keep the centre-of-mass target over the support polygon of the stance feet (shrunk by
   * `copMargin`): a reference that leans its mass past the feet asks for a fall.
   */
  supportTarget: boolean;
  /**
   * Share (0–1) of the difference between where the simulated stance feet stand and where the
   * reference's do that moves the centre-of-mass target with them (horizontally): balance over the
   * feet the body stands on, not toward the reference's place in the world.
   */
  feetRelative: number;
}

export const BALANCE_DEFAULTS: BalanceOptions = {
  comStiffness: 100, comDamping: 20,
  rotStiffness: 300, rotDamping: 30, inertia: 4,
  friction: 0.7,
  copMargin: 0.8,
  // Measured worse on the demo's kinematic reference (fell at 1.07 instead of 2.47 s): off.
  supportTarget: false,
  feetRelative: 0,
};

/** The balance layer's target at one instant: reference centre of mass, its velocity, pelvis orientation. */
export interface BalanceTarget {
  com: Vec3;
  comVel: Vec3;
  rootRot: Quat;
}

/** Thigh, shin, foot joint indices of each leg. */
export function legChains(layout: HumanoidLayout): [number[], number[]] {
  const idx = (n: string) => layout.skeleton.joints.findIndex((j) => j.name === n);
  return (['left', 'right'] as const).map((s) => [idx(`${s}_thigh`), idx(`${s}_shin`), idx(`${s}_foot`)]) as [number[], number[]];
}

/**
 * The virtual force and torque for this state, the force inside the friction cone (weight
 * support included: F_y ≥ 0, |F_h| ≤ μ F_y). `gravity` is the world's y acceleration.
 */
export function virtualWrench(state: BodyState, m: MassState, target: BalanceTarget, gravity: number, o: BalanceOptions): { force: Vec3; torque: Vec3 } {
  const c = m.bodyCom, v = m.bodyComVel;
  const f: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) f[i] = m.mass * (o.comStiffness * (target.com[i]! - c[i]!) + o.comDamping * (target.comVel[i]! - v[i]!));
  f[1] -= m.mass * gravity;
  f[1] = Math.max(0, f[1]);
  const h = Math.hypot(f[0], f[2]), hMax = o.friction * f[1];
  if (h > hMax) { f[0] *= hMax / h; f[2] *= hMax / h; }
  const p = state.pose, w = state.velocity;
  const q: Quat = [p[3]!, p[4]!, p[5]!, p[6]!];
  const e = quatToRotationVector(quatMultiply(target.rootRot, quatConjugate(q)));
  const torque: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) torque[i] = o.inertia * (o.rotStiffness * e[i]! - o.rotDamping * w[3 + i]!);
  return { force: f, torque };
}

/**
 * The target with its centre of mass moved horizontally by `weight` × the stance feet's offset
 * from the reference's (ankles, weighted by each leg's share); `refFeet` holds left then right ankle.
 */
export function feetRelativeTarget(
  state: BodyState, chains: [number[], number[]], shares: [number, number], refFeet: ArrayLike<number>, target: BalanceTarget, weight: number,
): BalanceTarget {
  const total = shares[0] + shares[1];
  if (!(weight > 0) || !(total > 0)) return target;
  const p = state.pose;
  const com: Vec3 = [...target.com];
  for (let s = 0; s < 2; s++) {
    const a = chains[s]![2]! * 7, w = (weight * shares[s]!) / total;
    com[0] += w * (p[a]! - refFeet[s * 3]!);
    com[2] += w * (p[a + 2]! - refFeet[s * 3 + 2]!);
  }
  return { ...target, com };
}

/**
 * Share of the virtual wrench each stance leg carries: all of it on a single stance leg; with
 * both down, split by where the centre of mass lies between the ankles.
 */
export function stanceShares(state: BodyState, m: MassState, chains: [number[], number[]], contacts: readonly [boolean, boolean]): [number, number] {
  if (!contacts[0] || !contacts[1]) return [contacts[0] ? 1 : 0, contacts[1] ? 1 : 0];
  const p = state.pose;
  const a = chains[0][2]! * 7, b = chains[1][2]! * 7;
  const dx = p[b]! - p[a]!, dz = p[b + 2]! - p[a + 2]!;
  const d2 = dx * dx + dz * dz;
  const u = d2 > 1e-6 ? Math.max(0, Math.min(1, ((m.bodyCom[0] - p[a]!) * dx + (m.bodyCom[2] - p[a + 2]!) * dz) / d2)) : 0.5;
  return [1 - u, u];
}

/**
 * Adds the stance legs' share of the virtual wrench to `torques` (J × 3, torque on each
 * joint's child body, see inverse-dynamics.ts), the ankle's limited by the centre of pressure.
 */
export function addStanceTorques(
  layout: HumanoidLayout, state: BodyState, m: MassState, chains: [number[], number[]], shares: [number, number],
  wrench: { force: Vec3; torque: Vec3 }, o: BalanceOptions, torques: Float64Array,
): void {
  const p = state.pose;
  const sole = layout.sole;
  for (let s = 0; s < 2; s++) {
    const share = shares[s]!;
    if (share <= 0) continue;
    const F: Vec3 = [wrench.force[0] * share, wrench.force[1] * share, wrench.force[2] * share];
    const T: Vec3 = [wrench.torque[0] * share, wrench.torque[1] * share, wrench.torque[2] * share];
    for (const j of chains[s]) {
      const r: Vec3 = [m.bodyCom[0] - p[j * 7]!, m.bodyCom[1] - p[j * 7 + 1]!, m.bodyCom[2] - p[j * 7 + 2]!];
      const rf = cross(r, F);
      // Torque on the part above the joint (the parent); the child gets the opposite.
      let up: Vec3 = [rf[0] + T[0], rf[1] + T[1], rf[2] + T[2]];
      if (j === chains[s][2]) up = limitAnkle(up, F, [p[j * 7 + 3]!, p[j * 7 + 4]!, p[j * 7 + 5]!, p[j * 7 + 6]!], sole, o);
      torques[j * 3]! -= up[0]; torques[j * 3 + 1]! -= up[1]; torques[j * 3 + 2]! -= up[2];
    }
  }
}

/**
 * The ankle torque (on the leg above the foot, world) with the centre of pressure it implies
 * kept on the sole: for a static foot loaded by G (foot frame), the ground's moment about the
 * ankle, r × G with r = (x, −h, z), equals that torque; x and z are clamped to the sole.
 */
function limitAnkle(tau: Vec3, force: Vec3, footRot: Quat, sole: HumanoidLayout['sole'], o: BalanceOptions): Vec3 {
  const inv = quatConjugate(footRot);
  const t = quatRotate(inv, tau), G = quatRotate(inv, force);
  const N = G[1], h = sole.ankleHeight;
  if (!(N > 1e-6)) return [0, 0, 0];
  const z = Math.max(sole.heel * o.copMargin, Math.min(sole.toe * o.copMargin, (-t[0] - h * G[2]) / N));
  const x = Math.max(-sole.halfWidth * o.copMargin, Math.min(sole.halfWidth * o.copMargin, (t[2] - h * G[0]) / N));
  // Twisting the foot on the ground: bounded by friction over the sole's half width.
  const yMax = o.friction * N * sole.halfWidth;
  const limited: Vec3 = [-h * G[2] - z * N, Math.max(-yMax, Math.min(yMax, t[1])), x * N + h * G[0]];
  return quatRotate(footRot, limited);
}

export type P2 = [number, number];

/** Convex hull (x, z) of points, counter-clockwise (Andrew's monotone chain). */
export function hull(points: P2[]): P2[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const turn = (o: P2, a: P2, b: P2) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: P2[] = [], upper: P2[] = [];
  for (const q of p) { while (lower.length >= 2 && turn(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop(); lower.push(q); }
  for (const q of p.reverse()) { while (upper.length >= 2 && turn(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop(); upper.push(q); }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** The point of a counter-clockwise convex polygon nearest to q (q itself when inside). */
export function nearestInside(poly: P2[], q: P2): P2 {
  if (poly.length === 0) return q;
  let inside = poly.length >= 3, best: P2 = poly[0]!, bestD = Infinity;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!, b = poly[(i + 1) % poly.length]!;
    const ex = b[0] - a[0], ez = b[1] - a[1];
    if (ex * (q[1] - a[1]) - ez * (q[0] - a[0]) < 0) inside = false;
    const len2 = ex * ex + ez * ez;
    const t = len2 > 0 ? Math.max(0, Math.min(1, ((q[0] - a[0]) * ex + (q[1] - a[1]) * ez) / len2)) : 0;
    const c: P2 = [a[0] + t * ex, a[1] + t * ez];
    const d = (c[0] - q[0]) ** 2 + (c[1] - q[1]) ** 2;
    if (d < bestD) { bestD = d; best = c; }
  }
  return inside ? q : best;
}

/**
 * The balance target with its centre of mass moved (horizontally) into the support polygon of
 * the stance feet — their soles' corners, shrunk toward each sole's centre by `copMargin`.
 */
export function supportedTarget(
  layout: HumanoidLayout, state: BodyState, chains: [number[], number[]], contacts: readonly [boolean, boolean], target: BalanceTarget, o: BalanceOptions,
): BalanceTarget {
  const sole = layout.sole, p = state.pose;
  const corners: P2[] = [];
  for (let s = 0; s < 2; s++) {
    if (!contacts[s]) continue;
    const f = chains[s]![2]! * 7;
    const q: Quat = [p[f + 3]!, p[f + 4]!, p[f + 5]!, p[f + 6]!];
    const mid = (sole.heel + sole.toe) / 2, half = ((sole.toe - sole.heel) / 2) * o.copMargin, w = sole.halfWidth * o.copMargin;
    for (const z of [mid - half, mid + half]) {
      for (const x of [-w, w]) {
        const c = quatRotate(q, [x, -sole.ankleHeight, z]);
        corners.push([p[f]! + c[0], p[f + 2]! + c[2]]);
      }
    }
  }
  if (corners.length === 0) return target;
  const [x, z] = nearestInside(hull(corners), [target.com[0], target.com[2]]);
  return { ...target, com: [x, target.com[1], z] };
}
