import { readKeypoints } from '../src/formats/keypoints.ts';
import { prepareObservations } from '../src/reconstruct/observations.ts';
import { buildScene } from '../src/reconstruct/scene.ts';
import { kinematicWindowProblem } from '../src/reconstruct/kinematic.ts';
import { createOptimizer } from '../src/reconstruct/optimizers.ts';
import { runOptimizer } from '../src/reconstruct/run-optimizer.ts';
import { initBackend } from '../src/optimus/backend.ts';
await initBackend('wasm');
const dir = process.argv[2]!;
const kp = readKeypoints(`${dir}/keypoints.json`);
const obs = prepareObservations(kp, 'x');
const scene = buildScene(obs, kp.camera, 'x');
for (const [name, scale, extra] of [['lbfgs', 0.05, {}]] as const) {
  const p = kinematicWindowProblem(obs, scene, { index: 0, start: 26, end: 30 }, { reprojection: 0.2, prior3d: 0, target3d: 1, ...extra });
  const opt = createOptimizer(name, { seed: 0, dim: p.objective.dim, learningRate: 0.2 });
  const r = runOptimizer(opt, p.objective, p.x0, 40, scale);
  console.log(name, JSON.stringify(extra), 'start', r.start.toExponential(2), 'curve', [4, 9, 19, 39].map((i) => r.curve[i]!.toExponential(2)).join(' '), 'knee', r.x[6 + 29]!.toFixed(2), 'hip', r.x[6 + 26]!.toFixed(2), 'root y', r.x[1]!.toFixed(2));
}
