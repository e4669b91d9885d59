import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readKeypoints } from '../../src/formats/keypoints.ts';
import { LANDMARK_INDEX as L } from '../../src/formats/landmarks.ts';
import { importKeypoints } from '../../src/ingest/importers/index.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';
import { tempDir } from './fixtures.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const write = (name: string, value: unknown) => {
  const p = join(tmp.dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};

// A hand-made MediaPipe PoseLandmarker result: landmark i at (0.01 i, 0.02 i), world (i mm, -i mm, 0).
const mpLandmarks = Array.from({ length: 33 }, (_, i) => ({ x: 0.01 * i, y: 0.02 * i, z: 0, visibility: i === 3 ? 0.2 : 0.9 }));
const mpWorld = Array.from({ length: 33 }, (_, i) => ({ x: i / 1000, y: -i / 1000, z: 0.5, visibility: 0.9 }));

describe('MediaPipe PoseLandmarker JSON', () => {
  it('scales normalized landmarks by the frame size and keeps world landmarks', () => {
    const p = write('mp.json', { width: 200, height: 100, fps: 25, frames: [
      { timestampMs: 0, landmarks: [mpLandmarks], worldLandmarks: [mpWorld] },
      { timestampMs: 40, landmarks: [], worldLandmarks: [] },
    ] });
    const r = importKeypoints(p);
    expect(r).toMatchObject({ format: 'mediapipe', width: 200, height: 100, fps: 25 });
    expect(r.frames[0]!.keypoints![10]).toEqual([0.1 * 200, 0.2 * 100, 0.9]);
    expect(r.frames[0]!.keypoints![3]![2]).toBe(0.2);
    expect(r.frames[0]!.world![7]).toEqual([0.007, -0.007, 0.5]);
    expect(r.frames[1]).toMatchObject({ time: 0.04, keypoints: null });
  });

  it('needs the frame size when the file has none', () => {
    const p = write('mp-bare.json', [{ landmarks: [mpLandmarks] }]);
    expect(() => importKeypoints(p)).toThrow(/mp-bare\.json: the file does not say the frame size; pass --size/);
    expect(importKeypoints(p, 'mediapipe', { width: 10, height: 10 }).frames[0]!.keypoints![1]).toEqual([0.1, 0.2, 0.9]);
  });

  it('refuses a landmark list of the wrong length', () => {
    const p = write('mp-short.json', { width: 10, height: 10, frames: [{ landmarks: [mpLandmarks.slice(0, 17)] }] });
    expect(() => importKeypoints(p)).toThrow(/mp-short\.json: frame 0 person 0: expected 33 landmarks/);
  });
});

describe('COCO-17 JSON', () => {
  const coco = (dx: number) => Array.from({ length: 17 }, (_, k) => [10 + k + dx, 20 + 2 * k, k === 4 ? 0 : 2]).flat();

  it('maps an annotation file into the 33 layout, missing points at score 0', () => {
    const p = write('coco.json', {
      images: [{ id: 2, width: 640, height: 480 }, { id: 1, width: 640, height: 480 }, { id: 3, width: 640, height: 480 }],
      annotations: [{ image_id: 1, keypoints: coco(0) }, { image_id: 2, keypoints: coco(5) }],
    });
    const r = importKeypoints(p);
    expect(r).toMatchObject({ format: 'coco', width: 640, height: 480 });
    expect(r.frames).toHaveLength(3);
    const kp = r.frames[0]!.keypoints!;
    expect(kp[L.nose]).toEqual([10, 20, 1]);
    expect(kp[L.left_shoulder]).toEqual([15, 30, 1]);
    expect(kp[L.right_ankle]).toEqual([26, 52, 1]);
    expect(kp[L.right_ear]![2]).toBe(0); // v = 0: not labelled
    expect(kp[L.left_heel]![2]).toBe(0); // no COCO counterpart
    expect(r.frames[1]!.keypoints![L.nose]).toEqual([15, 20, 1]);
    expect(r.frames[2]!.keypoints).toBeNull(); // image 3 has nobody
  });

  it('chooses the largest person or the i-th', () => {
    const small = Array.from({ length: 17 }, (_, k) => [100 + k, 100 + k, 0.9]).flat();
    const big = Array.from({ length: 17 }, (_, k) => [10 * k, 20 * k, 0.8]).flat();
    const p = write('coco-results.json', [{ image_id: 0, keypoints: small, score: 0.9 }, { image_id: 0, keypoints: big, score: 0.8 }]);
    expect(importKeypoints(p, 'auto', { width: 400, height: 400 }).frames[0]!.keypoints![L.nose]).toEqual([0, 0, 0.8]);
    expect(importKeypoints(p, 'coco', { width: 400, height: 400, person: 0 }).frames[0]!.keypoints![L.nose]).toEqual([100, 100, 0.9]);
  });

  it('refuses keypoints of the wrong length', () => {
    const p = write('coco-bad.json', [{ image_id: 0, keypoints: [1, 2, 3] }]);
    expect(() => importKeypoints(p, 'auto', { width: 4, height: 4 })).toThrow(/coco-bad\.json: image 0 person 0: expected 17 keypoints/);
  });
});

describe('OpenPose BODY_25 JSON', () => {
  const body25 = Array.from({ length: 25 }, (_, k) => (k === 1 || k === 8 ? [0, 0, 0] : [100 + k, 200 + k, 0.5])).flat();

  it('reads a folder of per-frame files in order', () => {
    const dir = join(tmp.dir, 'openpose');
    mkdirSync(dir);
    writeFileSync(join(dir, 'clip_000000000010_keypoints.json'), JSON.stringify({ version: 1.3, people: [] }));
    writeFileSync(join(dir, 'clip_000000000002_keypoints.json'), JSON.stringify({ version: 1.3, people: [{ pose_keypoints_2d: body25 }] }));
    const r = importKeypoints(dir, 'auto', { width: 640, height: 360, fps: 24 });
    expect(r).toMatchObject({ format: 'openpose', fps: 24 });
    const kp = r.frames[0]!.keypoints!;
    expect(kp[L.nose]).toEqual([100, 200, 0.5]);
    expect(kp[L.right_shoulder]).toEqual([102, 202, 0.5]);
    expect(kp[L.left_wrist]).toEqual([107, 207, 0.5]);
    expect(kp[L.left_foot_index]).toEqual([119, 219, 0.5]);
    expect(kp[L.right_heel]).toEqual([124, 224, 0.5]);
    expect(kp[L.left_pinky]![2]).toBe(0);
    expect(r.frames[1]).toMatchObject({ index: 1, keypoints: null });
  });

  it('names the frame with a malformed person', () => {
    const p = write('op-bad.json', { people: [{ face_keypoints_2d: [] }] });
    expect(() => importKeypoints(p, 'auto', { width: 4, height: 4 })).toThrow(/op-bad\.json: person 0 has no pose_keypoints_2d/);
  });
});

describe('tfjs pose-detection JSON', () => {
  const named = (dx: number, score?: number) => ({ keypoints: ['nose', 'left_wrist', 'right_ankle', 'tail'].map((name, k) => ({ x: 10 * k + dx, y: 5 * k, name, ...(score === undefined ? {} : { score }) })) });

  it('reads estimatePoses results by keypoint name, choosing the largest person', () => {
    const small = { keypoints: [{ name: 'nose', x: 1, y: 1, score: 0.9 }, { name: 'left_hip', x: 2, y: 2, score: 0.9 }] };
    const p = write('tfjs.json', [[small, named(0, 0.7)], [], null]);
    const r = importKeypoints(p, 'auto', { width: 100, height: 80, fps: 10 });
    expect(r).toMatchObject({ format: 'tfjs', width: 100, height: 80, fps: 10 });
    const kp = r.frames[0]!.keypoints!;
    expect(kp[L.nose]).toEqual([0, 0, 0.7]);
    expect(kp[L.left_wrist]).toEqual([10, 5, 0.7]);
    expect(kp[L.right_ankle]).toEqual([20, 10, 0.7]);
    expect(kp[L.left_hip]![2]).toBe(0); // not in the chosen pose; 'tail' is not a landmark and is dropped
    expect(r.frames[1]).toMatchObject({ time: 0.1, keypoints: null });
    expect(r.frames[2]!.keypoints).toBeNull();
  });

  it('reads name maps (tfjs-models golden files), single poses and unnamed COCO-order lists', () => {
    const p = write('tfjs-map.json', [{ nose: { x: 3, y: 4 }, right_knee: { x: 5, y: 6, score: 0.25 } }, named(1)]);
    const r = importKeypoints(p, 'tfjs', { width: 10, height: 10 });
    expect(r.frames[0]!.keypoints![L.nose]).toEqual([3, 4, 1]);
    expect(r.frames[0]!.keypoints![L.right_knee]).toEqual([5, 6, 0.25]);
    expect(r.frames[1]!.keypoints![L.nose]).toEqual([1, 0, 1]);
    const coco = { keypoints: Array.from({ length: 17 }, (_, k) => ({ x: k, y: 2 * k, score: 0.5 })) };
    const c = importKeypoints(write('tfjs-coco.json', [coco]), 'auto', { width: 10, height: 10 });
    expect(c.frames[0]!.keypoints![L.left_shoulder]).toEqual([5, 10, 0.5]);
  });

  it('refuses an unnamed list of another length and points without coordinates', () => {
    const p = write('tfjs-20.json', [{ keypoints: Array.from({ length: 20 }, () => ({ x: 1, y: 1 })) }]);
    expect(() => importKeypoints(p, 'auto', { width: 4, height: 4 })).toThrow(/tfjs-20\.json: frame 0 person 0: 20 unnamed keypoints/);
    const q = write('tfjs-nan.json', [{ keypoints: [{ name: 'nose', x: 'a', y: 1 }] }]);
    expect(() => importKeypoints(q, 'auto', { width: 4, height: 4 })).toThrow(/tfjs-nan\.json: frame 0 person 0: keypoint 0 has no numeric x and y/);
  });

  it('imports the golden MoveNet output of tfjs-models (pose_1.json)', (ctx) => {
    const golden = sharedDataPath('video', 'pose_1.json');
    if (!golden) return ctx.skip();
    const r = importKeypoints(golden, 'auto', { width: 576, height: 576 });
    expect(r.frames).toHaveLength(120);
    expect(r.frames.every((f) => f.keypoints !== null)).toBe(true);
    const kp = r.frames[0]!.keypoints!;
    expect(kp[L.nose]![0]).toBeCloseTo(287.77, 2);
    expect(kp[L.nose]![1]).toBeCloseTo(203.77, 2);
    expect(kp[L.left_shoulder]![0]).toBeGreaterThan(kp[L.right_shoulder]![0]); // facing the camera
    expect(kp.filter((k) => k[2] > 0)).toHaveLength(17);
  });
});

describe('bad keypoint files', () => {
  it('an unknown format', () => {
    const p = write('other.json', { hello: 'world' });
    expect(() => importKeypoints(p)).toThrow(/other\.json: unknown keypoint format/);
  });
  it('malformed JSON', () => {
    const p = write('broken.json', '{"people": [');
    expect(() => importKeypoints(p)).toThrow(/broken\.json: not valid JSON/);
  });
  it('a forced format that does not fit', () => {
    const p = write('mp-as-coco.json', { frames: [{ landmarks: [] }] });
    expect(() => importKeypoints(p, 'coco')).toThrow(/not COCO keypoints/);
  });
});

describe('ingest of a keypoint file', () => {
  it('writes a valid keypoints.json and an overlay', async () => {
    const p = write('mp-ingest.json', { width: 200, height: 100, frames: [{ landmarks: [mpLandmarks], worldLandmarks: [mpWorld] }] });
    const out = join(tmp.dir, 'out-ok');
    const s = await ingest(p, out, { fovDeg: 90 });
    expect(s).toMatchObject({ frames: 1, framesWithoutPerson: 0, cameraFrom: 'fov' });
    const k = readKeypoints(s.keypointsPath);
    expect(k.camera!.fx).toBeCloseTo(100, 6);
    expect(k.source).toMatchObject({ width: 200, height: 100, frameCount: 1 });
    const meta = await sharp(s.overlayPath).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(240);
  });

  it('leaves nothing behind when the input is bad', async () => {
    const p = write('bad-ingest.json', { nothing: true });
    const out = join(tmp.dir, 'out-bad');
    await expect(ingest(p, out)).rejects.toThrow(/unknown keypoint format/);
    expect(() => readdirSync(out)).toThrow();
  });
});
