import { beforeAll, describe, expect, it } from 'vitest';
import { FkTf } from '../../src/body/fk-tf.ts';
import { initBackend, tf } from '../../src/optimus/backend.ts';
import { FkGrad, rodrigues, rodriguesBackward } from '../../src/body/fk-grad.ts';
import { angleCount, createSkeleton, forwardKinematics, landmarkPositions, poseFromAngles } from '../../src/body/index.ts';
import { quatFromRotationVector, quatRotate, type Vec3 } from '../../src/geometry/quaternion.ts';
import { Rng } from '../../src/random.ts';

describe('forward kinematics with exact gradients (plain TS)', () => {
  const skel = createSkeleton({ height: 1.8 });
  const D = angleCount(skel);
  const P = 6 + D;

  /** T frames of random packed parameters; `tiny` puts some rotations near zero (series branch). */
  const randomParams = (seed: number, T: number, tiny = false): Float64Array => {
    const rng = new Rng(seed);
    const x = new Float64Array(T * P);
    for (let t = 0; t < T; t++) {
      const b = t * P;
      x.set([rng.uniform(-2, 2), rng.uniform(0.5, 1.2), rng.uniform(-2, 2), rng.uniform(-1, 1), rng.uniform(-3, 3), rng.uniform(-1, 1)], b);
      for (let i = 0; i < D; i++) x[b + 6 + i] = tiny && i % 3 === 0 ? rng.uniform(-1e-4, 1e-4) : rng.uniform(-0.8, 0.8);
    }
    if (tiny) x.fill(0, 3, 6); // the first frame's root rotation exactly zero
    return x;
  };

  it('agrees with the quaternion FK of fk.ts (landmarks)', () => {
    const T = 5;
    const x = randomParams(7, T);
    const fk = new FkGrad(skel);
    const lm = fk.forward(x, T);
    let worst = 0;
    for (let t = 0; t < T; t++) {
      const p = Array.from(x.subarray(t * P, (t + 1) * P));
      const pose = poseFromAngles(skel, [p[0]!, p[1]!, p[2]!], quatFromRotationVector([p[3]!, p[4]!, p[5]!]), p.slice(6));
      const ref = landmarkPositions(skel, pose);
      ref.forEach((v, l) => { for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(v[c]! - lm[(t * 33 + l) * 3 + c]!)); });
      expect(forwardKinematics(skel, pose).positions).toHaveLength(skel.joints.length);
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('rodrigues matches the quaternion rotation, also at and near zero', () => {
    const m = new Float64Array(9);
    for (const v of [[0, 0, 0], [1e-5, -2e-5, 3e-6], [0.3, -0.2, 1.1], [2.5, 0.1, -0.4]] as Vec3[]) {
      rodrigues(v[0], v[1], v[2], m);
      const q = quatFromRotationVector(v);
      for (let c = 0; c < 3; c++) {
        const e: Vec3 = [c === 0 ? 1 : 0, c === 1 ? 1 : 0, c === 2 ? 1 : 0];
        const col = quatRotate(q, e);
        for (let r = 0; r < 3; r++) expect(m[r * 3 + c]!).toBeCloseTo(col[r]!, 12);
      }
    }
  });

  it("rodrigues' gradient matches central differences on both branches (large and tiny angles)", () => {
    const rng = new Rng(3);
    const G = Array.from({ length: 9 }, () => rng.normal());
    const f = (v: Vec3) => { const m = new Float64Array(9); rodrigues(v[0], v[1], v[2], m); return m.reduce((s, x, i) => s + x * G[i]!, 0); };
    const g = new Float64Array(3);
    for (const v of [[0.3, -0.2, 1.1], [2, 1, -1.5], [4e-4, -3e-4, 1e-4], [0, 0, 0]] as Vec3[]) {
      rodriguesBackward(v[0], v[1], v[2], G, g);
      const h = 1e-6;
      for (let k = 0; k < 3; k++) {
        const up = [...v] as Vec3, dn = [...v] as Vec3;
        up[k] += h; dn[k] -= h;
        expect(g[k]!).toBeCloseTo((f(up) - f(dn)) / (2 * h), 7);
      }
    }
  });

  it('has gradients that match central differences for every parameter', () => {
    const T = 3;
    for (const tiny of [false, true]) {
      const x = randomParams(11, T, tiny);
      const fk = new FkGrad(skel);
      const rng = new Rng(5);
      const weights = Float64Array.from({ length: T * 33 * 3 }, () => rng.normal());
      // A nonlinear scalar of the landmarks: Σ w · lm + ½ Σ lm².
      const f = (z: Float64Array) => fk.forward(z, T).reduce((s, v, i) => s + weights[i]! * v + 0.5 * v * v, 0);
      const lm = fk.forward(x, T);
      const gx = new Float64Array(T * P);
      fk.backward(lm.map((v, i) => weights[i]! + v), gx);
      const h = 1e-6;
      let worst = 0;
      for (let i = 0; i < T * P; i++) {
        const up = x.slice(); up[i]! += h;
        const dn = x.slice(); dn[i]! -= h;
        const fd = (f(up) - f(dn)) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - gx[i]!) / Math.max(1, Math.abs(fd)));
      }
      expect(worst).toBeLessThan(1e-6);
    }
  });
});

describe('fk-grad (fast, hand-written gradient) against fk-tf (reference, tfjs autodiff)', () => {
  const skel = createSkeleton({ height: 1.7 });
  const D = angleCount(skel);
  const P = 6 + D;
  beforeAll(async () => { await initBackend('wasm'); });

  it('gives the same landmarks and the same gradient of a landmark loss as tf.grad through FkTf', () => {
    const T = 4;
    const rng = new Rng(23);
    const x = Float64Array.from({ length: T * P }, (_, i) => (i % P < 3 ? rng.uniform(-1, 1) : rng.uniform(-0.7, 0.7)));
    const w = Float64Array.from({ length: T * 33 * 3 }, () => rng.normal());
    const fast = new FkGrad(skel);
    const lm = fast.forward(x, T);
    const gx = new Float64Array(T * P);
    // Loss Σ w·lm + ½ Σ lm²: its landmark gradient is w + lm.
    fast.backward(lm.map((v, i) => w[i]! + v), gx);

    const ref = new FkTf(skel);
    const cols = (lo: number, n: number) => tf.tensor2d(Array.from({ length: T }, (_, t) => Array.from(x.subarray(t * P + lo, t * P + lo + n))));
    const pos = cols(0, 3), rot = cols(3, 3), ang = cols(6, D);
    const wT = tf.tensor3d(Array.from(w), [T, 33, 3]);
    const loss = (p: tf.Tensor, r: tf.Tensor, a: tf.Tensor) => {
      const l = ref.landmarks({ rootPosition: p as tf.Tensor2D, rootRotation: r as tf.Tensor2D, angles: a as tf.Tensor2D });
      return tf.add(tf.sum(tf.mul(wT, l)), tf.mul(0.5, tf.sum(tf.square(l)))) as tf.Scalar;
    };
    const lmRef = tf.tidy(() => ref.landmarks({ rootPosition: pos, rootRotation: rot, angles: ang })).dataSync();
    const grads = tf.grads(loss)([pos, rot, ang]);
    const [gp, gr, ga] = grads.map((g) => g.arraySync() as number[][]);
    tf.dispose([pos, rot, ang, wT, ...grads]);
    ref.dispose();

    let worstLm = 0;
    lm.forEach((v, i) => { worstLm = Math.max(worstLm, Math.abs(v - lmRef[i]!)); });
    expect(worstLm).toBeLessThan(1e-5); // tfjs computes in float32
    let worstG = 0, scale = 0;
    for (let t = 0; t < T; t++) {
      const refRow = [...gp![t]!, ...gr![t]!, ...ga![t]!];
      refRow.forEach((g, k) => { worstG = Math.max(worstG, Math.abs(g - gx[t * P + k]!)); scale = Math.max(scale, Math.abs(g)); });
    }
    expect(scale).toBeGreaterThan(1);
    expect(worstG / scale).toBeLessThan(1e-4);
  });
});
