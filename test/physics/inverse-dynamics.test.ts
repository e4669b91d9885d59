import { describe, expect, it } from 'vitest';
import { forwardKinematics } from '../../src/body/fk.ts';
import { squatMotion, standingMotion } from '../../src/body/procedural.ts';
import { controlReference, referenceSlice } from '../../src/physics/control-reference.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import type { HumanoidLayout } from '../../src/physics/humanoid.ts';
import { addGravityCompensation, addInertialFeedForward, createMassState, massState } from '../../src/physics/inverse-dynamics.ts';
import type { BodyState } from '../../src/physics/sim.ts';

const skel = createSkeleton();
const J = skel.joints.length;
// The layers read the skeleton, masses and body centres of mass only.
const layout = {
  skeleton: skel, bodies: skel.joints.map(() => 0),
  masses: skel.joints.map((_, i) => 2 + (i % 5)), coms: skel.joints.map((_, i) => [0.01 * (i % 3), -0.05, 0.02] as [number, number, number]),
} as unknown as HumanoidLayout;

function stateOf(frame: number): BodyState {
  const w = forwardKinematics(skel, squatMotion(skel, { seconds: 1, fps: 30, depth: 0.5 })[frame]!);
  const pose = new Float64Array(J * 7);
  w.positions.forEach((p, j) => { pose.set(p, j * 7); pose.set(w.rotations[j]!, j * 7 + 3); });
  return { pose, velocity: new Float64Array(J * 6) };
}

describe('inertial feed-forward', () => {
  it('equals gravity compensation when every body accelerates up at g (the same subtree moments)', () => {
    const state = stateOf(15);
    const m = massState(layout, state, createMassState(layout));
    const skip = skel.joints.map((j) => j.name === 'left_shin');
    const gravity = new Float64Array(J * 3), inertial = new Float64Array(J * 3);
    addGravityCompensation(layout, state, m, -9.81, skip, gravity);
    addInertialFeedForward(layout, state, m, new Float64Array(J * 3).map((_, c) => (c % 3 === 1 ? 9.81 : 0)), 1, skip, inertial, new Float64Array(J * 6));
    for (let c = 0; c < J * 3; c++) expect(inertial[c]).toBeCloseTo(gravity[c]!, 9);
    // Skipped joints get nothing; the others something.
    const shin = skel.joints.findIndex((j) => j.name === 'left_shin');
    expect([inertial[shin * 3], inertial[shin * 3 + 1], inertial[shin * 3 + 2]]).toEqual([0, 0, 0]);
    expect(Math.hypot(inertial[3]!, inertial[4]!, inertial[5]!)).toBeGreaterThan(1);
  });

  it('scales with its share and gives a lone accelerating leaf body m·(c − p) × a at its joint', () => {
    const state = stateOf(10);
    const m = massState(layout, state, createMassState(layout));
    const leaf = J - 1;
    const acc = new Float64Array(J * 3);
    acc.set([1, 2, 3], leaf * 3);
    const half = new Float64Array(J * 3), full = new Float64Array(J * 3);
    const none = skel.joints.map(() => false);
    addInertialFeedForward(layout, state, m, acc, 0.5, none, half, new Float64Array(J * 6));
    addInertialFeedForward(layout, state, m, acc, 1, none, full, new Float64Array(J * 6));
    const r = [0, 1, 2].map((c) => m.com[leaf * 3 + c]! - state.pose[leaf * 7 + c]!);
    const f = [1, 2, 3].map((v) => v * layout.masses[leaf]!);
    const expected = [r[1]! * f[2]! - r[2]! * f[1]!, r[2]! * f[0]! - r[0]! * f[2]!, r[0]! * f[1]! - r[1]! * f[0]!];
    for (let c = 0; c < 3; c++) {
      expect(full[leaf * 3 + c]).toBeCloseTo(expected[c]!, 9);
      expect(half[leaf * 3 + c]).toBeCloseTo(expected[c]! / 2, 9);
    }
  });

  it('reads each body\'s acceleration from the reference: a body sliding at 0.5 m/s² reads 0.5 at every frame, and a slice past the end holds still', () => {
    const fps = 30;
    const motion = standingMotion(skel, { seconds: 1, fps }).map((p, k) => {
      const t = k / fps;
      return { ...p, rootPosition: [p.rootPosition[0] + 0.25 * t * t, p.rootPosition[1], p.rootPosition[2]] as [number, number, number] };
    });
    const ref = controlReference(layout, motion, fps);
    expect(ref.bodyAcc).toHaveLength(motion.length * J * 3);
    for (let k = 0; k < motion.length; k++) {
      for (let i = 0; i < J; i++) {
        expect(ref.bodyAcc[(k * J + i) * 3]).toBeCloseTo(0.5, 6);
        expect(ref.bodyAcc[(k * J + i) * 3 + 1]).toBeCloseTo(0, 6);
      }
    }
    const tail = referenceSlice(ref, motion.length - 2, 4);
    expect(tail.bodyAcc[J * 3]).toBeCloseTo(0.5, 6);
    expect(tail.bodyAcc[2 * J * 3]).toBe(0);
  });
});
