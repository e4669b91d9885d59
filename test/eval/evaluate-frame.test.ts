import { describe, expect, it } from 'vitest';
import { evaluate, type LandmarkSequence } from '../../src/eval/evaluate.ts';
import { guessIntrinsics, lookAt, quatFromAxisAngle, quatMultiply, quatRotate, type Vec3 } from '../../src/geometry/index.ts';
import { Rng } from '../../src/random.ts';

/** A random 33-landmark sequence standing near the origin. */
function sequence(frames: number, seed: number): Vec3[][] {
  const rng = new Rng(seed);
  return Array.from({ length: frames }, (_, t) =>
    Array.from({ length: 33 }, () => [rng.uniform(-0.3, 0.3) + 0.01 * t, rng.uniform(0.05, 1.7), rng.uniform(-0.2, 0.2)] as Vec3));
}

describe('evaluate in camera coordinates', () => {
  const K = guessIntrinsics(1280, 720);
  const camera = lookAt([0, 1.2, 4], [0, 1, 0], K);
  const truthFrames = sequence(6, 1);
  const truth: LandmarkSequence = { source: 'truth', kind: 'truth', fps: 30, frames: truthFrames, camera };

  it('ignores a heading of the whole world (scene and camera turned together about y)', () => {
    const q = quatFromAxisAngle([0, 1, 0], 0.7);
    const turned = truthFrames.map((f) => f.map((p) => quatRotate(q, p)));
    const turnedCamera = { ...camera, rotation: quatMultiply(q, camera.rotation), position: quatRotate(q, camera.position) };
    const pred: LandmarkSequence = { source: 'pred', kind: 'motion', fps: 30, frames: turned, camera: turnedCamera };
    const m = evaluate(pred, truth);
    expect(m.frame).toBe('camera');
    expect(m.mpjpe).toBeLessThan(1e-6);
    expect(m.mpjpeG).toBeLessThan(1e-6);
    // The same pair compared in world coordinates is far apart.
    expect(evaluate(pred, truth, { frame: 'world' }).mpjpeG).toBeGreaterThan(100);
  });

  it('still sees a real error: a 5 cm shift along the camera axis is 50 mm MPJPE-G', () => {
    const shifted = truthFrames.map((f) => f.map((p) => [p[0], p[1], p[2] + 0.05] as Vec3));
    const m = evaluate({ source: 'pred', kind: 'motion', fps: 30, frames: shifted, camera }, truth);
    expect(m.mpjpeG).toBeCloseTo(50, 6);
    expect(m.mpjpe).toBeLessThan(1e-6);
  });
});
