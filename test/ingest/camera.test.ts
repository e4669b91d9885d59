import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { focalPxFrom35mm, readExifFocal35mm } from '../../src/ingest/exif.ts';
import { cameraIntrinsics, openSource } from '../../src/ingest/ingest.ts';
import { tempDir } from './fixtures.ts';

describe('camera intrinsics', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('guesses from the frame size and a 60° field of view, overridable by --fov and --focal', () => {
    const g = cameraIntrinsics(1280, 720, {});
    expect(g.from).toBe('guess');
    expect(g.camera.fx).toBeCloseTo(640 / Math.tan(Math.PI / 6), 6);
    expect(g.camera).toMatchObject({ cx: 640, cy: 360 });
    expect(cameraIntrinsics(1280, 720, { fovDeg: 90 }).camera.fx).toBeCloseTo(640, 6);
    const f = cameraIntrinsics(1280, 720, { fovDeg: 90, focalPx: 1000 });
    expect(f).toMatchObject({ from: 'focal', camera: { fx: 1000, fy: 1000 } });
    expect(() => cameraIntrinsics(10, 10, { fovDeg: 200 })).toThrow(/--fov must be between/);
  });

  it('reads the 35 mm focal length from a photo\'s EXIF and uses it', async () => {
    const p = join(tmp.dir, 'photo.jpg');
    await sharp({ create: { width: 400, height: 300, channels: 3, background: 'white' } })
      .jpeg().withExif({ IFD0: { Make: 'Test' }, IFD2: { FocalLengthIn35mmFilm: '26' } }).toFile(p);
    const meta = await sharp(p).metadata();
    expect(readExifFocal35mm(meta.exif!)).toBe(26);
    const src = await openSource(p);
    expect(src.info.focal35mm).toBe(26);
    const c = cameraIntrinsics(400, 300, { focal35mm: src.info.focal35mm });
    expect(c.from).toBe('metadata');
    expect(c.camera.fx).toBeCloseTo(focalPxFrom35mm(26, 400, 300), 6);
    // The 35 mm equivalence is on the diagonal: 500 px here, 43.27 mm on film.
    expect(c.camera.fx).toBeCloseTo((26 * 500) / Math.hypot(36, 24), 6);
  });

  it('ignores malformed EXIF', () => {
    expect(readExifFocal35mm(Buffer.from('Exif\0\0garbage'))).toBeNull();
  });
});
