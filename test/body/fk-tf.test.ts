import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/optimus/backend.ts';
import { FkTf, poseParams, poseParamTensors, rodrigues } from '../../src/body/fk-tf.ts';
import { createSkeleton, angleCount, poseFromAngles, landmarkPositions, forwardKinematics } from '../../src/body/index.ts';
import { Rng } from '../../src/random.ts';
import { quatFromRotationVector } from '../../src/geometry/quaternion.ts';
import type { Pose as BodyPose } from '../../src/body/pose.ts';

describe('tfjs forward kinematics', () => {
  const skel = createSkeleton({ height: 1.8 });
  let fk: FkTf;
  beforeAll(async () => { await initBackend('wasm'); fk = new FkTf(skel); });
  afterAll(() => fk?.dispose());

  const randomPoses = (seed: number, T: number): BodyPose[] => {
    const rng = new Rng(seed);
    const poses: BodyPose[] = [];
    for (let t = 0; t < T; t++) {
      const a = Array.from({ length: angleCount(skel) }, () => rng.uniform(-0.8, 0.8));
      const rv: [number, number, number] = [rng.uniform(-1, 1), rng.uniform(-3, 3), rng.uniform(-1, 1)];
      poses.push(poseFromAngles(skel, [rng.uniform(-2, 2), rng.uniform(0.5, 1.2), rng.uniform(-2, 2)], quatFromRotationVector(rv), a));
    }
    return poses;
  };

  it('agrees with the TypeScript FK on random poses (landmarks and joints)', () => {
    const poses = randomPoses(7, 6);
    const input = poseParamTensors(poseParams(skel, poses));
    const lmT = fk.landmarks(input);
    const jT = fk.joints(input);
    const lm = lmT.arraySync() as number[][][];
    const jp = jT.arraySync() as number[][][];
    tf.dispose([lmT, jT, input.rootPosition, input.rootRotation, input.angles]);
    expect(lm).toHaveLength(6);
    let worst = 0;
    poses.forEach((p, t) => {
      const ref = landmarkPositions(skel, p);
      const refJ = forwardKinematics(skel, p).positions;
      expect(lm[t]).toHaveLength(33);
      ref.forEach((v, i) => { for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(v[c]! - lm[t]![i]![c]!)); });
      refJ.forEach((v, i) => { for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(v[c]! - jp[t]![i]![c]!)); });
    });
    expect(worst).toBeLessThan(2e-5); // float32
  });

  it('has finite gradients, also at the rest pose, that match finite differences', () => {
    const T = 2;
    const D = angleCount(skel);
    const rp = tf.tensor2d([0, 1, 0, 0.5, 1, 0.2], [T, 3]);
    const rr = tf.zeros([T, 3]) as tf.Tensor2D;
    const target = tf.randomNormal([T, 33, 3], 0, 0.3, 'float32', 3);
    const loss = (a: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.sub(fk.landmarks({ rootPosition: rp, rootRotation: rr, angles: a as tf.Tensor2D }), target))) as tf.Scalar;
    const zero = tf.zeros([T, D]) as tf.Tensor2D;
    const g = tf.grad(loss)(zero);
    const gv = g.dataSync();
    expect(gv.every(Number.isFinite)).toBe(true);
    // Central differences on a few coordinates away from zero (float32: h = 1e-2).
    const base = new Float32Array(T * D).map((_, i) => 0.2 * Math.cos(i));
    const a0 = tf.tensor2d(base, [T, D]);
    const ga = tf.grad(loss)(a0).dataSync();
    for (const i of [3, 17, 25, 41, 60]) {
      const up = base.slice(); up[i]! += 1e-2;
      const dn = base.slice(); dn[i]! -= 1e-2;
      const lu = tf.tidy(() => loss(tf.tensor2d(up, [T, D])).dataSync()[0]!);
      const ld = tf.tidy(() => loss(tf.tensor2d(dn, [T, D])).dataSync()[0]!);
      const fd = (lu - ld) / 2e-2;
      expect(Math.abs(fd - ga[i]!)).toBeLessThan(0.02 * Math.max(1, Math.abs(fd)));
    }
    tf.dispose([rp, rr, target, zero, g, a0]);
  });

  it('rodrigues gives rotation matrices equal to the quaternion ones', () => {
    const r = tf.tensor2d([0, 0, 0, 0.3, -0.2, 1.1, 2.5, 0.1, -0.4], [3, 3]);
    const m = rodrigues(r).arraySync();
    r.dispose();
    const vs: Array<[number, number, number]> = [[0, 0, 0], [0.3, -0.2, 1.1], [2.5, 0.1, -0.4]];
    vs.forEach((v, k) => {
      const q = quatFromRotationVector(v);
      const [x, y, z, w] = q;
      const ref = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
      ];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(m[k]![i]![j]!).toBeCloseTo(ref[i]![j]!, 5);
    });
  });
});
