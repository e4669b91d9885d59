/**
 * Swing-foot placement feedback (SIMBICON, Yin et al. 2007; relative to a reference motion as in
 * Coros et al. 2010): in single support, where the centre of mass stands over the stance foot and
 * how fast it moves, against the same in the reference, says where the swing foot should land to
 * catch the body; the swing hip's PD target is turned by what moves the swing ankle there. Only
 * relative quantities enter, so a body that lags its reference along the camera ray places its
 * feet for its own centre of mass, not for the reference's place.
 */
import { quatConjugate, quatFromRotationVector, quatMultiply, quatRotate, type Quat, type Vec3 } from '../geometry/quaternion.ts';
import { cross } from '../geometry/vec3.ts';
import type { MassState } from './inverse-dynamics.ts';
import type { BodyState } from './sim.ts';

export interface FootPlacementOptions {
  /** Share of the centre of mass's horizontal error relative to the stance ankle (m) added to where the swing foot lands. */
  positionGain: number;
  /** Seconds of the centre of mass's horizontal velocity error (m/s) added likewise (√(h/g) ≈ 0.3 s is the capture point's). */
  velocityGain: number;
  /** Largest turn of the swing hip (rad): a body far off is caught by the search, not by one stride. */
  maxAngle: number;
}

export const FOOT_PLACEMENT_DEFAULTS: FootPlacementOptions = { positionGain: 1, velocityGain: 0.3, maxAngle: 0.3 };

/** The reference at one instant, as the placement reads it. */
export interface PlacementReference {
  com: Vec3;
  comVel: Vec3;
  /** Left then right ankle positions (6 values). */
  feet: ArrayLike<number>;
}

/**
 * The turn (rotation vector in the pelvis's frame) to add to the swing thigh's PD target, and
 * which leg swings; null unless exactly one foot stands. `chains` are each leg's thigh, shin and
 * foot body indices (balance.ts legChains); body 0 is the pelvis.
 */
export function swingHipTurn(
  state: BodyState, m: MassState, chains: readonly (readonly number[])[], contacts: readonly [boolean, boolean], ref: PlacementReference, o: FootPlacementOptions,
): { side: number; turn: Vec3 } | null {
  if (contacts[0] === contacts[1]) return null;
  const stance = contacts[0] ? 0 : 1, swing = 1 - stance;
  const p = state.pose;
  const a = chains[stance]![2]! * 7;
  const c = m.bodyCom, v = m.bodyComVel;
  const shift: Vec3 = [0, 0, 0];
  for (const i of [0, 2]) {
    const d = (c[i]! - p[a + i]!) - (ref.com[i]! - ref.feet[stance * 3 + i]!);
    shift[i] = o.positionGain * d + o.velocityGain * (v[i]! - ref.comVel[i]!);
  }
  const hip = chains[swing]![0]! * 7, ankle = chains[swing]![2]! * 7;
  const leg: Vec3 = [p[ankle]! - p[hip]!, p[ankle + 1]! - p[hip + 1]!, p[ankle + 2]! - p[hip + 2]!];
  const l2 = leg[0] * leg[0] + leg[1] * leg[1] + leg[2] * leg[2];
  if (!(l2 > 1e-6)) return null;
  // A turn δ moves the ankle by δ × leg; δ = leg × shift / |leg|² gives the shift's part across the leg.
  const turn = cross(leg, shift).map((x) => x / l2) as Vec3;
  const n = Math.hypot(turn[0], turn[1], turn[2]);
  if (n > o.maxAngle) for (let i = 0; i < 3; i++) turn[i]! *= o.maxAngle / n;
  const pelvis: Quat = [p[3]!, p[4]!, p[5]!, p[6]!];
  return { side: swing, turn: quatRotate(quatConjugate(pelvis), turn) };
}

/**
 * Turns a spherical joint's motor target (three coordinates 2·asin(q_i), sim.ts anglesToMotor)
 * by the rotation vector `turn` in its parent's frame, in place at `pos[at…at+2]`.
 */
export function turnMotorTarget(pos: Float64Array, at: number, turn: Vec3): void {
  const x = Math.sin(pos[at]! / 2), y = Math.sin(pos[at + 1]! / 2), z = Math.sin(pos[at + 2]! / 2);
  const q: Quat = [x, y, z, Math.sqrt(Math.max(0, 1 - x * x - y * y - z * z))];
  const r = quatMultiply(quatFromRotationVector(turn), q);
  const s = r[3] < 0 ? -1 : 1;
  for (let i = 0; i < 3; i++) pos[at + i] = 2 * Math.asin(Math.max(-1, Math.min(1, s * r[i]!)));
}
