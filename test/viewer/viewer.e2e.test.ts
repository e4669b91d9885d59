import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startViewServer, type ViewServer } from '../../src/cli/view-server.ts';
import { motionFrameKinematics, motionToBvh, motionToCsv, motionToGlb, skeletonTopology } from '../../src/export/index.ts';
import type { MotionFile } from '../../src/formats/motion.ts';
import type { KeypointsFile } from '../../src/formats/keypoints.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';
import { writeHumanoidFolder } from '../export/fixtures.ts';
import { buildViewer, CANVAS_STATS, chromiumMissing, launchChromium } from './browser.ts';
import { DEMO_BVH, writeSynthResultFolder } from './result-folder.ts';

const SHOTS = join(PROJECT_ROOT, 'test-output/viewer');
const skip = chromiumMissing();
const FROM_SYNTH = existsSync(DEMO_BVH);
/** Reloads of the same result in the memory loop (two of every three while playing). */
const RELOADS = 8;
if (!FROM_SYNTH) console.warn(`[fixture] ${DEMO_BVH} missing: the viewer test uses the code-built humanoid instead of a synth folder`);

/** A small source video (VP8 test pattern) so the side panel, seeking and range requests are exercised; null if ffmpeg fails. */
async function writeVideo(path: string, seconds: number, width: number, height: number): Promise<boolean> {
  try {
    const ffmpeg = ((await import('@ffmpeg-installer/ffmpeg')) as { default: { path: string } }).default.path;
    execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`,
      '-t', String(seconds), '-c:v', 'libvpx', '-b:v', '200k', '-deadline', 'realtime', '-y', path], { timeout: 60_000 });
    return true;
  } catch (err) {
    console.warn(`[skip] could not make a test video (${(err as Error).message.split('\n')[0]}): video checks skipped`);
    return false;
  }
}

describe.skipIf(skip)('viewer in headless chromium', () => {
  let root: string;
  let viewerDir: string;
  let viewerTemporary = false;
  let browser: Browser;
  let good: { dir: string; server: ViewServer; motion: MotionFile; keypoints: KeypointsFile; video: boolean };
  /** One page on the good folder, shared by the tests below in order (opening a page costs seconds under SwiftShader). */
  let page: Page;
  const servers: ViewServer[] = [];

  const serve = async (dir: string) => {
    const s = await startViewServer(dir, { port: 0, viewerDir });
    servers.push(s);
    return s;
  };
  // A modest viewport: SwiftShader renders on the CPU of a shared 2-core machine.
  const open = async (server: ViewServer, reuse?: Page): Promise<Page> => {
    const page = reuse ?? await browser.newPage({ viewport: { width: 1100, height: 640 }, acceptDownloads: true });
    if (!reuse) page.on('pageerror', (e) => console.warn(`[page error] ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 30_000 });
    return page;
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    root = mkdtempSync(join(tmpdir(), 'om-viewer-e2e-'));
    const dir = join(root, 'squat');
    const r = FROM_SYNTH ? writeSynthResultFolder(dir, { seconds: 2 }) : writeHumanoidFolder(dir, { seconds: 2 });
    const size = r.keypoints.source;
    const [built, video] = await Promise.all([buildViewer(), writeVideo(join(dir, 'clip.webm'), 2.1, size.width, size.height)]);
    viewerDir = built.dir;
    viewerTemporary = built.temporary;
    browser = await launchChromium();
    good = { dir, server: await serve(dir), motion: r.motion, keypoints: r.keypoints, video };
    page = await open(good.server);
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    if (root) rmSync(root, { recursive: true, force: true });
    if (viewerDir && viewerTemporary) rmSync(viewerDir, { recursive: true, force: true });
  });

  it('opens the result: 3D canvas drawn, 2D overlay drawn on the video, no error message', async () => {
    const messages = await page.evaluate(() => window.__viewer.messages);
    expect(messages.filter((m) => m.level === 'error')).toEqual([]);
    expect(await page.evaluate(() => window.__viewer.frameCount)).toBe(good.motion.frames.length);
    const scene = await page.evaluate(CANVAS_STATS, '#scene');
    expect(scene.std).toBeGreaterThan(8);
    expect(scene.colours).toBeGreaterThan(30);
    if (good.video) {
      await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).readyState >= 2, null, { timeout: 15_000 });
      expect(messages.some((m) => /video/.test(m.text))).toBe(false);
    }
    await page.screenshot({ path: join(SHOTS, 'open.png') });
  });

  it('scrubbing shows that frame: label, time, 3D joints, skeleton and 2D keypoints match the files', async () => {
    const target = 37;
    await page.locator('[data-testid=scrub]').fill(String(target));
    await expect.poll(() => page.locator('[data-testid=frame-label]').textContent()).toBe(`frame ${target} / ${good.motion.frames.length - 1}`);
    expect(await page.locator('[data-testid=time-label]').textContent()).toBe(`${(target / good.motion.fps).toFixed(3)} s`);
    const frame = good.motion.frames[target]!;
    for (const k of [0, 11, 15, 24, 27, 32]) {
      const p = await page.evaluate((i) => window.__viewer.jointPosition(i), k);
      expect(p, `landmark ${k}`).not.toBeNull();
      for (let a = 0; a < 3; a++) expect(Math.abs(p![a]! - frame.joints3d[k]![a]!)).toBeLessThan(1e-5);
    }
    const fk = motionFrameKinematics(skeletonTopology(good.motion.skeleton), frame).positions;
    for (let j = 0; j < fk.length; j++) {
      const p = await page.evaluate((i) => window.__viewer.skeletonJointPosition(i), j);
      for (let a = 0; a < 3; a++) expect(Math.abs(p![a]! - fk[j]![a]!)).toBeLessThan(1e-5);
    }
    // The detected keypoints of this frame are drawn (cyan) where keypoints.json puts them.
    const kp = good.keypoints.frames[target]!.keypoints!;
    const visible = kp.map((p, k) => [p, k] as const).filter(([p]) => p[2] >= 0.5);
    const hits = await page.evaluate((pts) => {
      const c = document.getElementById('overlay') as HTMLCanvasElement;
      const ctx = c.getContext('2d')!;
      return pts.map(([x, y]) => {
        const d = ctx.getImageData(Math.round(x) - 3, Math.round(y) - 3, 7, 7).data;
        for (let i = 0; i < d.length; i += 4) if (d[i]! < 110 && d[i + 1]! > 170 && d[i + 2]! > 220) return true;
        return false;
      });
    }, visible.map(([p]) => [p[0], p[1]]));
    expect(hits.filter(Boolean).length).toBeGreaterThanOrEqual(Math.ceil(0.9 * hits.length));
    // Keyboard: arrows step, shift+arrow jumps ten.
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => window.__viewer.frame)).toBe(target + 1);
    await page.keyboard.press('Shift+ArrowLeft');
    expect(await page.evaluate(() => window.__viewer.frame)).toBe(target - 9);
    if (good.video) {
      const want = (target - 9 + 0.5) / good.motion.fps;
      await expect.poll(() => page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).currentTime), { timeout: 10_000 }).toBeCloseTo(want, 2);
    }
    await page.screenshot({ path: join(SHOTS, 'scrub.png') });
  });

  it('play (button and space) advances time; pause stops it', async () => {
    await page.locator('[data-testid=play]').click();
    const t0 = await page.evaluate(() => window.__viewer.time);
    await page.waitForTimeout(800);
    const t1 = await page.evaluate(() => window.__viewer.time);
    expect(await page.evaluate(() => window.__viewer.playing)).toBe(true);
    // The clip loops: the time played is the advance modulo its duration.
    const duration = await page.evaluate(() => window.__viewer.frameCount / window.__viewer.fps);
    expect((t1 - t0 + duration) % duration).toBeGreaterThan(0.1);
    // Playing draws distinct frames with the playback picture (governed resolution), still a real picture.
    const playing = await page.evaluate(() => ({ ...window.__viewer.stats }));
    expect(playing.drawnFrames).toBeGreaterThan(0);
    expect(playing.pixelScale).toBeGreaterThan(0.3);
    expect(playing.pixelScale).toBeLessThanOrEqual(1);
    expect((await page.evaluate(CANVAS_STATS, '#scene')).std).toBeGreaterThan(8);
    await page.screenshot({ path: join(SHOTS, 'play.png') });
    await page.keyboard.press('Space');
    expect(await page.evaluate(() => window.__viewer.playing)).toBe(false);
    const t2 = await page.evaluate(() => window.__viewer.time);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => window.__viewer.time)).toBe(t2);
    // Paused: full resolution again, and the frame shown is the motion.json frame at the paused time.
    const paused = await page.evaluate(() => {
      const c = document.getElementById('scene') as HTMLCanvasElement;
      const ratio = Math.min(2, window.devicePixelRatio || 1);
      return { width: c.width, want: Math.floor(c.clientWidth * ratio), frame: window.__viewer.frame, scale: window.__viewer.stats.pixelScale };
    });
    expect(paused.width).toBe(paused.want);
    expect(paused.scale).toBe(1);
    const shown = good.motion.frames[paused.frame]!;
    for (const k of [0, 15, 27]) {
      const p = await page.evaluate((i) => window.__viewer.jointPosition(i), k);
      for (let a = 0; a < 3; a++) expect(Math.abs(p![a]! - shown.joints3d[k]![a]!)).toBeLessThan(1e-5);
    }
    await page.screenshot({ path: join(SHOTS, 'paused.png') });
    await page.keyboard.press('Space');
    expect(await page.evaluate(() => window.__viewer.playing)).toBe(true);
    await page.keyboard.press('Space');
  });

  it('export buttons download exactly what src/export writes', async () => {
    const expected: Record<string, Uint8Array> = {
      bvh: new TextEncoder().encode(motionToBvh(good.motion)),
      csv: new TextEncoder().encode(motionToCsv(good.motion)),
      glb: await motionToGlb(good.motion),
    };
    for (const format of ['bvh', 'glb', 'csv']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-export=${format}]`)]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`\\.${format}$`));
      const bytes = readFileSync((await download.path())!);
      expect(Buffer.compare(bytes, Buffer.from(expected[format]!)), format).toBe(0);
    }
  });

  it('bad input gives a readable message in the page, never only a blank canvas', async () => {
    const motionText = readFileSync(join(good.dir, 'motion.json'), 'utf8');
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['empty', {}, /no motion\.json in this folder/],
      ['keypoints-only', { 'keypoints.json': readFileSync(join(good.dir, 'keypoints.json'), 'utf8') }, /no motion\.json in this folder.*Still shown: the detected keypoints/],
      ['other-version', { 'motion.json': motionText.replace('optimus-motion/motion@1', 'optimus-motion/motion@2') }, /format version "optimus-motion\/motion@2"; this viewer reads "optimus-motion\/motion@1"/],
      ['truncated', { 'motion.json': motionText.slice(0, Math.floor(motionText.length / 2)) }, /motion\.json is not valid JSON — it looks truncated/],
      ['no-video', { 'motion.json': motionText }, /no source video.*blank \d+×\d+ frame/],
    ];
    for (const [name, files, pattern] of cases) {
      const dir = join(root, name);
      mkdirSync(dir);
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      page = await open(await serve(dir), page);
      const box = page.locator('[data-testid=messages]');
      expect(await box.isVisible(), name).toBe(true);
      expect(await box.textContent(), name).toMatch(pattern);
      expect((await page.evaluate(CANVAS_STATS, '#scene')).std, name).toBeGreaterThan(2);
      await page.screenshot({ path: join(SHOTS, `bad-${name}.png`) });
      if (name === 'empty') {
        // The file picker opens a result without server data.
        await page.setInputFiles('#file-input', [join(good.dir, 'motion.json'), join(good.dir, 'keypoints.json')]);
        await page.waitForFunction(() => window.__viewer.ready && window.__viewer.frameCount > 0, null, { timeout: 20_000 });
        expect(await page.evaluate(() => window.__viewer.frameCount)).toBe(good.motion.frames.length);
        expect(await page.locator('[data-export=glb]').isEnabled()).toBe(true);
      }
    }
  });

  it('static viewer without the server: shows the drop zone and opens picked files', async () => {
    // Any static host: only the built files, no /api/manifest, no data/.
    const server = createServer((req, res) => {
      const path = join(viewerDir, req.url === '/' ? 'index.html' : (req.url ?? '').split('?')[0]!.replace(/\.\./g, ''));
      if (!existsSync(path)) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, { 'Content-Type': path.endsWith('.js') ? 'text/javascript' : path.endsWith('.css') ? 'text/css' : 'text/html' });
      res.end(readFileSync(path));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 30_000 });
      expect(await page.locator('#dropzone').isVisible()).toBe(true);
      expect(await page.locator('[data-testid=messages]').textContent()).toMatch(/No result folder is being served: drop motion\.json/);
      await page.setInputFiles('#file-input', ['motion.json', 'keypoints.json', 'truth.json', 'kinematic.json'].map((f) => join(good.dir, f)));
      await page.waitForFunction(() => window.__viewer.ready && window.__viewer.frameCount > 0, null, { timeout: 20_000 });
      expect(await page.locator('#dropzone').isVisible()).toBe(false);
      await page.locator('[data-testid=scrub]').fill('12');
      const p = await page.evaluate(() => window.__viewer.jointPosition(27));
      for (let a = 0; a < 3; a++) expect(Math.abs(p![a]! - good.motion.frames[12]!.joints3d[27]![a]!)).toBeLessThan(1e-5);
      // Opening the same result again, paused or while playing (meshes then wear the playback
      // look), frees the previous scene: geometries, textures, programs and materials do not grow.
      const picked = ['motion.json', 'keypoints.json', 'truth.json', 'kinematic.json'].map((f) => join(good.dir, f));
      const reopen = async (playing: boolean) => {
        if (playing) {
          await page.evaluate(() => window.__viewer.play());
          await page.waitForTimeout(300);
        }
        await page.setInputFiles('#file-input', picked);
        await page.waitForFunction(() => window.__viewer.ready && window.__viewer.frameCount > 0 && !window.__viewer.playing, null, { timeout: 20_000 });
        await page.evaluate(() => window.__viewer.renderMs(1));
        return page.evaluate(() => window.__viewer.gpuMemory());
      };
      const first = await reopen(false);
      expect(first.geometries).toBeGreaterThan(0);
      expect(first.materialsOnPrograms).toBeGreaterThan(0);
      // A reload loop, mostly while playing: every count stays where the first reload left it.
      const counts = [];
      for (let k = 0; k < RELOADS; k++) counts.push(await reopen(k % 3 !== 2));
      expect(counts).toEqual(counts.map(() => first));
      await page.screenshot({ path: join(SHOTS, 'static-picked.png') });
    } finally {
      await new Promise<void>((ok) => { server.close(() => ok()); server.closeAllConnections(); });
    }
  });
});
