import { readKeypoints } from '../src/formats/keypoints.ts';
import { readTruth } from '../src/formats/truth.ts';
import { prepareObservations } from '../src/reconstruct/observations.ts';
import { buildScene } from '../src/reconstruct/scene.ts';
import { runKinematic } from '../src/reconstruct/kinematic.ts';
import { worldToCamera } from '../src/geometry/camera.ts';
import { initBackend } from '../src/optimus/backend.ts';
await initBackend('wasm');
const dir = process.argv[2]!;
const kp = readKeypoints(`${dir}/keypoints.json`);
kp.frames = kp.frames.slice(0, 36);
const truth = readTruth(`${dir}/truth.json`);
const obs = prepareObservations(kp, 'x');
const scene = buildScene(obs, kp.camera, 'x');
const inCam = (frames: any[][], c: any) => frames.map((f) => f.map((p: any) => worldToCamera(c, p)));
const mp = (a: any[][], b: any[][]) => { let s = 0, n = 0; a.forEach((f, t) => { const ra = f[23].map((v: number, i: number) => (v + f[24][i]) / 2); const g = b[t]!; const rb = g[23].map((v: number, i: number) => (v + g[24][i]) / 2); for (const j of [11,12,13,14,15,16,23,24,25,26,27,28]) { s += Math.hypot(...[0,1,2].map((i) => f[j][i] - ra[i] - (g[j][i] - rb[i]))); n++; } }); return 1000 * s / n; };
const tc = inCam(truth.frames.slice(0, 36).map((f) => f.joints3d), truth.camera);
for (const [ii, it] of [[15, 20]]) {
  const r = runKinematic(obs, scene, { optimizer: process.argv[3] ?? 'lbfgs', initIterations: ii, iterations: it });
  const rc = inCam(r.landmarks, scene.camera); console.log(ii, it, 'mpjpe', mp(rc, tc).toFixed(1), [20, 24, 28, 32].map((t) => mp([rc[t]], [tc[t]]).toFixed(0)).join(','), 'init', [20,24,28,32].map((t) => mp([inCam(scene.initWorld, scene.camera)[t]], [tc[t]]).toFixed(0)).join(','));
}
