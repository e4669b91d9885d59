import { beforeAll, describe, expect, it } from 'vitest';
import { landmarkPositions } from '../../src/body/fk.ts';
import { createSkeleton } from '../../src/body/skeleton.ts';
import { worldToCamera } from '../../src/geometry/camera.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { initBackend } from '../../src/optimus/backend.ts';
import { FkGrad } from '../../src/body/fk-grad.ts';
import { runKinematic, windowData } from '../../src/reconstruct/kinematic.ts';
import { KINEMATIC_WEIGHTS, SOLE_LANDMARKS, widenedLimits, windowLoss } from '../../src/reconstruct/kinematic-loss.ts';
import { prepareObservations } from '../../src/reconstruct/observations.ts';
import { buildScene, type SceneOptions } from '../../src/reconstruct/scene.ts';
import { makeWindows } from '../../src/reconstruct/windows.ts';
import { defaultPosePrior } from '../../src/reconstruct/kinematic-prior.ts';
import { poseParams } from '../../src/body/fk-tf.ts';
import { keypointsFromLandmarks, squatPoses, testCamera } from './fixtures.ts';

/** Root-aligned MPJPE (mm) of two landmark sequences, each expressed in its own camera frame. */
function mpjpeMm(a: Vec3[][], b: Vec3[][]): number {
  let s = 0, n = 0;
  a.forEach((f, t) => {
    const g = b[t]!;
    const ra = f[23]!.map((v, i) => (v + f[24]![i]!) / 2);
    const rb = g[23]!.map((v, i) => (v + g[24]![i]!) / 2);
    f.forEach((p, j) => { s += Math.hypot(...p.map((v, i) => v - ra[i]! - (g[j]![i]! - rb[i]!))); n++; });
  });
  return (1000 * s) / n;
}

/** A synthetic squat of `frames` frames seen by the test camera, as the kinematic stage receives it. */
function squatScene(frames: number, sceneOptions: SceneOptions = {}) {
  const skel = createSkeleton({ height: 1.75 });
  const poses = squatPoses(skel, frames);
  const truth = poses.map((p) => landmarkPositions(skel, p));
  const camera = testCamera();
  const kp = keypointsFromLandmarks(truth, camera);
  const obs = prepareObservations(kp, 'synthetic');
  return { skel, poses, truth, camera, obs, scene: buildScene(obs, kp.camera, 'synthetic', sceneOptions) };
}

describe('windows', () => {
  it('cover the clip with overlaps, and a clip shorter than a window is one shorter window', () => {
    expect(makeWindows(5, 8, 2)).toEqual([{ index: 0, start: 0, end: 5 }]);
    const w = makeWindows(20, 8, 2);
    expect(w[0]).toEqual({ index: 0, start: 0, end: 8 });
    expect(w[1]!.start).toBe(6);
    expect(w[w.length - 1]!.end).toBe(20);
    for (let i = 1; i < w.length; i++) expect(w[i]!.start).toBe(w[i - 1]!.end - 2);
  });
});

describe('kinematic stage', () => {
  beforeAll(async () => { await initBackend('wasm'); });

  it('recovers a synthetic motion (no noise) to ≤ 20 mm MPJPE on a short clip, ≤ 25 mm with the learned pose prior', () => {
    const { skel, truth, camera, obs, scene } = squatScene(8);
    expect(Math.abs(scene.skel.height - skel.height)).toBeLessThan(0.02);
    // Start away from the answer: the 3D guess is perturbed, so the 2D term must do the work.
    scene.initWorld = scene.initWorld.map((f, t) => f.map((p, j) => [p[0] + 0.03 * Math.sin(j + t), p[1] + 0.03 * Math.cos(2 * j), p[2] + 0.03 * Math.sin(3 * j)] as Vec3));
    // The prior (on by default) pulls toward common poses: on noise-free input that costs a little.
    for (const [posePrior, bound] of [[0, 20], [KINEMATIC_WEIGHTS.posePrior, 25]] as const) {
      const r = runKinematic(obs, scene, { optimizer: 'lbfgs', initIterations: 10, iterations: 90, weights: { posePrior } });
      const err = mpjpeMm(r.landmarks.map((f) => f.map((p) => worldToCamera(scene.camera, p))), truth.map((f) => f.map((p) => worldToCamera(camera, p))));
      expect(err, `posePrior ${posePrior}`).toBeLessThan(bound);
      expect(r.lossCurve[r.lossCurve.length - 1]).toBeLessThan(r.lossCurve[0]!);
      expect(r.poses).toHaveLength(8);
    }
  }, 120_000);
});

describe('kinematic window loss', () => {
  it('has an exact gradient: every term active (fixed frames before, 3D prior and targets, limits, ground, contact, learned pose prior) matches central differences', () => {
    const { poses, truth, obs, scene } = squatScene(6);
    // Frames 2..5 form the window; frames 0, 1 enter its smoothness term as fixed landmarks.
    const before = new Float32Array(2 * 33 * 3);
    for (let t = 0; t < 2; t++) truth[t]!.forEach((p, j) => before.set(p, (t * 33 + j) * 3));
    // Every foot in stance: the contact term puts their soles on the floor.
    const data = windowData(obs, scene, { index: 1, start: 2, end: 6 }, before, Array.from({ length: 6 }, () => [1, 1] as [number, number]));
    const pp = poseParams(scene.skel, poses.slice(2));
    const D = pp.angleCount, P = 6 + D, W = 4;
    const x = new Float64Array(W * P);
    const { upper } = widenedLimits(scene.skel, 0.3);
    for (let t = 0; t < W; t++) {
      x.set(pp.rootPosition.subarray(t * 3, t * 3 + 3), t * P);
      x.set(pp.rootRotation.subarray(t * 3, t * 3 + 3), t * P + 3);
      for (let d = 0; d < D; d++) x[t * P + 6 + d] = pp.angles[t * D + d]! + 0.05 * Math.sin(7 * d + t);
      x[t * P + 6 + (t * 5) % D] = upper[(t * 5) % D]! + 0.1; // past a joint limit
    }
    x[1] -= 0.12; // the first frame sinks: its soles go below the ground
    const weights = { ...KINEMATIC_WEIGHTS, target3d: 1, pose: 0.01, contact: 1, posePrior: 0.01 };
    const loss = windowLoss({ skel: scene.skel, fk: new FkGrad(scene.skel), camera: scene.camera, depth: scene.depth, weights, posePrior: defaultPosePrior() }, data);
    // The smoothness term measures accelerations beyond the detector's own: those enter the gradient too.
    expect(data.accelTarget!.some((v) => v !== 0)).toBe(true);
    const terms = loss.terms(x);
    for (const k of Object.keys(weights) as (keyof typeof weights)[]) expect(terms[k], k).toBeGreaterThan(0);
    expect(loss.landmarks(x)[0]!.some((p, j) => SOLE_LANDMARKS.includes(j) && p[1] < 0)).toBe(true);
    const { value, grad } = loss.valueAndGrad(x);
    expect(value).toBeCloseTo(Object.entries(terms).reduce((s, [k, v]) => s + weights[k as keyof typeof weights] * v, 0), 12);
    const h = 1e-6;
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const up = x.slice(); up[i]! += h;
      const dn = x.slice(); dn[i]! -= h;
      const fd = (loss.valueAndGrad(up).value - loss.valueAndGrad(dn).value) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - grad[i]!) / Math.max(1e-3, Math.abs(fd)));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('does not count the accelerations the detector sees as roughness: the truth is smoother against them than against rest', () => {
    const { poses, obs, scene } = squatScene(8, { worldSmoothing: 0 });
    const data = windowData(obs, scene, { index: 0, start: 0, end: 8 }, null);
    const pp = poseParams(scene.skel, poses);
    const P = 6 + pp.angleCount;
    const x = new Float64Array(8 * P);
    for (let t = 0; t < 8; t++) {
      x.set(pp.rootPosition.subarray(t * 3, t * 3 + 3), t * P);
      x.set(pp.rootRotation.subarray(t * 3, t * 3 + 3), t * P + 3);
      x.set(pp.angles.subarray(t * pp.angleCount, (t + 1) * pp.angleCount), t * P + 6);
    }
    const ctx = { skel: scene.skel, fk: new FkGrad(scene.skel), camera: scene.camera, depth: scene.depth, weights: KINEMATIC_WEIGHTS };
    const against = windowLoss(ctx, data).terms(x).smooth;
    const rest = windowLoss(ctx, { ...data, accelTarget: null }).terms(x).smooth;
    expect(against).toBeLessThan(0.5 * rest);
  });
});
