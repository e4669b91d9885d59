import { initBackend, tf } from '../src/optimus/backend.ts';
import { FkTf } from '../src/body/fk-tf.ts';
import { createSkeleton, angleOffsets, JOINT_INDEX } from '../src/body/skeleton.ts';
await initBackend('wasm');
const skel = createSkeleton({ height: 1.7 });
const fk = new FkTf(skel);
const k = angleOffsets(skel)[JOINT_INDEX.left_shin]!;
for (const a0 of [0, 1e-3, 0.3]) {
  const f = (ang: any) => fk.landmarks({ rootPosition: tf.tensor2d([0, 0.9, 0], [1, 3]), rootRotation: tf.tensor2d([0, 0, 0], [1, 3]), angles: ang }).slice([0, 27, 0], [1, 1, 3]).sum();
  const a = new Float32Array(40); a[k] = a0;
  const g = tf.grad(f)(tf.tensor2d(a, [1, 40]));
  console.log(a0, 'd(ankle xyz sum)/d angles', Array.from(g.dataSync()).map((v, i) => [i, v]).filter(([, v]) => Math.abs(v as number) > 1e-6).map(([i, v]) => `${i}:${(v as number).toFixed(3)}`).join(' '));
}
