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
  await page.goto(server.url);
  await page.waitForFunction(() => window.__viewer?.ready === true, null, { timeout: 60_000 });
  const r = await page.evaluate(`(async () => {
    const app = window.__app; const s = app.scene; const gl = s.renderer.getContext(); const px = new Uint8Array(4);
    const time = (f) => { f(); gl.readPixels(0,0,1,1,gl.RGBA,gl.UNSIGNED_BYTE,px); const t = performance.now(); for (let k = 0; k < 4; k++) { f(); gl.readPixels(0,0,1,1,gl.RGBA,gl.UNSIGNED_BYTE,px); } return ((performance.now() - t) / 4).toFixed(1); };
    const out = {};
    const T = window.__THREE; const ground = s.content.children[0]; const stdMat = ground.material;
    const R = () => s.renderer.render(s.scene, s.camera);
    out.full = time(R);
    ground.receiveShadow = false; ground.material.needsUpdate = true; out.groundNoRecv = time(R); ground.receiveShadow = true; ground.material.needsUpdate = true;
    ground.material = new T.MeshBasicMaterial({ color: 0x20252d }); out.groundBasic = time(R);
    ground.material = stdMat; out.fullAgain = time(R);
    const sun = s.scene.children.find((c) => c.isDirectionalLight);
    sun.shadow.mapSize.set(512, 512); sun.shadow.map?.dispose(); sun.shadow.map = null; out.shadow512 = time(R);
    s.renderer.shadowMap.type = T.BasicShadowMap; s.renderer.shadowMap.needsUpdate = true; s.scene.traverse((o) => { if (o.material) o.material.needsUpdate = true; }); out.basicShadow = time(R);
    s.renderer.setPixelRatio(0.5); s.resize(); out.basicShadowHalf = time(R);
    s.renderer.shadowMap.type = T.PCFShadowMap; s.scene.traverse((o) => { if (o.material) o.material.needsUpdate = true; }); out.pcfHalf = time(R);
    sun.shadow.mapSize.set(1024, 1024); sun.shadow.map?.dispose(); sun.shadow.map = null; out.pcf1024Half = time(R);
    return out;
  })()`);
  console.log(JSON.stringify(r, null, 1));
} finally {
  await browser.close(); await server.close(); rmSync(root, { recursive: true, force: true });
  if (viewer.temporary) rmSync(viewer.dir, { recursive: true, force: true });
}
