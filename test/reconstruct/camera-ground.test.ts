import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { KEYPOINTS_FORMAT, type KeypointsFile } from '../../src/formats/keypoints.ts';
import { lookAt, projectPoint, worldToCamera } from '../../src/geometry/camera.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { cameraFromGround, cameraToWorld, resolveIntrinsics, solveTranslation } from '../../src/reconstruct/camera.ts';
import { estimateBodySize, estimateGround } from '../../src/reconstruct/ground.ts';
import { prepareObservations } from '../../src/reconstruct/observations.ts';
import { stickFigure } from './fixtures.ts';

const intr = resolveIntrinsics(null, 720, 1280);
const camPos: Vec3 = [0.4, 1.35, 3.4];
const camera = lookAt(camPos, [0, 0.85, 0], intr);
const trueDir = [0 - camPos[0], 0.85 - camPos[1], 0 - camPos[2]];
const truePitch = Math.asin(-trueDir[1]! / Math.hypot(...trueDir));
const clip = Array.from({ length: 40 }, (_, t) => stickFigure(1.72, 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / 40), [0.05 * Math.sin(t / 7), 0, 0]));

describe('camera', () => {
  it('guesses intrinsics from the frame size and keeps known ones', () => {
    expect(intr.cx).toBe(360);
    expect(intr.cy).toBe(640);
    expect(resolveIntrinsics({ fx: 1000, fy: 1000, cx: 300, cy: 600 }, 720, 1280).fx).toBe(1000);
  });

  it('solves the root translation of a camera-aligned pose from its projection', () => {
    const world = clip[10]!;
    const local = world.map((p) => worldToCamera(camera, p));
    const root: Vec3 = local[23]!.map((v, i) => (v + local[24]![i]!) / 2) as Vec3;
    const centred = local.map((p) => [p[0] - root[0], p[1] - root[1], p[2] - root[2]] as Vec3);
    const px = world.map((p) => projectPoint(camera, p)!);
    const t = solveTranslation(centred, px, px.map(() => 1), intr)!;
    for (let i = 0; i < 3; i++) expect(t[i]).toBeCloseTo(root[i]!, 6);
    expect(solveTranslation(centred, px, px.map(() => 0), intr)).toBeNull();
  });
});

describe('ground', () => {
  it('recovers camera pitch and height from feet on the ground', () => {
    const frames = clip.map((f) => f.map((p) => worldToCamera(camera, p)));
    const g = estimateGround(frames);
    expect(Math.abs(g.pitch - truePitch)).toBeLessThan(0.01);
    expect(Math.abs(g.height - camPos[1])).toBeLessThan(0.01);
    // Back to a world with the ground at y = 0: soles land on it.
    const cam = cameraFromGround(intr, g, frames[0]![23]!);
    for (const f of frames) {
      const w = f.map((p) => cameraToWorld(cam, p));
      expect(Math.abs(w[29]![1])).toBeLessThan(0.01);
      expect(Math.abs(w[31]![1])).toBeLessThan(0.01);
    }
  });

  it('ignores airborne frames (a jump) when fitting the ground', () => {
    const jumpClip = clip.map((f, t) => (t >= 15 && t < 22 ? f.map((p) => [p[0], p[1] + 0.3, p[2]] as Vec3) : f));
    const g = estimateGround(jumpClip.map((f) => f.map((p) => worldToCamera(camera, p))));
    expect(Math.abs(g.height - camPos[1])).toBeLessThan(0.02);
  });

  it('estimates stature from bone lengths over the clip', () => {
    const size = estimateBodySize(clip);
    expect(Math.abs(size.height - 1.72)).toBeLessThan(0.03);
    expect(size.proportions.thigh).toBeGreaterThan(0.95);
    expect(size.proportions.thigh).toBeLessThan(1.05);
  });
});

function keypointsOf(frames: (Vec3[] | null)[]): KeypointsFile {
  return {
    format: KEYPOINTS_FORMAT,
    source: { path: 'synthetic', fps: 30, width: 720, height: 1280, frameCount: frames.length },
    landmarks: 'mediapipe-33',
    detector: { name: 'test', runtime: 'none' },
    camera: { fx: intr.fx, fy: intr.fy, cx: intr.cx, cy: intr.cy },
    frames: frames.map((f, index) => ({
      index, time: index / 30,
      keypoints: f ? f.map((p) => [...projectPoint(camera, p)!, 0.9] as [number, number, number]) : null,
      world: f ? f.map((p) => [p[0], -(p[1] - 0.9), -p[2]] as Vec3) : null,
    })),
  };
}

describe('observations', () => {
  it('fills frames without a person from their neighbours and flags them', () => {
    const frames: (Vec3[] | null)[] = clip.slice(0, 12);
    frames[5] = null;
    frames[6] = null;
    const obs = prepareObservations(keypointsOf(frames), 'test.json');
    expect(obs.filledFrames).toEqual([5, 6]);
    expect(obs.confidence[5]!.every((c) => c === 0)).toBe(true);
    const a = obs.points2d[4]![0]!, b = obs.points2d[7]![0]!, m = obs.points2d[5]![0]!;
    expect(m[0]).toBeCloseTo(a[0] + (b[0] - a[0]) / 3, 6);
    expect(obs.world![6]![0]![1]).toBeCloseTo(obs.world![4]![0]![1] + ((obs.world![7]![0]![1] - obs.world![4]![0]![1]) * 2) / 3, 6);
  });

  it('refuses a clip with too few valid frames', () => {
    const frames: (Vec3[] | null)[] = [clip[0]!, null, null, clip[3]!];
    expect(() => prepareObservations(keypointsOf(frames), 'few.json')).toThrow(UserError);
    expect(() => prepareObservations(keypointsOf(frames), 'few.json')).toThrow(/few\.json: only 2 of 4 frames/);
  });
});
