/**
 * Viewer benchmark (`npm run bench:viewer`): opens a 10 s / 30 fps result in
 * headless chromium several times and reports the median time from navigation
 * to the first drawn frame (target < 2 s) and the play rate (distinct clip
 * frames drawn per second of wall time while playing at 1×; target = the clip's fps).
 * Writes test-output/viewer/bench.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewServer } from '../../src/cli/view-server.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';
import { writeHumanoidFolder } from '../export/fixtures.ts';
import { buildViewer, chromiumMissing, launchChromium } from './browser.ts';

const RUNS = Number(process.env.RUNS ?? 5);
const SECONDS = 10;
const PLAY_MS = 3000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (chromiumMissing()) process.exit(0);
const root = mkdtempSync(join(tmpdir(), 'om-viewer-bench-'));
const dir = join(root, 'result');
// data/demo-squat.bvh is only ~4 s long, so the 10 s result is the code-built squatting humanoid
// (motion, kinematic, truth, keypoints at 1280×720; same files and sizes per frame as a synth folder).
const fixture = 'code-built humanoid (test/export/fixtures.ts)';
const r = writeHumanoidFolder(dir, { seconds: SECONDS, width: 1280, height: 720 });
const viewer = await buildViewer();
const server = await startViewServer(dir, { port: 0, viewerDir: viewer.dir });
const browser = await launchChromium();
const rows: Array<{ openMs: number; loadMs: number; timings: Record<string, number>; clockFps: number; shownFps: number }> = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(server.url);
    await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 60_000 });
    const { openMs, loadMs, timings } = await page.evaluate(() => ({ openMs: window.__viewer.openMs, loadMs: window.__viewer.loadMs, timings: window.__viewer.timings }));
    await page.evaluate(() => window.__viewer.play());
    await page.waitForTimeout(PLAY_MS);
    const s = await page.evaluate(() => { window.__viewer.pause(); return { ...window.__viewer.stats }; });
    rows.push({ openMs, loadMs, timings, clockFps: (1000 * s.advancedFrames) / s.playMs, shownFps: (1000 * s.drawnFrames) / s.playMs });
    const row = rows.at(-1)!;
    console.log(`run ${run + 1}: open ${openMs.toFixed(0)} ms (fetch+parse ${timings.load?.toFixed(0)}, scene ${timings.scene?.toFixed(0)}, first frame ${timings.firstFrame?.toFixed(0)} ms); play: clip clock ${row.clockFps.toFixed(1)} frames/s, frames shown ${row.shownFps.toFixed(1)}/s`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
  if (viewer.temporary) rmSync(viewer.dir, { recursive: true, force: true });
}
const summary = {
  fixture, loadAverage: loadavg()[0], frames: r.motion.frames.length, fps: r.motion.fps, runs: RUNS,
  medianOpenMs: median(rows.map((x) => x.openMs)), medianLoadMs: median(rows.map((x) => x.loadMs)),
  medianClockFps: median(rows.map((x) => x.clockFps)), medianShownFps: median(rows.map((x) => x.shownFps)),
  targets: { openMs: 2000, shownFps: r.motion.fps }, rows,
};
mkdirSync(join(PROJECT_ROOT, 'test-output/viewer'), { recursive: true });
writeFileSync(join(PROJECT_ROOT, 'test-output/viewer/bench.json'), JSON.stringify(summary, null, 2));
console.log(`median open ${summary.medianOpenMs.toFixed(0)} ms (target < 2000); at 1× the clip clock runs at ${summary.medianClockFps.toFixed(1)} frames/s and ${summary.medianShownFps.toFixed(1)} distinct frames/s are drawn (target ${r.motion.fps}); load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
