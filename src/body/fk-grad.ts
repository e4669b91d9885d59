/**
 * Forward kinematics with its exact reverse-mode gradient, in plain TypeScript (float64),
 * batched over T frames: the fast twin of fk-tf.ts for small problems. A window of the
 * kinematic stage (8 frames, 17 joints, 33 landmarks) costs a few thousand flops, so a
 * tfjs tape (≈ 1 400 kernels per value and gradient, each ~50 µs of dispatch on wasm) is
 * hundreds of times slower than doing the arithmetic directly.
 * test/body/fk-grad.test.ts checks it against fk.ts (values) and finite differences (gradients).
 *
 * Parameters per frame (the parameterisation of fk-tf.ts): [rootPosition (3),
 * rootRotation as a rotation vector (3), packed joint angles (D)]. Joint j's local rotation
 * is the rotation vector v_j = Σ angle_i · axis_i (the root: rootRotation);
 * R_j = R_parent · exp([v_j]×), P_j = P_parent + R_parent · offset_j; a landmark is
 * P_joint + R_joint · offset.
 */
import { angleCount, type Skeleton } from './skeleton.ts';

/** Below this angle (rad) the Rodrigues coefficients come from their Taylor series. */
const SMALL_ANGLE = 1e-3;

export class FkGrad {
  readonly skel: Skeleton;
  readonly angleCount: number;
  /** Parameters per frame: 6 + angleCount. */
  readonly paramsPerFrame: number;
  readonly landmarkCount: number;
  private readonly parent: Int32Array;
  private readonly offset: Float64Array; // J·3
  /** Per joint the parameter indices (within a frame) and unit axes of its rotation vector. */
  private readonly dofs: Array<{ index: number; axis: [number, number, number] }[]>;
  private readonly lmJoint: Int32Array;
  private readonly lmOffset: Float64Array; // L·3
  // Intermediate state of the last forward pass (grown on demand), used by backward.
  private frames = 0;
  private v = new Float64Array(0); // T·J·3 local rotation vectors
  private local = new Float64Array(0); // T·J·9 local rotations (row-major)
  private R = new Float64Array(0); // T·J·9 world rotations
  private P = new Float64Array(0); // T·J·3 world positions
  private gR = new Float64Array(0); // J·9 scratch
  private gP = new Float64Array(0); // J·3 scratch

  constructor(skel: Skeleton) {
    this.skel = skel;
    const J = skel.joints.length;
    this.angleCount = angleCount(skel);
    this.paramsPerFrame = 6 + this.angleCount;
    this.parent = Int32Array.from(skel.joints.map((j) => j.parent));
    this.offset = Float64Array.from(skel.joints.flatMap((j) => [...j.offset]));
    let k = 6;
    this.dofs = skel.joints.map((j) => {
      if (j.parent < 0) return [3, 4, 5].map((index, c) => ({ index, axis: [c === 0 ? 1 : 0, c === 1 ? 1 : 0, c === 2 ? 1 : 0] as [number, number, number] }));
      return j.axes.map((a) => ({ index: k++, axis: [a[0], a[1], a[2]] as [number, number, number] }));
    });
    this.lmJoint = Int32Array.from(skel.landmarks.map((l) => l.joint));
    this.lmOffset = Float64Array.from(skel.landmarks.flatMap((l) => [...l.offset]));
    this.landmarkCount = skel.landmarks.length;
    this.gR = new Float64Array(J * 9);
    this.gP = new Float64Array(J * 3);
  }

  /**
   * Landmarks [T·L·3] (world metres, skeleton landmark order) of `frames` frames of packed
   * parameters x [T·(6+D)]. Remembers what `backward` needs.
   */
  forward(x: ArrayLike<number>, frames: number): Float64Array {
    const J = this.parent.length;
    const Pn = this.paramsPerFrame;
    if (x.length < frames * Pn) throw new RangeError(`FkGrad.forward: ${x.length} parameters for ${frames} frames of ${Pn}`);
    if (this.v.length < frames * J * 3) {
      this.v = new Float64Array(frames * J * 3);
      this.local = new Float64Array(frames * J * 9);
      this.R = new Float64Array(frames * J * 9);
      this.P = new Float64Array(frames * J * 3);
    }
    this.frames = frames;
    const { v, local, R, P, parent, offset } = this;
    const L = this.landmarkCount;
    const out = new Float64Array(frames * L * 3);
    for (let t = 0; t < frames; t++) {
      const b = t * Pn;
      for (let j = 0; j < J; j++) {
        const jv = (t * J + j) * 3, jm = (t * J + j) * 9;
        let v0 = 0, v1 = 0, v2 = 0;
        for (const d of this.dofs[j]!) {
          const a = x[b + d.index]!;
          v0 += a * d.axis[0]; v1 += a * d.axis[1]; v2 += a * d.axis[2];
        }
        v[jv] = v0; v[jv + 1] = v1; v[jv + 2] = v2;
        rodrigues(v0, v1, v2, local, jm);
        const p = parent[j]!;
        if (p < 0) {
          for (let i = 0; i < 9; i++) R[jm + i] = local[jm + i]!;
          P[jv] = x[b]!; P[jv + 1] = x[b + 1]!; P[jv + 2] = x[b + 2]!;
          continue;
        }
        const pm = (t * J + p) * 9, pv = (t * J + p) * 3;
        matMul3(R, pm, local, jm, R, jm);
        const o0 = offset[j * 3]!, o1 = offset[j * 3 + 1]!, o2 = offset[j * 3 + 2]!;
        for (let r = 0; r < 3; r++) P[jv + r] = P[pv + r]! + R[pm + r * 3]! * o0 + R[pm + r * 3 + 1]! * o1 + R[pm + r * 3 + 2]! * o2;
      }
      for (let l = 0; l < L; l++) {
        const j = this.lmJoint[l]!;
        const jm = (t * J + j) * 9, jv = (t * J + j) * 3;
        const o0 = this.lmOffset[l * 3]!, o1 = this.lmOffset[l * 3 + 1]!, o2 = this.lmOffset[l * 3 + 2]!;
        const k = (t * L + l) * 3;
        for (let r = 0; r < 3; r++) out[k + r] = P[jv + r]! + R[jm + r * 3]! * o0 + R[jm + r * 3 + 1]! * o1 + R[jm + r * 3 + 2]! * o2;
      }
    }
    return out;
  }

  /**
   * Adds to gx [T·(6+D)] the gradient of a scalar with respect to the parameters of the last
   * `forward` call, given its gradient with respect to the landmarks gLm [T·L·3].
   */
  backward(gLm: ArrayLike<number>, gx: Float64Array): void {
    const J = this.parent.length;
    const L = this.landmarkCount;
    const Pn = this.paramsPerFrame;
    const { v, local, R, parent, offset, gR, gP } = this;
    const gL = new Float64Array(9);
    const gv = new Float64Array(3);
    for (let t = 0; t < this.frames; t++) {
      gR.fill(0);
      gP.fill(0);
      // Landmarks: lm = P_j + R_j o → gP_j += g, gR_j += g oᵀ.
      for (let l = 0; l < L; l++) {
        const j = this.lmJoint[l]!;
        const k = (t * L + l) * 3;
        const g0 = gLm[k]!, g1 = gLm[k + 1]!, g2 = gLm[k + 2]!;
        gP[j * 3]! += g0; gP[j * 3 + 1]! += g1; gP[j * 3 + 2]! += g2;
        const o0 = this.lmOffset[l * 3]!, o1 = this.lmOffset[l * 3 + 1]!, o2 = this.lmOffset[l * 3 + 2]!;
        const m = j * 9;
        gR[m]! += g0 * o0; gR[m + 1]! += g0 * o1; gR[m + 2]! += g0 * o2;
        gR[m + 3]! += g1 * o0; gR[m + 4]! += g1 * o1; gR[m + 5]! += g1 * o2;
        gR[m + 6]! += g2 * o0; gR[m + 7]! += g2 * o1; gR[m + 8]! += g2 * o2;
      }
      const b = t * Pn;
      // Children come after their parents: walking backwards, a joint's gradient is complete
      // when it is reached.
      for (let j = J - 1; j >= 0; j--) {
        const jm = (t * J + j) * 9, jv = (t * J + j) * 3;
        const p = parent[j]!;
        if (p < 0) {
          for (let i = 0; i < 9; i++) gL[i] = gR[j * 9 + i]!;
          gx[b]! += gP[j * 3]!; gx[b + 1]! += gP[j * 3 + 1]!; gx[b + 2]! += gP[j * 3 + 2]!;
        } else {
          const pm = (t * J + p) * 9;
          // P_j = P_p + R_p off → gP_p += gP_j, gR_p += gP_j offᵀ.
          const o0 = offset[j * 3]!, o1 = offset[j * 3 + 1]!, o2 = offset[j * 3 + 2]!;
          for (let r = 0; r < 3; r++) {
            const g = gP[j * 3 + r]!;
            gP[p * 3 + r]! += g;
            gR[p * 9 + r * 3]! += g * o0; gR[p * 9 + r * 3 + 1]! += g * o1; gR[p * 9 + r * 3 + 2]! += g * o2;
          }
          // R_j = R_p Λ_j → gR_p += gR_j Λ_jᵀ, gΛ_j = R_pᵀ gR_j.
          for (let r = 0; r < 3; r++) {
            for (let c = 0; c < 3; c++) {
              let s = 0, u = 0;
              for (let k = 0; k < 3; k++) {
                s += gR[j * 9 + r * 3 + k]! * local[jm + c * 3 + k]!;
                u += R[pm + k * 3 + r]! * gR[j * 9 + k * 3 + c]!;
              }
              gR[p * 9 + r * 3 + c]! += s;
              gL[r * 3 + c] = u;
            }
          }
        }
        rodriguesBackward(v[jv]!, v[jv + 1]!, v[jv + 2]!, gL, gv);
        for (const d of this.dofs[j]!) gx[b + d.index]! += d.axis[0] * gv[0]! + d.axis[1] * gv[1]! + d.axis[2] * gv[2]!;
      }
    }
  }
}

/**
 * Coefficients of R = I + A·K + B·K² (K = [v]×) and their derivatives dA/dθ / θ, dB/dθ / θ,
 * written to COEF as [A, B, dA, dB] (a scratch array: this runs millions of times).
 */
const COEF = new Float64Array(4);
function rodriguesCoefficients(theta2: number): void {
  const theta = Math.sqrt(theta2);
  if (theta < SMALL_ANGLE) {
    COEF[0] = 1 - theta2 / 6 + (theta2 * theta2) / 120;
    COEF[1] = 0.5 - theta2 / 24 + (theta2 * theta2) / 720;
    COEF[2] = -1 / 3 + theta2 / 30;
    COEF[3] = -1 / 12 + theta2 / 180;
    return;
  }
  const s = Math.sin(theta), c = Math.cos(theta);
  const h = Math.sin(theta / 2);
  const oneMinusCos = 2 * h * h; // 1 − cos θ without cancellation
  COEF[0] = s / theta;
  COEF[1] = oneMinusCos / theta2;
  COEF[2] = (theta * c - s) / (theta2 * theta);
  COEF[3] = (theta * s - 2 * oneMinusCos) / (theta2 * theta2);
}

/** Rotation vector → row-major rotation matrix written at out[o..o+9). */
export function rodrigues(v0: number, v1: number, v2: number, out: Float64Array, o = 0): void {
  const t2 = v0 * v0 + v1 * v1 + v2 * v2;
  rodriguesCoefficients(t2);
  const A = COEF[0]!, B = COEF[1]!;
  // K² = v vᵀ − θ² I.
  out[o] = 1 + B * (v0 * v0 - t2); out[o + 1] = -A * v2 + B * v0 * v1; out[o + 2] = A * v1 + B * v0 * v2;
  out[o + 3] = A * v2 + B * v0 * v1; out[o + 4] = 1 + B * (v1 * v1 - t2); out[o + 5] = -A * v0 + B * v1 * v2;
  out[o + 6] = -A * v1 + B * v0 * v2; out[o + 7] = A * v0 + B * v1 * v2; out[o + 8] = 1 + B * (v2 * v2 - t2);
}

/**
 * Gradient with respect to v of ⟨G, R(v)⟩ (G row-major 3×3), written to out:
 * ∂R/∂v_k = dA·v_k·K + A·E_k + dB·v_k·K² + B·(E_k K + K E_k), E_k = [e_k]×,
 * and ⟨G, [w]×⟩ = w · axial(G) with axial(G) = (G21 − G12, G02 − G20, G10 − G01).
 */
export function rodriguesBackward(v0: number, v1: number, v2: number, G: ArrayLike<number>, out: Float64Array): void {
  const t2 = v0 * v0 + v1 * v1 + v2 * v2;
  rodriguesCoefficients(t2);
  const A = COEF[0]!, B = COEF[1]!, dA = COEF[2]!, dB = COEF[3]!;
  const g00 = G[0]!, g01 = G[1]!, g02 = G[2]!, g10 = G[3]!, g11 = G[4]!, g12 = G[5]!, g20 = G[6]!, g21 = G[7]!, g22 = G[8]!;
  const ax0 = g21 - g12, ax1 = g02 - g20, ax2 = g10 - g01;
  const gK = v0 * ax0 + v1 * ax1 + v2 * ax2; // ⟨G, K⟩
  // ⟨G, K²⟩ = vᵀ G v − θ² tr G.
  const gK2 = v0 * (g00 * v0 + g01 * v1 + g02 * v2) + v1 * (g10 * v0 + g11 * v1 + g12 * v2) + v2 * (g20 * v0 + g21 * v1 + g22 * v2) - t2 * (g00 + g11 + g22);
  // ⟨G, E_k K + K E_k⟩ = axial(G Kᵀ + Kᵀ G)_k = −axial(G K + K G)_k, K = [[0,−v2,v1],[v2,0,−v0],[−v1,v0,0]].
  // Only the off-diagonal entries of S = G K + K G enter the axial vector.
  const s01 = g00 * -v2 + g02 * v0 + (-v2 * g11 + v1 * g21);
  const s02 = g00 * v1 + g01 * -v0 + (-v2 * g12 + v1 * g22);
  const s10 = g11 * v2 + g12 * -v1 + (-v0 * g20 + v2 * g00);
  const s12 = g10 * v1 + g11 * -v0 + (v2 * g02 - v0 * g22);
  const s20 = g21 * v2 + g22 * -v1 + (v0 * g10 - v1 * g00);
  const s21 = g20 * -v2 + g22 * v0 + (v0 * g11 - v1 * g01);
  const m0 = -(s21 - s12), m1 = -(s02 - s20), m2 = -(s10 - s01);
  out[0] = dA * v0 * gK + A * ax0 + dB * v0 * gK2 + B * m0;
  out[1] = dA * v1 * gK + A * ax1 + dB * v1 * gK2 + B * m1;
  out[2] = dA * v2 * gK + A * ax2 + dB * v2 * gK2 + B * m2;
}

/** out[o..] = a[ao..] · b[bo..] for row-major 3×3 matrices (out may not alias a or b). */
function matMul3(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, o: number): void {
  for (let r = 0; r < 3; r++) {
    const a0 = a[ao + r * 3]!, a1 = a[ao + r * 3 + 1]!, a2 = a[ao + r * 3 + 2]!;
    out[o + r * 3] = a0 * b[bo]! + a1 * b[bo + 3]! + a2 * b[bo + 6]!;
    out[o + r * 3 + 1] = a0 * b[bo + 1]! + a1 * b[bo + 4]! + a2 * b[bo + 7]!;
    out[o + r * 3 + 2] = a0 * b[bo + 2]! + a1 * b[bo + 5]! + a2 * b[bo + 8]!;
  }
}
