import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startViewServer, type ViewServer } from '../../src/cli/view-server.ts';
import type { MotionFile } from '../../src/formats/motion.ts';
import { ARROW_PER_WEIGHT } from '../../viewer/src/forces.ts';
import { buildViewer, chromiumMissing, launchChromium } from './browser.ts';
import { DEMO_BVH, writeSynthResultFolder } from './result-folder.ts';

const skip = chromiumMissing() || !existsSync(DEMO_BVH);
if (!existsSync(DEMO_BVH)) console.warn(`[skip] ${DEMO_BVH} missing: the force-arrow check needs the synth result folder`);

const MASS = 70;
const WEIGHT = MASS * 9.81;

/**
 * A physics result with measured forces: the ground carries the weight, shared by the feet in
 * contact, and a residual pushes on the pelvis in every other frame (up, 20 % of body weight).
 */
function withForces(motion: MotionFile): MotionFile {
  const frames = motion.frames.map((f, t) => {
    const feet = Number(f.contacts.leftFoot) + Number(f.contacts.rightFoot);
    const share = feet ? WEIGHT / feet : 0;
    return {
      ...f,
      groundForce: { leftFoot: f.contacts.leftFoot ? share : 0, rightFoot: f.contacts.rightFoot ? share : 0 },
      residual: { force: [0, t % 2 ? 0.2 * WEIGHT : 0, 0] as [number, number, number], torque: [0, 0, 0] as [number, number, number] },
    };
  });
  const accounting = {
    massKg: MASS, residual: { meanN: 0.1 * WEIGHT, meanNm: 0, meanPctBodyWeight: 10, maxPctBodyWeight: 20, framesAbove10Pct: frames.length / 2 },
    contactSupportPct: 100, restarts: 0, falls: 0, simulatedFrames: frames.length,
  };
  return { ...motion, frames, stages: { ...motion.stages, physics: { ...motion.stages!.physics!, accounting } } };
}

describe.skipIf(skip)('viewer force arrows in headless chromium', () => {
  let root: string;
  let viewerDir: string;
  let viewerTemporary = false;
  let browser: Browser;
  let server: ViewServer;
  let page: Page;
  let motion: MotionFile;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'om-viewer-forces-'));
    const dir = join(root, 'squat');
    writeSynthResultFolder(dir, { seconds: 1 });
    motion = withForces(JSON.parse(readFileSync(join(dir, 'motion.json'), 'utf8')) as MotionFile);
    writeFileSync(join(dir, 'motion.json'), JSON.stringify(motion));
    const built = await buildViewer();
    viewerDir = built.dir;
    viewerTemporary = built.temporary;
    browser = await launchChromium();
    server = await startViewServer(dir, { port: 0, viewerDir });
    page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
    await page.goto(server.url);
    await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    if (viewerDir && viewerTemporary) rmSync(viewerDir, { recursive: true, force: true });
  });

  it('draws the ground force at each foot in contact, scaled to body weight, and the residual where there is one', async () => {
    const withContact = motion.frames.findIndex((f) => f.contacts.leftFoot || f.contacts.rightFoot);
    expect(withContact).toBeGreaterThanOrEqual(0);
    let checked = 0;
    for (let t = withContact; t < Math.min(motion.frames.length, withContact + 4); t++) {
      await page.evaluate((i) => window.__viewer.setFrame(i), t);
      const arrows = await page.evaluate(() => window.__viewer.forceArrows());
      expect(arrows).not.toBeNull();
      const f = motion.frames[t]!;
      for (const side of ['leftFoot', 'rightFoot'] as const) {
        expect(arrows![side].visible).toBe(f.contacts[side]);
        if (f.contacts[side]) expect(arrows![side].length).toBeCloseTo((ARROW_PER_WEIGHT * f.groundForce![side]) / WEIGHT, 5);
      }
      expect(arrows!.residual.visible).toBe(t % 2 === 1);
      if (t % 2) expect(arrows!.residual.length).toBeCloseTo(0.2 * ARROW_PER_WEIGHT, 5);
      checked++;
    }
    expect(checked).toBeGreaterThan(1);
    // The force plot has lines: some pixels differ from its background.
    const drawn = await page.evaluate(() => {
      const c = document.getElementById('force-plot') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! > 200 && d[i + 1]! > 120 && d[i + 2]! < 80) lit++;
      return lit;
    });
    expect(drawn).toBeGreaterThan(20);
    // The page says how physical the result is: a residual held the body, so not fully physical.
    const messages = await page.evaluate(() => window.__viewer.messages);
    expect(messages.filter((m) => m.level === 'warning' && /residual force 10\.0 % of body weight.*0 restarts, 0 falls.*not fully physical/.test(m.text))).toHaveLength(1);
  }, 60_000);
});
