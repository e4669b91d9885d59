/**
 * Viewer benchmark (`npm run bench:viewer`): opens a 10 s / 30 fps result in
 * headless chromium several times and reports the median time from navigation
 * to the first drawn frame (target < 2 s) and the play rate (distinct clip
 * frames drawn to the 3D canvas per second of wall time while playing at 1×;
 * target = the clip's fps). Chromium runs with the flags of browser.ts
 * (SwiftShader WebGL, software compositing, no 60 Hz frame clock). Next to each
 * rate: the load average (other jobs share the 2 cores) and chromium's CPU
 * milliseconds per drawn frame (much less load-dependent than the rate).
 * Env: RUNS (default 5), PLAY_MS (default 3000), QUERY (e.g. `?quality` for the
 * full-quality picture while playing), VSYNC=1 (keep chromium's 60 Hz frame
 * clock), VIEWER_DIR (another built viewer, for before/after comparisons).
 * Writes test-output/viewer/bench.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewServer } from '../../src/cli/view-server.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';
import { writeHumanoidFolder } from '../export/fixtures.ts';
import { buildViewer, CHROMIUM_ARGS, chromiumMissing, launchChromium, UNTHROTTLED_FRAMES } from './browser.ts';
import { childCpuSeconds } from './process-cpu.ts';

const RUNS = Number(process.env.RUNS ?? 5);
const SECONDS = 10;
const PLAY_MS = Number(process.env.PLAY_MS ?? 3000);
const QUERY = process.env.QUERY ?? '';
const ARGS = process.env.VSYNC ? CHROMIUM_ARGS.filter((a) => !UNTHROTTLED_FRAMES.includes(a)) : CHROMIUM_ARGS;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (chromiumMissing()) process.exit(0);
const root = mkdtempSync(join(tmpdir(), 'om-viewer-bench-'));
const dir = join(root, 'result');
// data/demo-squat.bvh is only ~4 s long, so the 10 s result is the code-built squatting humanoid
// (motion, kinematic, truth, keypoints at 1280×720; same files and sizes per frame as a synth folder).
const fixture = 'code-built humanoid (test/export/fixtures.ts)';
const r = writeHumanoidFolder(dir, { seconds: SECONDS, width: 1280, height: 720 });
const viewer = process.env.VIEWER_DIR ? { dir: process.env.VIEWER_DIR, temporary: false } : await buildViewer();
const server = await startViewServer(dir, { port: 0, viewerDir: viewer.dir });
const browser = await launchChromium(ARGS);
interface Row {
  openMs: number; loadMs: number; timings: Record<string, number>; clockFps: number; shownFps: number;
  /** Load average (1 min) when the run ended. */
  load: number;
  /** Drawing-buffer scale the frame governor ended at (1 = full resolution). */
  pixelScale: number;
  /** Chromium CPU ms per drawn frame while playing, by process type (null without /proc). */
  cpuMsPerFrame: Record<string, number> | null;
}
const rows: Row[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(server.url + QUERY);
    await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 60_000 });
    const { openMs, loadMs, timings } = await page.evaluate(() => ({ openMs: window.__viewer.openMs, loadMs: window.__viewer.loadMs, timings: window.__viewer.timings }));
    const cpu0 = childCpuSeconds();
    await page.evaluate(() => window.__viewer.play());
    await page.waitForTimeout(PLAY_MS);
    const s = await page.evaluate(() => { const st = { ...window.__viewer.stats }; window.__viewer.pause(); return st; });
    const cpu1 = childCpuSeconds();
    const cpuMsPerFrame = cpu0 && cpu1 && s.drawnFrames > 0
      ? Object.fromEntries(Object.keys(cpu1).map((k) => [k, (1000 * (cpu1[k]! - (cpu0[k] ?? 0))) / s.drawnFrames]))
      : null;
    rows.push({
      openMs, loadMs, timings, clockFps: (1000 * s.advancedFrames) / s.playMs, shownFps: (1000 * s.drawnFrames) / s.playMs,
      load: loadavg()[0]!, pixelScale: s.pixelScale ?? Number.NaN, cpuMsPerFrame,
    });
    const row = rows.at(-1)!;
    const cpuText = cpuMsPerFrame ? `; chromium CPU ${Object.entries(cpuMsPerFrame).filter(([, v]) => v >= 0.5).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} ms/frame` : '';
    console.log(`run ${run + 1}: open ${openMs.toFixed(0)} ms (fetch+parse ${timings.load?.toFixed(0)}, scene ${timings.scene?.toFixed(0)}, first frame ${timings.firstFrame?.toFixed(0)} ms); play: clip clock ${row.clockFps.toFixed(1)} frames/s, frames shown ${row.shownFps.toFixed(1)}/s at scale ${row.pixelScale.toFixed(2)}${cpuText}; load ${row.load.toFixed(1)}`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
  if (viewer.temporary) rmSync(viewer.dir, { recursive: true, force: true });
}
const cpuTotals = rows.flatMap((x) => (x.cpuMsPerFrame ? [Object.values(x.cpuMsPerFrame).reduce((a, b) => a + b, 0)] : []));
const summary = {
  fixture, chromiumArgs: ARGS, viewer: process.env.VIEWER_DIR ?? 'this tree', query: QUERY, viewport: { width: 1400, height: 800 }, playMs: PLAY_MS,
  loadAverage: loadavg()[0], frames: r.motion.frames.length, fps: r.motion.fps, runs: RUNS,
  medianOpenMs: median(rows.map((x) => x.openMs)), medianLoadMs: median(rows.map((x) => x.loadMs)),
  medianClockFps: median(rows.map((x) => x.clockFps)), medianShownFps: median(rows.map((x) => x.shownFps)),
  medianLoad: median(rows.map((x) => x.load)),
  medianCpuMsPerFrame: cpuTotals.length ? median(cpuTotals) : null,
  targets: { openMs: 2000, shownFps: r.motion.fps }, rows,
};
mkdirSync(join(PROJECT_ROOT, 'test-output/viewer'), { recursive: true });
writeFileSync(join(PROJECT_ROOT, 'test-output/viewer/bench.json'), JSON.stringify(summary, null, 2));
const cpuSummary = summary.medianCpuMsPerFrame === null ? '' : `, chromium CPU ${summary.medianCpuMsPerFrame.toFixed(1)} ms per drawn frame (all processes)`;
console.log(`median open ${summary.medianOpenMs.toFixed(0)} ms (target < 2000); at 1× the clip clock runs at ${summary.medianClockFps.toFixed(1)} frames/s and ${summary.medianShownFps.toFixed(1)} distinct frames/s are drawn (target ${r.motion.fps})${cpuSummary}; median load average ${summary.medianLoad.toFixed(1)} on ${cpus().length} cores`);
