import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { KEYPOINTS_FORMAT, type KeypointsFile } from '../../src/formats/keypoints.ts';
import { MOTION_FORMAT, type MotionFile } from '../../src/formats/motion.ts';
import { guessIntrinsics, lookAt, projectPoint, type Vec3 } from '../../src/geometry/index.ts';
import { projectedLandmarks, renderCheckSheet } from '../../src/reconstruct/check-sheet.ts';

describe('check sheet', () => {
  const camera = lookAt([0, 1.2, 4], [0, 1, 0], guessIntrinsics(640, 360));
  const joints = (t: number): Vec3[] => Array.from({ length: 33 }, (_, i) => [0.02 * t + 0.01 * (i % 5), 0.05 * i, 0] as Vec3);

  it('projects the 3D landmarks through the motion camera', () => {
    const p = projectedLandmarks(camera, joints(0));
    const expected = projectPoint(camera, joints(0)[7]!)!;
    expect(p[7]![0]).toBeCloseTo(expected[0], 9);
    expect(p[7]![1]).toBeCloseTo(expected[1], 9);
    expect(p[7]![2]).toBe(1);
    // A point behind the camera is marked missing rather than drawn somewhere.
    expect(projectedLandmarks(camera, [[0, 1.2, 6]])[0]![2]).toBe(0);
  });

  it('renders a JPEG with one tile per chosen frame when no video is at hand', async () => {
    const frames = 20;
    const motion = {
      format: MOTION_FORMAT, fps: 30, skeleton: { joints: [{ name: 'pelvis', parent: null, offset: [0, 0, 0], dof: 6 }] },
      camera, ground: { normal: [0, 1, 0], height: 0 },
      frames: Array.from({ length: frames }, (_, t) => ({ root: { position: [0, 1, 0], rotation: [0, 0, 0, 1] }, rotations: [[0, 0, 0, 1]], joints3d: joints(t), contacts: { leftFoot: true, rightFoot: true } })),
    } as unknown as MotionFile;
    const keypoints: KeypointsFile = {
      format: KEYPOINTS_FORMAT, source: { path: 'nowhere.mp4', fps: 30, width: 640, height: 360, frameCount: frames },
      landmarks: 'mediapipe-33', detector: { name: 'test', runtime: 'none' }, camera: null,
      frames: Array.from({ length: frames }, (_, t) => ({ index: t, time: t / 30, keypoints: null })),
    };
    const jpeg = await renderCheckSheet(motion, keypoints, null, { tiles: 8, tileWidth: 160 });
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    // 8 tiles of 160×90 in 4 columns with 4 px gaps.
    expect(meta.width).toBe(4 * 160 + 3 * 4);
    expect(meta.height).toBe(2 * 90 + 4);
  });
});
