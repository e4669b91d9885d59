import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { defaultModelCacheDir, readManifest, verifyCache } from '../../src/ingest/models.ts';
import { defaultFocalPx } from '../../src/ingest/intrinsics.ts';
import { INGEST_DEFAULTS } from '../../src/ingest/ingest.ts';
import { reconstruct } from '../../src/reconstruct/pipeline.ts';
import { makeTestsrc, tempDir } from '../ingest/fixtures.ts';

const modelsReady = verifyCache(defaultModelCacheDir(), readManifest(), [INGEST_DEFAULTS.model, 'movenet']).length === 0;
if (!modelsReady) console.warn(`[skip] BlazePose weights not cached in ${defaultModelCacheDir()}: run npm run fetch-models; reconstruct-from-video tests are skipped`);

/** `reconstruct VIDEO` passes the detection options on to ingest (a test pattern: nobody to reconstruct, but ingest runs). */
describe.skipIf(!modelsReady)('reconstruct passes ingest options on', () => {
  const tmp = tempDir('om-rec-ingest-');
  afterAll(() => tmp.cleanup());
  const video = makeTestsrc(join(tmp.dir, 'portrait.mp4'), { width: 90, height: 160, fps: 10, seconds: 1 });

  const keypointsAfter = async (out: string, ingest: Parameters<typeof reconstruct>[1]['ingest']) => {
    await expect(reconstruct(video, { out, physics: false, exports: [], checkSheet: false, ingest })).rejects.toThrow(UserError);
    expect(existsSync(join(out, 'keypoints.json'))).toBe(true);
    return JSON.parse(readFileSync(join(out, 'keypoints.json'), 'utf8'));
  };

  it('--focal and --max-frames reach ingest; without them the default camera is recorded with its warning', async () => {
    const given = await keypointsAfter(join(tmp.dir, 'given'), { focalPx: 1234, maxFrames: 3 });
    expect(given.camera.fx).toBe(1234);
    expect(given.frames).toHaveLength(3);
    expect(given.source.cameraFrom).toBe('focal');
    expect(given.source.cameraWarning).toBeUndefined();
    const plain = await keypointsAfter(join(tmp.dir, 'plain'), {});
    expect(plain.frames).toHaveLength(10);
    expect(plain.camera.fx).toBeCloseTo(defaultFocalPx(90, 160), 6);
    expect(plain.source.cameraFrom).toBe('guess');
    expect(plain.source.cameraWarning).toMatch(/--focal or --fov/);
  }, 120_000);

  it('a keypoints.json input refuses the options that only a video can use', async () => {
    const kp = join(tmp.dir, 'given', 'keypoints.json');
    await expect(reconstruct(kp, { out: join(tmp.dir, 'again'), physics: false, ingest: { focalPx: 1000, start: 1 } })).rejects.toThrow(/--focal, --start apply when reconstructing from a video/);
  });
});
