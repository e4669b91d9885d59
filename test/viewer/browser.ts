import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';
import type { ViewerHandle } from '../../viewer/src/handle.ts';

/** What the viewer page exposes for tests (viewer/src/handle.ts). */
declare global { interface Window { __viewer: ViewerHandle } }

/** Debian's chromium (apt install chromium); playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launch flags that render three.js WebGL2 headless with SwiftShader (docs/platform-notes.md):
 * WebGL runs on ANGLE → Vulkan → SwiftShader (CPU), the page is composited in
 * software. The last two flags lift headless chromium's 60 Hz frame clock: a
 * frame then shows when it is ready instead of at the next 16.7 ms tick (a
 * 35 ms frame would otherwise wait until 50 ms). A real display keeps its vsync.
 */
export const UNTHROTTLED_FRAMES = ['--disable-gpu-vsync', '--disable-frame-rate-limit'];
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ...UNTHROTTLED_FRAMES,
];

export function chromiumMissing(): boolean {
  if (existsSync(CHROMIUM)) return false;
  console.warn(`[skip] ${CHROMIUM} not found: browser tests of the viewer are skipped (apt-get install -y chromium)`);
  return true;
}

export async function launchChromium(args: string[] = CHROMIUM_ARGS): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args });
}

/** Newest modification time of the files the viewer bundle is built from. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of ['viewer/src', 'src/export', 'src/formats', 'src/geometry']) walk(join(PROJECT_ROOT, d));
  for (const f of ['viewer/index.html', 'viewer/vite.config.ts', 'src/errors.ts']) newest = Math.max(newest, statSync(join(PROJECT_ROOT, f)).mtimeMs);
  return newest;
}

/**
 * The built viewer: viewer/dist when it is newer than every source it is built
 * from, else a fresh build into a temporary folder (tests never see a stale bundle).
 */
export async function buildViewer(): Promise<{ dir: string; temporary: boolean }> {
  const dist = join(PROJECT_ROOT, 'viewer/dist/index.html');
  if (existsSync(dist) && statSync(dist).mtimeMs > newestSource()) return { dir: join(PROJECT_ROOT, 'viewer/dist'), temporary: false };
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'om-viewer-dist-'));
  await build({ configFile: join(PROJECT_ROOT, 'viewer/vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  return { dir: outDir, temporary: true };
}

/** Luminance spread and colour count of a canvas, read in the page (WebGL canvas with preserveDrawingBuffer). */
export const CANVAS_STATS = (selector: string) => {
  const src = document.querySelector(selector) as HTMLCanvasElement;
  const c = document.createElement('canvas');
  c.width = src.width;
  c.height = src.height;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(src, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let sum = 0;
  let sum2 = 0;
  const colours = new Set<number>();
  const n = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const l = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
    sum += l;
    sum2 += l * l;
    colours.add(((data[i]! >> 4) << 8) | ((data[i + 1]! >> 4) << 4) | (data[i + 2]! >> 4));
  }
  const mean = sum / n;
  return { width: c.width, height: c.height, std: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), colours: colours.size };
};
