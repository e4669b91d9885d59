import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startViewServer } from '../../src/cli/view-server.ts';

/**
 * `reconstruct VIDEO --out DIR` leaves the video where it was: `view DIR` must find it at the
 * path keypoints.json records, serve that one file, and still nothing else outside DIR.
 */
function get(port: number, path: string) {
  return new Promise<{ status: number; body: Buffer }>((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('view server: the source video where keypoints.json recorded it', () => {
  let root: string;
  let viewerDir: string;
  const video = Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 7) % 256));

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'om-view-src-'));
    viewerDir = join(root, 'viewer');
    mkdirSync(viewerDir);
    writeFileSync(join(viewerDir, 'index.html'), '<!doctype html><title>viewer</title>');
    mkdirSync(join(root, 'videos'));
    writeFileSync(join(root, 'videos', 'walk.mp4'), video);
    writeFileSync(join(root, 'videos', 'other.mp4'), Buffer.from('another video'));
    writeFileSync(join(root, 'secret.txt'), 'secret');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function resultDir(name: string, source: Record<string, unknown>): string {
    const dir = join(root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'motion.json'), '{"format":"optimus-motion/motion@1"}');
    writeFileSync(join(dir, 'keypoints.json'), JSON.stringify({ source }));
    return dir;
  }

  it('serves the recorded absolute (resolved) path and reports it in the manifest', async () => {
    const dir = resultDir('abs', { path: 'videos/walk.mp4', resolvedPath: join(root, 'videos', 'walk.mp4') });
    const server = await startViewServer(dir, { port: 0, viewerDir });
    try {
      const manifest = JSON.parse((await get(server.port, '/api/manifest')).body.toString());
      expect(manifest.video).toEqual({ url: 'video', name: 'walk.mp4' });
      const res = await get(server.port, '/video');
      expect(res.status).toBe(200);
      expect(res.body.equals(video)).toBe(true);
      // Nothing else outside the folder, not even next to the video.
      for (const p of ['/data/../videos/other.mp4', '/data/../secret.txt', '/videos/other.mp4']) {
        expect((await get(server.port, p)).body.toString()).not.toMatch(/another video|secret/);
      }
    } finally {
      await server.close();
    }
  });

  it('resolves a path recorded relative to the result folder; a non-video path is never served', async () => {
    const dir = resultDir('rel', { path: relative(join(root, 'rel'), join(root, 'videos', 'walk.mp4')) });
    const server = await startViewServer(dir, { port: 0, viewerDir });
    try {
      expect((await get(server.port, '/video')).body.equals(video)).toBe(true);
    } finally {
      await server.close();
    }
    const bad = resultDir('bad', { path: join(root, 'secret.txt'), resolvedPath: join(root, 'secret.txt') });
    const s2 = await startViewServer(bad, { port: 0, viewerDir });
    try {
      expect((await get(s2.port, '/video')).status).toBe(404);
      const manifest = JSON.parse((await get(s2.port, '/api/manifest')).body.toString());
      expect(manifest.video).toBeNull();
    } finally {
      await s2.close();
    }
  });

  it('a missing recorded video leaves the manifest without one (the panel says which file it expected)', async () => {
    const dir = resultDir('gone', { path: join(root, 'videos', 'gone.mp4') });
    const server = await startViewServer(dir, { port: 0, viewerDir });
    try {
      const manifest = JSON.parse((await get(server.port, '/api/manifest')).body.toString());
      expect(manifest.video).toBeNull();
      expect(manifest.videoExpected).toBe('gone.mp4');
    } finally {
      await server.close();
    }
  });
});
