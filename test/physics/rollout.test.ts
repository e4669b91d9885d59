import { beforeAll, describe, expect, it } from 'vitest';
import { angleCount, anglesFromPose, createSkeleton } from '../../src/body/index.ts';
import { squatPose } from '../../src/body/procedural.ts';
import { hermite } from '../../src/physics/rollout.ts';
import {
  HumanoidSim, humanoidSnapshot, loadRapier, rootGains, rolloutWith, type HumanoidLayout, type Rapier, type RolloutSpec,
} from '../../src/physics/index.ts';

describe('Catmull-Rom PD targets (hermite)', () => {
  const knots = [0.3, -0.1, 0.4, 0.9, 0.2, -0.5];
  const tangent = (i: number) => (knots[i + 1]! - knots[i - 1]!) / 2;

  it('passes through the knots and joins segments with equal slopes', () => {
    for (let i = 1; i + 2 < knots.length; i++) {
      const [start] = hermite(knots[i]!, tangent(i), knots[i + 1]!, tangent(i + 1), 0);
      const [end, slopeEnd] = hermite(knots[i]!, tangent(i), knots[i + 1]!, tangent(i + 1), 1);
      expect(start).toBeCloseTo(knots[i]!, 12);
      expect(end).toBeCloseTo(knots[i + 1]!, 12);
      if (i + 3 < knots.length) {
        const [, slopeNext] = hermite(knots[i + 1]!, tangent(i + 1), knots[i + 2]!, tangent(i + 2), 0);
        expect(slopeEnd).toBeCloseTo(slopeNext, 12);
      }
    }
  });

  it('reproduces a straight line (equally spaced knots) exactly, value and slope', () => {
    for (const t of [0, 0.25, 0.5, 0.9]) {
      const [v, dv] = hermite(1, 0.5, 1.5, 0.5, t);
      expect(v).toBeCloseTo(1 + 0.5 * t, 12);
      expect(dv).toBeCloseTo(0.5, 12);
    }
  });
});

describe('rollout options: closed-loop root, splines, look-ahead snapshots', () => {
  const skel = createSkeleton();
  const D = angleCount(skel);
  const K = 6;
  let R: Rapier;
  let snapshot: Uint8Array;
  let layout: HumanoidLayout;
  beforeAll(async () => {
    R = await loadRapier();
    ({ snapshot, layout } = await humanoidSnapshot(skel, { pose: squatPose(skel, 0) }));
  }, 60_000);

  /** Standing targets with a root reference displaced `dx` metres sideways. */
  const standing = (dx: number, horizontal?: number): RolloutSpec => {
    const pose = squatPose(skel, 0);
    const targets = new Float64Array((K + 1) * D);
    const positions = new Float64Array((K + 1) * 3), rotations = new Float64Array((K + 1) * 4);
    for (let k = 0; k <= K; k++) {
      targets.set(anglesFromPose(skel, pose), k * D);
      positions.set([pose.rootPosition[0] + dx, pose.rootPosition[1], pose.rootPosition[2]], k * 3);
      rotations.set(pose.rootRotation, k * 4);
    }
    return { targets, stepsPerControl: 4, intervals: K, rootReference: { positions, rotations, interval: 1 / 30, gains: { ...rootGains(skel.mass), horizontal } } };
  };
  const rootX = (spec: RolloutSpec) => {
    const r = rolloutWith(R, layout, snapshot, spec);
    expect(r.blowUp).toBeNull();
    return r.bodies[(r.frames - 1) * layout.bodies.length * 7]!;
  };

  it('scales only the horizontal root force with `horizontal`', () => {
    const x0 = squatPose(skel, 0).rootPosition[0];
    const full = rootX(standing(0.1)) - x0;
    const none = rootX(standing(0.1, 0)) - x0;
    const still = rootX(standing(0, 0)) - x0;
    // The full-gain PD pulls the pelvis several cm toward the displaced reference in 0.2 s;
    // without horizontal gains it stays where standing leaves it.
    expect(full).toBeGreaterThan(0.03);
    expect(Math.abs(none - still)).toBeLessThan(0.002);
  });

  it('with spline ends through constant knots, holds the same pose as linear targets', () => {
    const linear = rolloutWith(R, layout, snapshot, standing(0));
    const pose = anglesFromPose(skel, squatPose(skel, 0));
    const spline = rolloutWith(R, layout, snapshot, { ...standing(0), splineEnds: { before: Float64Array.from(pose), after: Float64Array.from(pose) } });
    expect(spline.frames).toBe(linear.frames);
    for (let i = 0; i < linear.landmarks.length; i++) expect(Math.abs(spline.landmarks[i]! - linear.landmarks[i]!)).toBeLessThan(1e-6);
  });

  it('with snapshotAfter, returns the state after that many intervals: continuing from it reproduces the later frames', () => {
    // Constant targets and reference: every interval is driven the same way, so the last
    // K − m intervals of one rollout are a rollout of K − m intervals from its state after m.
    const m = 2;
    const long = rolloutWith(R, layout, snapshot, { ...standing(0.05), endSnapshot: true, snapshotAfter: m });
    expect(long.frames).toBe(K);
    expect(long.endSnapshot).toBeDefined();
    // The same constant drive for the K − m remaining intervals.
    const full = standing(0.05);
    const ref = full.rootReference!;
    const n = K - m;
    const tail: RolloutSpec = {
      ...full, targets: full.targets.slice(0, (n + 1) * D), intervals: n,
      rootReference: { ...ref, positions: ref.positions.slice(0, (n + 1) * 3), rotations: ref.rotations.slice(0, (n + 1) * 4) },
    };
    const rest = rolloutWith(R, layout, long.endSnapshot!, tail);
    expect(rest.frames).toBe(K - m);
    let worst = 0;
    for (let i = 0; i < rest.landmarks.length; i++) worst = Math.max(worst, Math.abs(rest.landmarks[i]! - long.landmarks[m * 99 + i]!));
    expect(worst).toBeLessThan(1e-9);
    // The end state is a different one: continuing from it does not match.
    const end = rolloutWith(R, layout, snapshot, { ...standing(0.05), endSnapshot: true });
    const fromEnd = rolloutWith(R, layout, end.endSnapshot!, tail);
    let differs = 0;
    for (let i = 0; i < fromEnd.landmarks.length; i++) differs = Math.max(differs, Math.abs(fromEnd.landmarks[i]! - long.landmarks[m * 99 + i]!));
    expect(differs).toBeGreaterThan(1e-4);
  });

  it('measures the residual wrench and the ground forces per interval: none without a root PD, the weight on the feet standing', () => {
    const spec = standing(0);
    const free = rolloutWith(R, layout, snapshot, { ...spec, rootReference: undefined });
    const held = rolloutWith(R, layout, snapshot, standing(0.05));
    for (const r of [free, held]) {
      expect(r.blowUp).toBeNull();
      expect(r.residualWrench).toHaveLength(r.frames * 6);
      expect(r.residualMagnitude).toHaveLength(r.frames * 2);
      expect(r.groundForce).toHaveLength(r.frames * 3);
    }
    // No external force at all without a root PD or wrench, read step by step from the rollout.
    expect(Array.from(free.residualWrench).every((v) => v === 0)).toBe(true);
    expect(Array.from(free.residualMagnitude).every((v) => v === 0)).toBe(true);
    // Standing still on both feet, the ground carries the weight of the simulated body (its feet
    // are heavier than the skeleton's): the mass Rapier simulates, within 3 % once settled.
    const massKg = HumanoidSim.massOf(R, layout, snapshot);
    const last = (free.frames - 1) * 3;
    const total = free.groundForce[last]! + free.groundForce[last + 1]! + free.groundForce[last + 2]!;
    expect(Math.abs(total / (massKg * 9.81) - 1)).toBeLessThan(0.03);
    expect(free.groundForce[last]!).toBeGreaterThan(0.2 * total);
    expect(free.groundForce[last + 1]!).toBeGreaterThan(0.2 * total);
    // With the root PD pulling sideways, its force is measured: the per-interval means of |F|
    // average to the rollout's mean over all steps (equal steps per interval), and point toward +x.
    let sum = 0;
    for (let k = 0; k < held.frames; k++) sum += held.residualMagnitude[k * 2]!;
    expect(sum / held.frames).toBeCloseTo(held.residualForce, 9);
    expect(held.residualForce).toBeGreaterThan(1);
    expect(held.residualWrench[0]!).toBeGreaterThan(0);
  });
});
