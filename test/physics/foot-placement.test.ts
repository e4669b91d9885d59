import { describe, expect, it } from 'vitest';
import { quatFromRotationVector, quatMultiply, quatToRotationVector, type Vec3 } from '../../src/geometry/quaternion.ts';
import { FOOT_PLACEMENT_DEFAULTS, swingHipTurn, turnMotorTarget } from '../../src/physics/foot-placement.ts';
import type { MassState } from '../../src/physics/inverse-dynamics.ts';

/** A body state of 8 bodies: pelvis 0, left thigh 1 / foot 3, right thigh 4 / foot 6, upright pelvis. */
function state(bodies: Record<number, Vec3>) {
  const pose = new Float64Array(8 * 7);
  for (let j = 0; j < 8; j++) pose[j * 7 + 6] = 1;
  for (const [j, p] of Object.entries(bodies)) pose.set(p, Number(j) * 7);
  return { pose, velocity: new Float64Array(8 * 6) };
}
const chains = [[1, 2, 3], [4, 5, 6]];
const mass = (com: Vec3, vel: Vec3 = [0, 0, 0]) => ({ bodyCom: com, bodyComVel: vel, mass: 70 }) as unknown as MassState;

describe('swing-foot placement feedback', () => {
  // Left foot stands at the origin, right leg swings from its hip at (−0.1, 0.9, 0) to its ankle below.
  const s = state({ 0: [0, 1, 0], 1: [0.1, 0.9, 0], 3: [0.1, 0.05, 0], 4: [-0.1, 0.9, 0], 6: [-0.1, 0.1, 0] });
  const refFeet = [0.1, 0.05, 0, -0.1, 0.1, 0];

  it('turns the swing hip to move the swing foot forward when the centre of mass runs ahead of the reference over the stance foot', () => {
    // The reference's centre of mass stands over its stance foot; the body's is 0.1 m ahead (+z).
    const r = swingHipTurn(s, mass([0.1, 0.9, 0.1]), chains, [true, false], { com: [0.1, 0.9, 0], comVel: [0, 0, 0], feet: refFeet }, { ...FOOT_PLACEMENT_DEFAULTS, velocityGain: 0 })!;
    expect(r.side).toBe(1);
    // A turn about −x moves a leg hanging down (−y) forward (+z): δ × leg.
    const leg: Vec3 = [0, -0.8, 0];
    const moved = [r.turn[1] * leg[2] - r.turn[2] * leg[1], r.turn[2] * leg[0] - r.turn[0] * leg[2], r.turn[0] * leg[1] - r.turn[1] * leg[0]];
    expect(moved[2]).toBeCloseTo(0.1, 6);
    expect(Math.abs(moved[0])).toBeLessThan(1e-9);
  });

  it('does nothing in double support, in flight, or where the body matches its reference', () => {
    const ref = { com: [0.1, 0.9, 0.1] as Vec3, comVel: [0, 0, 0] as Vec3, feet: refFeet };
    expect(swingHipTurn(s, mass([0.1, 0.9, 0.1]), chains, [true, true], ref, FOOT_PLACEMENT_DEFAULTS)).toBeNull();
    expect(swingHipTurn(s, mass([0.1, 0.9, 0.1]), chains, [false, false], ref, FOOT_PLACEMENT_DEFAULTS)).toBeNull();
    const same = swingHipTurn(s, mass([0.1, 0.9, 0.1]), chains, [true, false], ref, FOOT_PLACEMENT_DEFAULTS)!;
    expect(Math.hypot(...same.turn)).toBeLessThan(1e-12);
  });

  it('bounds the turn', () => {
    const r = swingHipTurn(s, mass([0.1, 0.9, 2]), chains, [true, false], { com: [0.1, 0.9, 0], comVel: [0, 0, 0], feet: refFeet }, FOOT_PLACEMENT_DEFAULTS)!;
    expect(Math.hypot(...r.turn)).toBeCloseTo(FOOT_PLACEMENT_DEFAULTS.maxAngle, 9);
  });

  it('turns a spherical motor target by a rotation in its parent frame', () => {
    const q = quatFromRotationVector([0.3, -0.2, 0.1]);
    const pos = Float64Array.from([q[0], q[1], q[2]].map((x) => 2 * Math.asin(x)));
    const turn: Vec3 = [-0.1, 0.05, 0.02];
    turnMotorTarget(pos, 0, turn);
    const want = quatMultiply(quatFromRotationVector(turn), q);
    const got = [0, 1, 2].map((i) => Math.sin(pos[i]! / 2));
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(want[i]! * Math.sign(want[3]), 12);
    expect(quatToRotationVector(want)[0]).toBeLessThan(0.3);
  });
});
