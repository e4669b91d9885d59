import { describe, expect, it } from 'vitest';
import { poseFromAngles } from '../../src/body/pose.ts';
import { angleCount, angleOffsets, createSkeleton, JOINT_INDEX } from '../../src/body/skeleton.ts';
import { landmarkPositions } from '../../src/body/fk.ts';
import { LANDMARK_INDEX } from '../../src/formats/landmarks.ts';
import { blendSeams, plantedFeetShift, shiftedPose } from '../../src/reconstruct/physics-reference.ts';

describe('restart seams', () => {
  const skel = createSkeleton({ height: 1.75 });
  const pose = (knee: number, x: number) => {
    const a = new Float64Array(angleCount(skel));
    a[angleOffsets(skel)[JOINT_INDEX.left_shin]!] = knee;
    return poseFromAngles(skel, [x, 1, 0], [0, 0, 0, 1], a);
  };
  // A motion that jumps after frame 9 from knee 0 / x 0 to the restart pose knee 0.5 / x 0.1.
  const motion = Array.from({ length: 16 }, (_, t) => (t <= 9 ? pose(0, 0) : pose(0.5, 0.1)));
  const knee = (p: ReturnType<typeof pose>) => landmarkPositions(skel, p)[LANDMARK_INDEX.left_ankle]!;

  it('blends the n frames before a seam into the restart pose and leaves the rest alone', () => {
    const out = blendSeams(skel, motion, [9], () => pose(0.5, 0.1), 4);
    for (let t = 0; t <= 5; t++) expect(out[t]).toEqual(motion[t]);
    for (let t = 10; t < 16; t++) expect(out[t]).toEqual(motion[t]);
    const end = knee(out[9]!), goal = knee(pose(0.5, 0.1));
    for (let c = 0; c < 3; c++) expect(end[c]!).toBeCloseTo(goal[c]!, 9);
    // The jump is spread: the largest frame-to-frame move is well under the raw one.
    const step = (m: typeof motion, t: number) => Math.hypot(...[0, 1, 2].map((c) => knee(m[t + 1]!)[c]! - knee(m[t]!)[c]!));
    const raw = step(motion, 9);
    const blended = Math.max(...Array.from({ length: 15 }, (_, t) => step(out, t)));
    expect(blended).toBeLessThan(0.6 * raw);
  });

  it('keeps the motion as it is with n = 0 or no seams', () => {
    expect(blendSeams(skel, motion, [9], () => pose(0.5, 0.1), 0)).toBe(motion);
    expect(blendSeams(skel, motion, [], () => pose(0.5, 0.1), 4)).toBe(motion);
  });
});

describe('restart shift (planted feet kept in place)', () => {
  const skel = createSkeleton({ height: 1.75 });
  const standing = poseFromAngles(skel, [0, 0.95, 0], [0, 0, 0, 1], new Float64Array(angleCount(skel)));
  const kin = landmarkPositions(skel, standing);

  it('moves the kinematic pose so that its planted feet land on the simulated ones', () => {
    // The simulated body stands 11 cm further along x and 4 cm back along z.
    const sim = landmarkPositions(skel, shiftedPose(standing, [0.11, 0, -0.04]));
    for (const contacts of [[true, false], [false, true], [true, true]] as const) {
      const d = plantedFeetShift(sim, kin, contacts)!;
      expect(d[0]).toBeCloseTo(0.11, 9);
      expect(d[1]).toBe(0);
      expect(d[2]).toBeCloseTo(-0.04, 9);
      const moved = landmarkPositions(skel, shiftedPose(standing, d));
      for (const j of [LANDMARK_INDEX.left_heel, LANDMARK_INDEX.right_foot_index]) {
        for (let c = 0; c < 3; c++) expect(moved[j]![c]).toBeCloseTo(sim[j]![c]!, 9);
      }
    }
  });

  it('follows only the planted foot, and does not shift without one', () => {
    // Only the left foot moved (a step): with the right foot planted, no shift.
    const sim = kin.map((p) => [...p] as [number, number, number]);
    for (const j of [LANDMARK_INDEX.left_heel, LANDMARK_INDEX.left_foot_index]) sim[j]![0] += 0.3;
    expect(plantedFeetShift(sim, kin, [false, true])).toEqual([0, 0, 0]);
    expect(plantedFeetShift(sim, kin, [true, false])![0]).toBeCloseTo(0.3, 9);
    expect(plantedFeetShift(sim, kin, [false, false])).toBeUndefined();
    expect(shiftedPose(standing, undefined)).toBe(standing);
  });
});
