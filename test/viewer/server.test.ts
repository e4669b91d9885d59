import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewServer, type ViewServer } from '../../src/cli/view-server.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

/** Raw GET (no URL normalisation, so `..` reaches the server as sent). */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('view server', () => {
  let root: string;
  let dir: string;
  let viewerDir: string;
  let server: ViewServer;
  const video = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'om-view-'));
    dir = join(root, 'result');
    viewerDir = join(root, 'viewer');
    mkdirSync(dir);
    mkdirSync(join(viewerDir, 'assets'), { recursive: true });
    writeFileSync(join(viewerDir, 'index.html'), '<!doctype html><title>viewer</title>');
    writeFileSync(join(viewerDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.json'), '{"secret":true}');
    writeFileSync(join(dir, 'motion.json'), '{"format":"optimus-motion/motion@1"}');
    writeFileSync(join(dir, 'keypoints.json'), JSON.stringify({ source: { path: '/somewhere/else/clip.mp4' } }));
    writeFileSync(join(dir, 'clip.mp4'), video);
    symlinkSync(join(root, 'secret.json'), join(dir, 'escape.json'));
    server = await startViewServer(dir, { port: 0, viewerDir });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the viewer, the folder and a manifest with correct MIME types', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await get(server.port, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await get(server.port, '/assets/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    const motion = await get(server.port, '/data/motion.json');
    expect(motion.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(motion.body.toString()).toContain('motion@1');
    const manifest = JSON.parse((await get(server.port, '/api/manifest')).body.toString());
    expect(manifest).toEqual({ name: 'result', files: ['motion.json', 'keypoints.json'], video: { url: 'video', name: 'clip.mp4' }, videoExpected: null });
    expect((await get(server.port, '/data/truth.json')).status).toBe(404);
  });

  it('refuses paths outside the folder: .., encoded .., absolute, symlinks leading out', async () => {
    for (const path of ['/data/../secret.json', '/data/%2e%2e/secret.json', '/data/..%2fsecret.json', '/data/%2e%2e%2f%2e%2e%2fetc/passwd', '/../secret.json']) {
      const res = await get(server.port, path);
      expect([403, 404], path).toContain(res.status);
      expect(res.body.toString()).not.toContain('secret');
    }
    expect((await get(server.port, '/data/escape.json')).status).toBe(403);
    expect((await get(server.port, '/data/motion.json%00.png')).status).toBe(400);
  });

  it('answers range requests on the video (seeking) and HEAD', async () => {
    const part = await get(server.port, '/video', { Range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 100-199/1000');
    expect(part.headers['content-type']).toBe('video/mp4');
    expect(part.body.equals(video.subarray(100, 200))).toBe(true);
    const tail = await get(server.port, '/video', { Range: 'bytes=-10' });
    expect(tail.body.equals(video.subarray(990))).toBe(true);
    const open = await get(server.port, '/video', { Range: 'bytes=995-' });
    expect(open.body.length).toBe(5);
    expect((await get(server.port, '/video', { Range: 'bytes=2000-' })).status).toBe(416);
    const head = await get(server.port, '/video', {}, 'HEAD');
    expect(head.headers['content-length']).toBe('1000');
    expect(head.body.length).toBe(0);
    expect((await get(server.port, '/data/motion.json', {}, 'POST')).status).toBe(405);
  });

  it('refuses requests for another host name (DNS rebinding) and non-loopback binding', async () => {
    expect((await get(server.port, '/api/manifest', { Host: 'evil.example:80' })).status).toBe(403);
    await expect(startViewServer(dir, { port: 0, viewerDir, host: '0.0.0.0' })).rejects.toThrow(/this machine only/);
    await expect(startViewServer(join(root, 'nope'), { port: 0, viewerDir })).rejects.toThrow(/not a folder/);
    await expect(startViewServer(dir, { port: 0, viewerDir: join(root, 'missing') })).rejects.toThrow(/build:viewer/);
  });

  it('`optimus-motion view` prints the URL and stops cleanly on SIGTERM', async () => {
    const probe = await startViewServer(dir, { port: 0, viewerDir });
    const port = probe.port;
    await probe.close();
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/optimus-motion.mjs'), 'view', dir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    await new Promise<void>((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`no URL printed: ${out}`)), 30_000);
      child.stdout.on('data', () => { if (out.includes('http://')) { clearTimeout(t); ok(); } });
    });
    expect(out).toContain(`http://127.0.0.1:${port}/`);
    expect((await get(port, '/data/motion.json')).status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((ok) => child.on('exit', (c) => ok(c)));
    expect(code).toBe(0);
    expect(out).toContain('viewer stopped');
  }, 60_000);
});
