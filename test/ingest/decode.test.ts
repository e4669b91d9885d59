import { truncateSync, writeFileSync, statSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { parseFfmpegInfo } from '../../src/ingest/ffmpeg.ts';
import type { Frame } from '../../src/ingest/frames.ts';
import { openImages } from '../../src/ingest/images.ts';
import { openSource } from '../../src/ingest/ingest.ts';
import { openVideo } from '../../src/ingest/video.ts';
import { ffmpeg, isAlive, makeTestsrc, referenceFrame, tempDir } from './fixtures.ts';

async function collect(source: AsyncIterable<Frame>): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of source) out.push(f);
  return out;
}

describe('video decoding', () => {
  const tmp = tempDir();
  let video: string;
  beforeAll(() => {
    video = makeTestsrc(join(tmp.dir, 'testsrc.mp4'), { width: 160, height: 120, fps: 10, seconds: 3, extra: ['-movflags', '+faststart'] });
  });
  afterAll(() => tmp.cleanup());

  it('reads size, fps and frame count, and streams every frame as RGB equal to ffmpeg\'s own decode', async () => {
    const src = await openVideo(video);
    expect(src.info).toMatchObject({ kind: 'video', codec: 'h264', width: 160, height: 120, fps: 10, frameCount: 30, rotation: 0 });
    const frames = await collect(src);
    expect(frames.length).toBe(30);
    expect(src.reachedEnd).toBe(true);
    expect(src.failure).toBeNull();
    expect(frames.map((f) => f.index)).toEqual([...Array(30).keys()]);
    expect(frames[7]!.time).toBeCloseTo(0.7, 9);
    for (const n of [0, 13, 29]) {
      expect(frames[n]!.data.length).toBe(160 * 120 * 3);
      expect(frames[n]!.data.equals(referenceFrame(video, n))).toBe(true);
    }
    // testsrc animates: consecutive frames differ.
    expect(frames[1]!.data.equals(frames[2]!.data)).toBe(false);
  });

  it('delivers the pixel values of a solid colour', async () => {
    const path = join(tmp.dir, 'colour.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'color=c=0x3366cc:size=64x48:rate=5', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path);
    const frames = await collect(await openVideo(path));
    expect(frames.length).toBe(5);
    const d = frames[2]!.data;
    const mean = [0, 1, 2].map((c) => { let s = 0; for (let i = c; i < d.length; i += 3) s += d[i]!; return s / (d.length / 3); });
    expect(mean[0]).toBeCloseTo(0x33, -1);
    expect(mean[1]).toBeCloseTo(0x66, -1);
    expect(mean[2]).toBeCloseTo(0xcc, -1);
  });

  it('honours --start, --end, --every and --max-frames with source indices', async () => {
    const a = await collect(await openVideo(video, { start: 1, every: 3, maxFrames: 4 }));
    expect(a.map((f) => f.index)).toEqual([10, 13, 16, 19]);
    expect(a[1]!.data.equals(referenceFrame(video, 13))).toBe(true);
    const b = await collect(await openVideo(video, { start: 0.5, end: 1.0 }));
    expect(b.map((f) => f.index)).toEqual([5, 6, 7, 8, 9]);
  });

  it('scales huge frames down and says by how much', async () => {
    const frames = await collect(await openVideo(video, { maxSide: 80, maxFrames: 2 }));
    expect(frames[0]).toMatchObject({ width: 80, height: 60, scaleX: 2, scaleY: 2 });
    expect(frames[0]!.data.length).toBe(80 * 60 * 3);
  });

  it('stops early without leaving ffmpeg running', async () => {
    const src = await openVideo(video);
    let pid = 0;
    let n = 0;
    for await (const _ of src) {
      pid = src.pid!;
      expect(isAlive(pid)).toBe(true);
      if (++n === 2) break;
    }
    expect(src.pid).toBeNull();
    expect(isAlive(pid)).toBe(false);
  });

  it('applies rotation metadata (display size swapped, frames upright)', async () => {
    const rotated = join(tmp.dir, 'rotated.mp4');
    ffmpeg('-i', video, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated);
    const src = await openVideo(rotated, { maxFrames: 1 });
    expect(src.info.rotation % 180).toBe(90);
    expect([src.info.width, src.info.height]).toEqual([120, 160]);
    const [f] = await collect(src);
    expect([f!.width, f!.height]).toEqual([120, 160]);
  });

  it('keeps the frames before the damage of a truncated video and says where it failed', async () => {
    const cut = join(tmp.dir, 'cut.mp4');
    copyFileSync(video, cut);
    truncateSync(cut, Math.floor(statSync(video).size * 0.5));
    const src = await openVideo(cut);
    const frames = await collect(src);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.length).toBeLessThan(30);
    expect(src.failure).not.toBeNull();
    expect(src.failure!.atFrame).toBe(frames.length);
  });

  it.each([
    ['webm', ['-c:v', 'libvpx-vp9', '-deadline', 'realtime']],
    ['avi', ['-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p']],
    ['mov', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']],
  ])('decodes %s containers', async (ext, codec) => {
    const p = join(tmp.dir, `clip.${ext}`);
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=8', '-t', '1', ...codec, p);
    const src = await openVideo(p);
    expect(src.info).toMatchObject({ width: 64, height: 48, fps: 8 });
    const frames = await collect(src);
    expect(frames.length).toBe(8);
    expect(frames[3]!.data.equals(referenceFrame(p, 3))).toBe(true);
  });

  it('parses the stream line of ffmpeg -i', () => {
    const h = parseFfmpegInfo(`  Duration: 00:00:13.00, start: 0.000000, bitrate: 312 kb/s
    Stream #0:0(und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p, 720x1280, 312 kb/s, 29.97 fps, 5 tbr, 10240 tbn (default)
    Metadata:
      rotate          : 270
    Side data:
      displaymatrix: rotation of 90.00 degrees`);
    expect(h).toMatchObject({ codec: 'h264', codedWidth: 720, codedHeight: 1280, fps: 29.97, durationSec: 13, rotation: 270 });
    expect(parseFfmpegInfo('Input #0, png_pipe\n  Stream #0:0: Audio: mp3, 44100 Hz')).toBeNull();
  });
});

describe('bad media input', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('a missing file', async () => {
    await expect(openSource(join(tmp.dir, 'nope.mp4'))).rejects.toThrow(/nope\.mp4: file not found/);
  });

  it('a zero-length file', async () => {
    const p = join(tmp.dir, 'empty.mp4');
    writeFileSync(p, '');
    await expect(openSource(p)).rejects.toThrow(/empty\.mp4: empty file/);
  });

  it('a file that is not a video', async () => {
    const p = join(tmp.dir, 'notes.mp4');
    writeFileSync(p, 'these are not the frames you are looking for\n'.repeat(50));
    const err = await openSource(p).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/notes\.mp4: not a video/);
  });

  it('a zero-length video (a container without frames)', async () => {
    const p = join(tmp.dir, 'zero.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-frames:v', '0', '-c:v', 'libx264', p);
    await expect(openSource(p)).rejects.toThrow(/zero\.mp4: holds no video frames/);
  });

  it('a video whose header is cut off', async () => {
    const p = join(tmp.dir, 'headless.mp4');
    makeTestsrc(p, { seconds: 1 });
    truncateSync(p, 1500);
    const err = await (async () => { for await (const _ of await openSource(p)) { /* drain */ } })().catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/headless\.mp4: (not a video|cannot decode)/);
  });

  it('a selection after the end of the video', async () => {
    const p = makeTestsrc(join(tmp.dir, 'short.mp4'), { seconds: 1 });
    const err = await (async () => { for await (const _ of await openVideo(p, { start: 5 })) { /* drain */ } })().catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/no frames at or after --start 5s/);
  });
});

describe('images', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('decodes a single image, scaled down when huge', async () => {
    const p = join(tmp.dir, 'big.png');
    await sharp({ create: { width: 4000, height: 2400, channels: 3, background: { r: 200, g: 10, b: 30 } } }).png().toFile(p);
    const src = await openSource(p, { maxSide: 1000 });
    expect(src.info).toMatchObject({ kind: 'image', width: 4000, height: 2400, frameCount: 1 });
    const frames = await collect(src);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ width: 1000, height: 600, scaleX: 4, scaleY: 4 });
    expect([...frames[0]!.data.subarray(0, 3)]).toEqual([200, 10, 30]);
  });

  it('reads a folder of images in natural order at the given fps', async () => {
    const dir = join(tmp.dir, 'seq');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    for (const i of [1, 2, 10]) {
      await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: i, g: 0, b: 0 } } }).png().toFile(join(dir, `f_${i}.png`));
    }
    const src = await openImages(dir, { fps: 2 });
    const frames = await collect(src);
    expect(frames.map((f) => f.data[0])).toEqual([1, 2, 10]);
    expect(frames.map((f) => f.time)).toEqual([0, 0.5, 1]);
  });

  it('refuses a broken image', async () => {
    const p = join(tmp.dir, 'broken.jpg');
    writeFileSync(p, 'not a jpeg');
    await expect(openSource(p)).rejects.toThrow(/broken\.jpg: not an image/);
  });
});
