import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewServer } from '../../src/cli/view-server.ts';
import { writeHumanoidFolder } from '../export/fixtures.ts';
import { buildViewer, launchChromium } from './browser.ts';
const root = mkdtempSync(join(tmpdir(), 'om-probe-'));
const dir = join(root, 'result');
writeHumanoidFolder(dir, { seconds: 10, width: 1280, height: 720 });
const viewer = await buildViewer();
const server = await startViewServer(dir, { port: 0, viewerDir: viewer.dir });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  await page.goto(server.url + (process.env.Q ?? ''));
  await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 60_000 });
  const r = await page.evaluate(`(async () => {
    const raf = () => new Promise((res) => requestAnimationFrame(res));
    const t0 = performance.now(); let n = 0;
    while (performance.now() - t0 < 2000) { await raf(); n++; }
    const idleRaf = n / 2;
    const renderMs = window.__viewer.renderMs(10);
    const s0 = performance.now();
    for (let i = 0; i < 30; i++) window.__viewer.setFrame(i);
    const seekMs = (performance.now() - s0) / 30;
    return { idleRaf, renderMs, seekMs };
  })()`);
  console.log(JSON.stringify(r));
  const tr = await page.evaluate(`(async () => {
    // rAF rate with a render per frame
    const raf = () => new Promise((res) => requestAnimationFrame(res));
    window.__viewer.play();
    const t0 = performance.now(); let n = 0; const gaps = []; let last = t0;
    while (performance.now() - t0 < 2000) { await raf(); n++; const t = performance.now(); gaps.push(t - last); last = t; }
    window.__viewer.pause();
    gaps.sort((a, b) => a - b);
    return { playRaf: n / 2, medianGap: gaps[gaps.length >> 1], stats: window.__viewer.stats };
  })()`);
  console.log(JSON.stringify(tr));
} finally {
  await browser.close(); await server.close(); rmSync(root, { recursive: true, force: true });
  if (viewer.temporary) rmSync(viewer.dir, { recursive: true, force: true });
}
