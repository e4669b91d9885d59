/**
 * Viewer benchmark (`npm run bench:viewer`): opens a 10 s / 30 fps result in
 * headless chromium several times and reports the median time from navigation
 * to the first drawn frame (target < 2 s) and the play rate (clip frames shown
 * per second of wall time while playing at 1×; target = the clip's fps).
 * Writes test-output/viewer/bench.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewServer } from '../../src/cli/view-server.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';
import { writeHumanoidFolder } from '../export/fixtures.ts';
import { buildViewer, chromiumMissing, launchChromium } from './browser.ts';
import { DEMO_BVH, writeSynthResultFolder } from './result-folder.ts';
import { existsSync } from 'node:fs';

const RUNS = Number(process.env.RUNS ?? 5);
const SECONDS = 10;
const PLAY_MS = 3000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (chromiumMissing()) process.exit(0);
const root = mkdtempSync(join(tmpdir(), 'om-viewer-bench-'));
const dir = join(root, 'result');
const fixture = existsSync(DEMO_BVH) ? 'synth data/demo-squat.bvh' : 'code-built humanoid';
const r = existsSync(DEMO_BVH) ? writeSynthResultFolder(dir, { seconds: SECONDS, width: 1280, height: 720 }) : writeHumanoidFolder(dir, { seconds: SECONDS });
const viewer = await buildViewer();
const server = await startViewServer(dir, { port: 0, viewerDir: viewer.dir });
const browser = await launchChromium();
const rows: Array<{ openMs: number; loadMs: number; playFps: number; drawFps: number }> = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(server.url);
    await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 60_000 });
    const { openMs, loadMs } = await page.evaluate(() => ({ openMs: window.__viewer.openMs, loadMs: window.__viewer.loadMs }));
    await page.evaluate(() => window.__viewer.play());
    await page.waitForTimeout(PLAY_MS);
    const s = await page.evaluate(() => { window.__viewer.pause(); return { ...window.__viewer.stats }; });
    rows.push({ openMs, loadMs, playFps: (1000 * s.advancedFrames) / s.playMs, drawFps: (1000 * s.drawnFrames) / s.playMs });
    console.log(`run ${run + 1}: open ${openMs.toFixed(0)} ms (load+build ${loadMs.toFixed(0)} ms), play ${rows.at(-1)!.playFps.toFixed(1)} clip frames/s, ${rows.at(-1)!.drawFps.toFixed(1)} draws/s`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
  if (viewer.temporary) rmSync(viewer.dir, { recursive: true, force: true });
}
const summary = {
  fixture, frames: r.motion.frames.length, fps: r.motion.fps, runs: RUNS,
  medianOpenMs: median(rows.map((x) => x.openMs)), medianLoadMs: median(rows.map((x) => x.loadMs)),
  medianPlayFps: median(rows.map((x) => x.playFps)), medianDrawFps: median(rows.map((x) => x.drawFps)),
  targets: { openMs: 2000, playFps: r.motion.fps }, rows,
};
mkdirSync(join(PROJECT_ROOT, 'test-output/viewer'), { recursive: true });
writeFileSync(join(PROJECT_ROOT, 'test-output/viewer/bench.json'), JSON.stringify(summary, null, 2));
console.log(`median open ${summary.medianOpenMs.toFixed(0)} ms (target < 2000), play ${summary.medianPlayFps.toFixed(1)} clip frames/s at 1× (target ${r.motion.fps}), ${summary.medianDrawFps.toFixed(1)} draws/s`);
