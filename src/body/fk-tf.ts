/**
 * Differentiable forward kinematics in tfjs, batched over T frames (the twin of fk.ts;
 * test/body/fk-tf.test.ts proves they agree). For small batches (a kinematic window) the
 * plain-TS fk-grad.ts with its hand-written gradient is far faster: each tfjs kernel costs
 * ~50 µs of dispatch on wasm. This one suits large batches and the native backends.
 *
 * Parameterisation (all smooth, no gimbal lock near the rest pose):
 *  - rootPosition [T,3]: world position of the pelvis (hip-joint centre), metres.
 *  - rootRotation [T,3]: world rotation of the pelvis as a ROTATION VECTOR (axis·angle, radians).
 *  - angles [T,D]: the packed joint-angle vector of src/body/pose.ts (D = angleCount(skel) = 40
 *    for the default skeleton); joint j's local rotation is the rotation vector Σ angle_i·axis_i.
 * Output: landmarks [T,33,3] in MediaPipe order, or joint positions [T,J,3], world metres.
 *
 * Rotation vectors become matrices with a Rodrigues formula written so that it stays
 * finite and differentiable at zero: θ = sqrt(|r|² + ε), A = sin θ / θ,
 * B = 2 sin²(θ/2) / θ² (no 1 − cos θ, which cancels to 0 in float32), R = I + A[r]× + B([r]×)².
 * Only slicing, matMul and elementwise ops are used (tf.gather has no gradient on wasm).
 *
 * The caller initialises the backend (`initBackend` of src/optimus/backend.ts) and disposes
 * what it gets back; `FkTf.dispose()` frees the constant tensors.
 */
import { tf } from '../optimus/backend.ts';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { Quat } from '../geometry/quaternion.ts';
import { quatToRotationVector } from '../geometry/quaternion.ts';
import { anglesFromPose, type Pose } from './pose.ts';
import { angleCount, type Skeleton } from './skeleton.ts';

export interface FkTfInput {
  rootPosition: Tensor2D;
  rootRotation: Tensor2D;
  angles: Tensor2D;
}

/** Plain-array parameters of a sequence of poses, ready for tf.tensor2d(…, [T, n]). */
export interface PoseParams {
  frames: number;
  rootPosition: Float32Array; // T×3
  rootRotation: Float32Array; // T×3 rotation vectors
  angles: Float32Array; // T×D
  angleCount: number;
}

const EPS = 1e-8;

/** Rotation vectors [N,3] → row-major rotation matrices [N,3,3]. */
export function rodrigues(r: Tensor2D): Tensor3D {
  return tf.tidy(() => {
    const n = r.shape[0];
    const r0 = tf.slice(r, [0, 0], [n, 1]);
    const r1 = tf.slice(r, [0, 1], [n, 1]);
    const r2 = tf.slice(r, [0, 2], [n, 1]);
    const theta = tf.sqrt(tf.add(tf.sum(tf.square(r), 1, true), EPS));
    const a = tf.div(tf.sin(theta), theta);
    const b = tf.mul(tf.square(tf.div(tf.sin(tf.mul(theta, 0.5)), theta)), 2);
    const br0 = tf.mul(b, r0), br1 = tf.mul(b, r1), br2 = tf.mul(b, r2);
    const ar0 = tf.mul(a, r0), ar1 = tf.mul(a, r1), ar2 = tf.mul(a, r2);
    const one = tf.onesLike(r0);
    const { add, sub, mul } = tf;
    const m = tf.concat([
      sub(sub(one, mul(br1, r1)), mul(br2, r2)), sub(mul(br0, r1), ar2), add(mul(br0, r2), ar1),
      add(mul(br0, r1), ar2), sub(sub(one, mul(br0, r0)), mul(br2, r2)), sub(mul(br1, r2), ar0),
      sub(mul(br0, r2), ar1), add(mul(br1, r2), ar0), sub(sub(one, mul(br0, r0)), mul(br1, r1)),
    ], 1);
    return tf.reshape(m, [n, 3, 3]) as Tensor3D;
  });
}

export class FkTf {
  readonly skel: Skeleton;
  readonly angleCount: number;
  /** [3 + D, J·3]: maps [rootRotvec, angles] to per-joint rotation vectors. */
  private readonly axisMap: Tensor2D;
  /** Per joint offset as a [3,1] column. */
  private readonly offsets: Tensor2D[];
  /** Per joint: landmark offsets [3, n_j] of the landmarks it carries, or null. */
  private readonly groups: Array<{ joint: number; offsets: Tensor2D; count: number } | null>;
  /** [33,33] permutation from grouped order back to MediaPipe order. */
  private readonly permutation: Tensor2D;

  constructor(skel: Skeleton) {
    this.skel = skel;
    const J = skel.joints.length;
    const D = angleCount(skel);
    this.angleCount = D;
    const map = new Float32Array((3 + D) * J * 3);
    let k = 3;
    skel.joints.forEach((j, idx) => {
      if (j.parent < 0) {
        for (let c = 0; c < 3; c++) map[c * J * 3 + idx * 3 + c] = 1;
        return;
      }
      for (const axis of j.axes) {
        for (let c = 0; c < 3; c++) map[k * J * 3 + idx * 3 + c] = axis[c]!;
        k++;
      }
    });
    this.axisMap = tf.tensor2d(map, [3 + D, J * 3]);
    this.offsets = skel.joints.map((j) => tf.tensor2d([...j.offset], [3, 1]));
    const order: number[] = [];
    this.groups = skel.joints.map((_, idx) => {
      const ls = skel.landmarks.map((l, i) => ({ l, i })).filter(({ l }) => l.joint === idx);
      if (ls.length === 0) return null;
      const o = new Float32Array(3 * ls.length);
      ls.forEach(({ l, i }, c) => {
        o[c] = l.offset[0]; o[ls.length + c] = l.offset[1]; o[2 * ls.length + c] = l.offset[2];
        order.push(i);
      });
      return { joint: idx, offsets: tf.tensor2d(o, [3, ls.length]), count: ls.length };
    });
    const L = skel.landmarks.length;
    const perm = new Float32Array(L * L);
    order.forEach((landmark, grouped) => { perm[grouped * L + landmark] = 1; });
    this.permutation = tf.tensor2d(perm, [L, L]);
  }

  /** World joint rotations [T,3,3] and positions [T,3] per joint. */
  private chain(input: FkTfInput): { R: Tensor3D[]; P: Tensor2D[] } {
    const T = input.rootPosition.shape[0];
    const J = this.skel.joints.length;
    const params = tf.concat([input.rootRotation, input.angles], 1);
    const rotvecs = tf.reshape(tf.matMul(params, this.axisMap), [T * J, 3]) as Tensor2D;
    const local = tf.reshape(rodrigues(rotvecs), [T, J, 3, 3]);
    const R: Tensor3D[] = [];
    const P: Tensor2D[] = [];
    this.skel.joints.forEach((j, idx) => {
      const Lj = tf.reshape(tf.slice(local, [0, idx, 0, 0], [T, 1, 3, 3]), [T, 3, 3]) as Tensor3D;
      if (j.parent < 0) {
        R.push(Lj);
        P.push(input.rootPosition);
        return;
      }
      const Rp = R[j.parent]!;
      R.push(tf.matMul(Rp, Lj));
      const off = tf.reshape(tf.matMul(tf.reshape(Rp, [T * 3, 3]), this.offsets[idx]!), [T, 3]);
      P.push(tf.add(P[j.parent]!, off) as Tensor2D);
    });
    return { R, P };
  }

  /** World joint positions [T,J,3]. */
  joints(input: FkTfInput): Tensor3D {
    return tf.tidy(() => {
      const { P } = this.chain(input);
      return tf.stack(P, 1) as Tensor3D;
    });
  }

  /** World landmark positions [T,33,3], MediaPipe order. */
  landmarks(input: FkTfInput): Tensor3D {
    return tf.tidy(() => {
      const T = input.rootPosition.shape[0];
      const { R, P } = this.chain(input);
      const parts: Tensor[] = [];
      for (const g of this.groups) {
        if (!g) continue;
        // (R_j · O_j): [T,3,n] then + P_j, transposed to [T,n,3].
        const ro = tf.reshape(tf.matMul(tf.reshape(R[g.joint]!, [T * 3, 3]), g.offsets), [T, 3, g.count]);
        parts.push(tf.add(ro, tf.reshape(P[g.joint]!, [T, 3, 1])));
      }
      const grouped = tf.concat(parts, 2); // [T,3,33] in grouped order
      const L = this.skel.landmarks.length;
      const ordered = tf.reshape(tf.matMul(tf.reshape(grouped, [T * 3, L]), this.permutation), [T, 3, L]);
      return tf.transpose(ordered, [0, 2, 1]) as Tensor3D;
    });
  }

  dispose(): void {
    this.axisMap.dispose();
    this.permutation.dispose();
    for (const o of this.offsets) o.dispose();
    for (const g of this.groups) g?.offsets.dispose();
  }
}

/** Packs poses into FK parameters (root rotation as a rotation vector, packed angles). */
export function poseParams(skel: Skeleton, poses: Pose[]): PoseParams {
  const T = poses.length;
  const D = angleCount(skel);
  const rootPosition = new Float32Array(T * 3);
  const rootRotation = new Float32Array(T * 3);
  const angles = new Float32Array(T * D);
  poses.forEach((p, t) => {
    rootPosition.set(p.rootPosition, t * 3);
    // The root's own local entry is identity by convention; fold it in anyway.
    const rv = quatToRotationVector(p.rootRotation as Quat);
    rootRotation.set(rv, t * 3);
    angles.set(anglesFromPose(skel, p), t * D);
  });
  return { frames: T, rootPosition, rootRotation, angles, angleCount: D };
}

/** Tensors of packed pose parameters (caller disposes). */
export function poseParamTensors(p: PoseParams): FkTfInput {
  return {
    rootPosition: tf.tensor2d(p.rootPosition, [p.frames, 3]),
    rootRotation: tf.tensor2d(p.rootRotation, [p.frames, 3]),
    angles: tf.tensor2d(p.angles, [p.frames, p.angleCount]),
  };
}

