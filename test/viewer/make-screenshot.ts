/**
 * Regenerates viewer/screenshot.png for the README: a synth result folder
 * (data/demo-squat.bvh) at mid-squat in headless chromium.
 * Run: npx tsx test/viewer/make-screenshot.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewServer } from '../../src/cli/view-server.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';
import { buildViewer, chromiumMissing, launchChromium } from './browser.ts';
import { writeSynthResultFolder } from './result-folder.ts';

if (chromiumMissing()) process.exit(1);
const root = mkdtempSync(join(tmpdir(), 'om-shot-'));
const dir = join(root, 'demo-squat');
writeSynthResultFolder(dir, { seconds: 3, width: 1280, height: 720 });
const viewer = await buildViewer();
const server = await startViewServer(dir, { port: 0, viewerDir: viewer.dir });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 820 } });
  await page.goto(server.url + '?quality');
  await page.waitForFunction('window.__viewer && window.__viewer.ready === true');
  await page.evaluate(`window.__viewer.setFrame(Number(${process.env.FRAME ?? 24}))`);
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(PROJECT_ROOT, 'viewer/screenshot.png') });
  console.log('viewer/screenshot.png');
} finally {
  await browser.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
  if (viewer.temporary) rmSync(viewer.dir, { recursive: true, force: true });
}
