import { describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { poseFromAngles } from '../../src/body/pose.ts';
import { angleCount, angleOffsets, createSkeleton, JOINT_INDEX } from '../../src/body/skeleton.ts';
import { LANDMARK_INDEX as L } from '../../src/formats/landmarks.ts';
import { quatFromRotationVector, type Vec3 } from '../../src/geometry/quaternion.ts';
import { Rng } from '../../src/random.ts';
import { bodyAngles } from '../../src/reconstruct/kinematic.ts';
import { widenedLimits } from '../../src/reconstruct/kinematic-loss.ts';
import { gaussianKernel, rootFromLandmarks, smoothFrames, type Scene } from '../../src/reconstruct/scene.ts';

const LIMBS = ['left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
  'left_knee', 'right_knee', 'left_ankle', 'right_ankle', 'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index'] as const;

describe('analytic first guess of the joint angles', () => {
  const skel = createSkeleton({ height: 1.7 });
  const scene = { skel } as unknown as Scene;
  const D = angleCount(skel);
  const off = angleOffsets(skel);

  /** A random pose with bent limbs, the trunk bend shared equally by spine and chest (as the guess assumes). */
  function randomPose(rng: Rng) {
    const a = new Array<number>(D).fill(0);
    const set = (joint: keyof typeof JOINT_INDEX, v: number[]) => v.forEach((x, i) => { a[off[JOINT_INDEX[joint]]! + i] = x; });
    const trunk = [rng.uniform(-0.2, 0.4), rng.uniform(-0.3, 0.3), rng.uniform(-0.2, 0.2)];
    set('spine', trunk); set('chest', trunk);
    set('left_upper_arm', [rng.uniform(-0.8, 0.8), rng.uniform(-1.2, 0.3), rng.uniform(-1.2, 0.5)]);
    set('right_upper_arm', [rng.uniform(-0.8, 0.8), rng.uniform(-0.3, 1.2), rng.uniform(-0.5, 1.2)]);
    set('left_forearm', [rng.uniform(0.3, 2)]); set('right_forearm', [rng.uniform(0.3, 2)]);
    for (const s of ['left', 'right'] as const) {
      set(`${s}_thigh`, [rng.uniform(-1.5, 0.3), rng.uniform(-0.4, 0.4), rng.uniform(-0.2, 0.2) * (s === 'left' ? 1 : -1)]);
      set(`${s}_shin`, [rng.uniform(0.2, 2)]);
      set(`${s}_foot`, [rng.uniform(-0.5, 0.5), rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2)]);
    }
    return poseFromAngles(skel, [0.3, 0.9, -0.2], quatFromRotationVector([0.1, rng.uniform(-2, 2), 0.05]), a);
  }

  it('puts arms, legs and feet where the 3D landmarks are', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 20; n++) {
      const truth = landmarkPositions(skel, randomPose(rng));
      const root = rootFromLandmarks(truth);
      const guess = landmarkPositions(skel, poseFromAngles(skel, root.position, quatFromRotationVector(root.rotation), bodyAngles(scene, truth, root.rotation, new Array(D).fill(0))));
      const zero = landmarkPositions(skel, poseFromAngles(skel, root.position, quatFromRotationVector(root.rotation), new Array(D).fill(0)));
      const err = (lm: Vec3[]) => Math.max(...LIMBS.map((n) => Math.hypot(...lm[L[n]]!.map((v, i) => v - truth[L[n]]![i]!))));
      expect(err(guess)).toBeLessThan(0.02);
      expect(err(zero)).toBeGreaterThan(0.1);
    }
  });

  it('widens 3-DoF limits on both sides and hinges only upward', () => {
    const base = widenedLimits(skel, 0);
    const wide = widenedLimits(skel, 0.3);
    const knee = off[JOINT_INDEX.left_shin]!, hip = off[JOINT_INDEX.left_thigh]!;
    expect(wide.lower[knee]).toBe(base.lower[knee]);
    expect(wide.upper[knee]).toBeCloseTo(base.upper[knee]! + 0.3);
    expect(wide.lower[hip]).toBeCloseTo(base.lower[hip]! - 0.3);
  });
});

describe('smoothFrames', () => {
  it('averages out independent noise, keeps a slow motion, and ignores invalid frames', () => {
    const rng = new Rng(3);
    const T = 60;
    const clean = Array.from({ length: T }, (_, t) => [[Math.sin(t / 15), 0, 0] as Vec3]);
    const noisy = clean.map((f) => f.map((p) => [p[0] + 0.03 * rng.normal(), p[1] + 0.03 * rng.normal(), p[2]] as Vec3));
    const valid = clean.map((_, t) => t !== 30);
    noisy[30] = [[100, 100, 100]];
    const out = smoothFrames(noisy, valid, 2);
    const rms = (a: Vec3[][]) => Math.sqrt(a.reduce((s, f, t) => s + (t === 30 ? 0 : (f[0]![0] - clean[t]![0]![0]) ** 2 + f[0]![1] ** 2), 0) / (T - 1));
    expect(rms(out)).toBeLessThan(0.7 * rms(noisy));
    expect(Math.abs(out[30]![0]![0] - clean[30]![0]![0])).toBeLessThan(0.05);
    expect(smoothFrames(noisy, valid, 0)).toBe(noisy);
  });

  it('keeps the stride of a fast swing (a Gaussian mean of the same σ flattens it by a quarter)', () => {
    // A foot swinging ±0.3 m once per 26 frames: a brisk walk's stride at 30 fps.
    const T = 66, period = 26, sigma = 3;
    const clean = Array.from({ length: T }, (_, t) => [[0.3 * Math.sin((2 * Math.PI * t) / period), 0, 0] as Vec3]);
    const out = smoothFrames(clean, clean.map(() => true), sigma);
    const worst = Math.max(...out.map((f, t) => Math.abs(f[0]![0] - clean[t]![0]![0])));
    expect(worst).toBeLessThan(0.01);
    // The Gaussian mean of the same weights, at a peak inside the clip, falls short by ≈ 69 mm.
    const { r, kernel } = gaussianKernel(sigma);
    const peak = Math.round(period * 1.25);
    const mean = kernel.reduce((a, w, i) => a + w * clean[peak + i - r]![0]![0], 0) / kernel.reduce((a, w) => a + w, 0);
    expect(clean[peak]![0]![0] - mean).toBeGreaterThan(0.06);
  });
});
