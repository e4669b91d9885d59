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
const { chromium } = await import('playwright-core'); const { CHROMIUM, CHROMIUM_ARGS } = await import('./browser.ts'); const extra = (process.env.FLAGS ?? '').split(' ').filter(Boolean); const base = process.env.NODISABLE ? CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu') : CHROMIUM_ARGS; const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...base, ...extra] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  await page.goto(server.url);
  await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 60_000 });
  for (const mode of (process.env.MODES ?? 'none,scene,overlay,plot,label,all').split(',')) {
    const r = await page.evaluate(`(async () => {
      const mode = ${JSON.stringify(mode)};
      const app = window.__app;
      const raf = () => new Promise((res) => requestAnimationFrame(res));
      const t0 = performance.now(); let n = 0; let i = 0;
      const ov = document.getElementById('overlay'); const ctx = ov.getContext('2d');
      const fp = document.getElementById('frame-plot'); const fctx = fp.getContext('2d');
      while (performance.now() - t0 < 2000) {
        await raf(); n++; i++;
        if (mode === 'scene') { app.scene.setFrame(i % 300); app.scene.renderIfNeeded(); }
        if (mode === 'overlay') { app.panel.draw(i % 300); }
        if (mode === 'plot') { app.drawPlots(); }
        if (mode === 'label') { document.getElementById('frame-label').textContent = 'frame ' + i; }
        if (mode === 'noshadow') { app.scene.renderer.shadowMap.enabled = false; app.scene.setFrame(i % 300); app.scene.renderIfNeeded(); }
        if (mode === 'shadowonce') { app.scene.renderer.shadowMap.enabled = true; app.scene.renderer.shadowMap.autoUpdate = false; app.scene.setFrame(i % 300); app.scene.renderIfNeeded(); }
        if (mode === 'half') { app.scene.renderer.shadowMap.autoUpdate = true; if (n === 1) { app.scene.renderer.setPixelRatio(0.5); app.scene.resize(); } app.scene.setFrame(i % 300); app.scene.renderIfNeeded(); }
        if (mode === 'clear') { const gl = app.scene.renderer.getContext(); gl.clearColor(i%2,0,0,1); gl.clear(gl.COLOR_BUFFER_BIT); }
        if (n === 1 && mode.startsWith('pr')) { const [pr, g, sh] = mode.slice(2).split('_'); app.scene.renderer.setPixelRatio(Number(pr)); app.scene.resize();
          const ground = app.scene.content.children[0]; if (g === 'basic') ground.material = new window.__THREE.MeshBasicMaterial({ color: 0x20252d }); 
          if (sh === 'off') { app.scene.renderer.shadowMap.enabled = false; app.scene.scene.traverse((o) => { if (o.material) o.material.needsUpdate = true; }); } }
        if (mode.startsWith('pr')) { app.seek(i % 300); app.scene.renderIfNeeded(); }
        if (mode === 'all') { app.seek(i % 300); app.scene.renderIfNeeded(); }
      }
      const gl = app.scene.renderer.getContext(); const e = gl.getExtension('WEBGL_debug_renderer_info'); const px = new Uint8Array(4); let t1 = performance.now(); for (let k = 0; k < 5; k++) { app.scene.renderer.render(app.scene.scene, app.scene.camera); gl.readPixels(0,0,1,1,gl.RGBA,gl.UNSIGNED_BYTE,px); } const syncMs = (performance.now()-t1)/5; return { mode, rafPerS: n / 2, syncMs, size: [gl.drawingBufferWidth, gl.drawingBufferHeight], gl: e ? gl.getParameter(e.UNMASKED_RENDERER_WEBGL) : '?' };
    })()`);
    console.log(JSON.stringify(r));
  }
} finally {
  await browser.close(); await server.close(); rmSync(root, { recursive: true, force: true });
  if (viewer.temporary) rmSync(viewer.dir, { recursive: true, force: true });
}
