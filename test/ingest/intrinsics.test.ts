import { describe, expect, it } from 'vitest';
import { parseFfprobeJson } from '../../src/ingest/ffmpeg.ts';
import { cameraIntrinsics, defaultFocalPx, fallbackWarning, focal35mmFromTags } from '../../src/ingest/intrinsics.ts';
import { focalPxFrom35mm } from '../../src/ingest/exif.ts';

describe('intrinsics a user does not have to know', () => {
  it('defaults to 60° across the long side: a phone in portrait or landscape gets the same focal length', () => {
    const portrait = cameraIntrinsics(1080, 1920, {});
    const landscape = cameraIntrinsics(1920, 1080, {});
    expect(portrait.from).toBe('guess');
    expect(portrait.camera.fx).toBeCloseTo(landscape.camera.fx, 9);
    // The calibrated phone of the real-video benchmark: ≈ 1670 px; the old short-side default gave 935 px.
    expect(Math.abs(portrait.camera.fx - 1670) / 1670).toBeLessThan(0.01);
    expect(portrait.camera).toMatchObject({ cx: 540, cy: 960 });
    expect(defaultFocalPx(1280, 720)).toBeCloseTo(640 / Math.tan(Math.PI / 6), 9);
    expect(fallbackWarning(1080, 1920)).toMatch(/assumed 1663 px \(60° across the long side of 1080×1920\).*--focal/);
  });

  it('--focal wins over --fov, which wins over metadata', () => {
    expect(cameraIntrinsics(1080, 1920, { focalPx: 1500, fovDeg: 90, focal35mm: 26 })).toMatchObject({ from: 'focal', camera: { fx: 1500 } });
    expect(cameraIntrinsics(1080, 1920, { fovDeg: 90, focal35mm: 26 }).camera.fx).toBeCloseTo(540, 9);
    const m = cameraIntrinsics(1080, 1920, { focal35mm: 26 });
    expect(m.from).toBe('metadata');
    expect(m.camera.fx).toBeCloseTo(focalPxFrom35mm(26, 1080, 1920), 9);
  });

  it('reads the 35 mm-equivalent focal length from video container tags (iPhone QuickTime keys)', () => {
    expect(focal35mmFromTags({ 'com.apple.quicktime.camera.focal_length.35mm_equivalent': '26' })).toBe(26);
    expect(focal35mmFromTags({ FocalLengthIn35mmFormat: '24 mm' })).toBe(24);
    expect(focal35mmFromTags({ 'com.apple.quicktime.make': 'Apple', rotate: '90' })).toBeNull();
    expect(focal35mmFromTags({ 'focal_length_35mm': 'unknown' })).toBeNull();
    const header = parseFfprobeJson(JSON.stringify({
      streams: [{ codec_type: 'video', codec_name: 'hevc', width: 1920, height: 1080, avg_frame_rate: '30/1', tags: { rotate: '90' } }],
      format: { duration: '2.0', tags: { 'com.apple.quicktime.camera.focal_length.35mm_equivalent': '26' } },
    }));
    expect(header).toMatchObject({ focal35mm: 26, rotation: 90 });
    const plain = parseFfprobeJson(JSON.stringify({ streams: [{ codec_type: 'video', codec_name: 'h264', width: 640, height: 480, avg_frame_rate: '25/1' }], format: {} }));
    expect(plain?.focal35mm).toBeUndefined();
  });
});
