import { readKeypoints } from '../src/formats/keypoints.ts';
import { readTruth } from '../src/formats/truth.ts';
import { readMotion } from '../src/formats/motion.ts';
import { prepareObservations } from '../src/reconstruct/observations.ts';
import { buildScene } from '../src/reconstruct/scene.ts';
import { worldToCamera } from '../src/geometry/camera.ts';
const dir = process.argv[2]!;
const kp = readKeypoints(`${dir}/keypoints.json`);
const truth = readTruth(`${dir}/truth.json`);
const obs = prepareObservations(kp, 'x');
const scene = buildScene(obs, kp.camera, 'x');
const tcam = { ...truth.camera } as any;
console.log('truth cam', truth.camera.position, 'ours', scene.camera.position, 'ground', scene.ground, 'height', scene.skel.height, (truth as any).subject);
const inCam = (frames: any[][], c: any) => frames.map((f) => f.map((p: any) => worldToCamera(c, p)));
const mp = (a: any[][], b: any[][]) => { let s = 0, n = 0; a.forEach((f, t) => { const ra = f[23].map((v: number, i: number) => (v + f[24][i]) / 2); const g = b[t]!; const rb = g[23].map((v: number, i: number) => (v + g[24][i]) / 2); for (const j of [11,12,13,14,15,16,23,24,25,26,27,28]) { s += Math.hypot(...[0,1,2].map((i) => f[j][i] - ra[i] - (g[j][i] - rb[i]))); n++; } }); return 1000 * s / n; };
const tc = inCam(truth.frames.map((f) => f.joints3d), tcam);
console.log('init cam-frame mpjpe', mp(inCam(scene.initWorld, scene.camera), tc), 'world-frame', mp(scene.initWorld, truth.frames.map((f) => f.joints3d)));
for (const f of ['run/kinematic.json', 'run/motion.json']) {
  try { const m = readMotion(`${dir}/${f}`); console.log(f, 'cam-frame', mp(inCam(m.frames.map((x) => x.joints3d), m.camera), tc), 'world', mp(m.frames.map((x) => x.joints3d), truth.frames.map((x) => x.joints3d))); } catch (e) { console.log(String(e)); }
}
