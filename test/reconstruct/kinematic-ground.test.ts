import { describe, expect, it } from 'vitest';
import { lookAt, projectPoint, worldToCamera } from '../../src/geometry/camera.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { resolveIntrinsics } from '../../src/reconstruct/camera.ts';
import { estimateGround } from '../../src/reconstruct/ground.ts';
import { anchorFeetDepth } from '../../src/reconstruct/kinematic-ground.ts';
import { stickFigure } from './fixtures.ts';

const intr = resolveIntrinsics(null, 720, 1280);
const camPos: Vec3 = [0.4, 1.0, 2.6];
const camera = lookAt(camPos, [0, 0.7, 0], intr);
const dir = [0 - camPos[0], 0.7 - camPos[1], 0 - camPos[2]];
const truePitch = Math.asin(-dir[1]! / Math.hypot(...dir));
const deg = Math.PI / 180;

/** Squats in place (feet still) seen by `camera`; each frame's depth off by a factor that follows the squat, as a body-shape-driven reprojection gives. */
function squats(depthSwing: number, shift: (t: number) => number = () => 0): { cam: Vec3[][]; px: Array<Array<[number, number]>> } {
  const world = Array.from({ length: 40 }, (_, t) => stickFigure(1.65, 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / 20), [shift(t), 0, 0]));
  const cam = world.map((f, t) => {
    const k = 1 + depthSwing * (0.5 - 0.5 * Math.cos((2 * Math.PI * t) / 20));
    return f.map((p) => worldToCamera(camera, p).map((v) => v * k) as Vec3);
  });
  return { cam, px: world.map((f) => f.map((p) => projectPoint(camera, p)!)) };
}

describe('ground fit on still feet (kinematic-ground.ts)', () => {
  it('takes out the depth swing of feet that stay on the same pixels, so the ground is the true one', () => {
    const { cam, px } = squats(0.18);
    // Each frame scaled about the camera: the projection is the truth's, the depth is not.
    const plain = estimateGround(cam);
    expect(Math.abs(plain.pitch - truePitch)).toBeGreaterThan(4 * deg);
    const anchored = estimateGround(anchorFeetDepth(cam, px, 0.1));
    expect(Math.abs(anchored.pitch - truePitch)).toBeLessThan(1 * deg);
    expect(Math.abs(anchored.height - camPos[1])).toBeLessThan(0.1);
  });

  it('leaves frames whose feet move across the image as they are, and does nothing at radius 0', () => {
    const { cam, px } = squats(0.18, (t) => 0.1 * t);
    const out = anchorFeetDepth(cam, px, 0.1);
    expect(out[7]![29]![2]).toBeCloseTo(cam[7]![29]![2], 9);
    const same = anchorFeetDepth(squats(0.18).cam, squats(0.18).px, 0);
    expect(same[5]![0]![2]).toBe(squats(0.18).cam[5]![0]![2]);
  });
});
