import { describe, expect, it } from 'vitest';
import { LANDMARK_INDEX } from '../../src/formats/landmarks.ts';
import { BODY_LANDMARKS, landmarkViewError2, rootViewError2 } from '../../src/physics/view-error.ts';

describe('the error as one camera sees it', () => {
  const camera = [0, 1.5, 4];
  it('weighs an error along the camera ray by depthWeight and one across it in full', () => {
    const ref = [0, 1.5, 0];
    // The ray from the camera to the reference runs along −z.
    expect(rootViewError2([0, 1.5, 0.3], ref, camera, 0.1)).toBeCloseTo(0.1 * 0.09, 12);
    expect(rootViewError2([0.3, 1.5, 0], ref, camera, 0.1)).toBeCloseTo(0.09, 12);
    expect(rootViewError2([0, 1.5, 0.3], ref, camera, 1)).toBeCloseTo(0.09, 12);
    expect(rootViewError2([0, 1.5, 0.3], ref, undefined, 0.1)).toBeCloseTo(0.09, 12);
  });

  it('is the plain mean squared landmark error at depthWeight 1, and discounts a whole body moved along the ray', () => {
    const ref = Array.from({ length: 99 }, (_, i) => Math.sin(i) * 0.3);
    const moved = ref.map((v, i) => v + (i % 3 === 2 ? 0.4 : 0));
    const plain = landmarkViewError2(moved, 0, ref, 0, camera, 1);
    expect(plain).toBeCloseTo(0.16, 12);
    const seen = landmarkViewError2(moved, 0, ref, 0, camera, 0.1);
    expect(seen).toBeLessThan(0.3 * plain);
    // A pose error about the pelvis counts in full whatever the weight.
    const bent = ref.map((v, i) => (i === 0 ? v + 0.33 : v));
    expect(landmarkViewError2(bent, 0, ref, 0, camera, 0.1)).toBeCloseTo(landmarkViewError2(bent, 0, ref, 0, camera, 1), 12);
  });

  it('scores the 17 body landmarks alone when told: a face point moved changes nothing, a knee moved counts over 17', () => {
    const ref = Array.from({ length: 99 }, (_, i) => Math.cos(i) * 0.3);
    const eye = ref.map((v, i) => (i === LANDMARK_INDEX.left_eye * 3 ? v + 0.2 : v));
    expect(BODY_LANDMARKS).toHaveLength(17);
    expect(landmarkViewError2(eye, 0, ref, 0, camera, 1, BODY_LANDMARKS)).toBe(0);
    expect(landmarkViewError2(eye, 0, ref, 0, camera, 1)).toBeCloseTo(0.04 / 33, 12);
    const knee = ref.map((v, i) => (i === LANDMARK_INDEX.left_knee * 3 ? v + 0.2 : v));
    expect(landmarkViewError2(knee, 0, ref, 0, camera, 1, BODY_LANDMARKS)).toBeCloseTo(0.04 / 17, 12);
  });

  it('weighs the pelvis\'s place by rootWeight and the pose about it in full', () => {
    const ref = Array.from({ length: 99 }, (_, i) => Math.sin(2 * i) * 0.3);
    // The whole body moved 0.2 m sideways: all of it is the pelvis's error, weighted 0.3.
    const across = ref.map((v, i) => (i % 3 === 0 ? v + 0.2 : v));
    const full = landmarkViewError2(across, 0, ref, 0, camera, 0.1);
    expect(full).toBeGreaterThan(0.02);
    expect(landmarkViewError2(across, 0, ref, 0, camera, 0.1, undefined, 0.3)).toBeCloseTo(0.3 * full, 12);
    expect(landmarkViewError2(across, 0, ref, 0, undefined, 1, undefined, 0.3)).toBeCloseTo(0.3 * 0.04, 12);
    const bent = ref.map((v, i) => (i === LANDMARK_INDEX.left_wrist * 3 ? v + 0.33 : v));
    expect(landmarkViewError2(bent, 0, ref, 0, camera, 0.1, undefined, 0.3)).toBeCloseTo(landmarkViewError2(bent, 0, ref, 0, camera, 0.1), 12);
  });
});
