import { LANDMARK_INDEX as L } from '../../src/formats/landmarks.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';

/**
 * A 33-landmark stick figure standing on y = 0 facing +z (toward a camera on +z), with
 * segment lengths from anthropometric ratios, bending its knees by `squat` ∈ [0, 1].
 * Built without the body model so camera/ground tests do not depend on it.
 */
export function stickFigure(height: number, squat = 0, at: Vec3 = [0, 0, 0]): Vec3[] {
  const H = height;
  const thigh = 0.245 * H, shin = 0.246 * H, ankleH = 0.039 * H;
  const knee = squat * 1.2; // knee flexion (rad)
  const hipFlex = squat * 0.9;
  const p: Vec3[] = Array.from({ length: 33 }, () => [0, 0, 0] as Vec3);
  for (const side of [-1, 1]) {
    const x = side * 0.0955 * H;
    const ankle: Vec3 = [x, ankleH, 0];
    // Shin tilts forward (toward +z) by `knee - hipFlex`, thigh tilts back by hipFlex.
    const a1 = knee - hipFlex;
    const kneeP: Vec3 = [x, ankle[1] + shin * Math.cos(a1), ankle[2] + shin * Math.sin(a1)];
    const hipP: Vec3 = [x, kneeP[1] + thigh * Math.cos(hipFlex), kneeP[2] - thigh * Math.sin(hipFlex)];
    const left = side > 0;
    p[left ? L.left_ankle : L.right_ankle] = ankle;
    p[left ? L.left_heel : L.right_heel] = [x, 0, -0.05 * H];
    p[left ? L.left_foot_index : L.right_foot_index] = [x, 0, 0.1 * H];
    p[left ? L.left_knee : L.right_knee] = kneeP;
    p[left ? L.left_hip : L.right_hip] = hipP;
  }
  const hipY = p[L.left_hip]![1], hipZ = p[L.left_hip]![2];
  const shY = hipY + 0.288 * H, shZ = hipZ + 0.05 * squat;
  for (const side of [-1, 1]) {
    const left = side > 0;
    const x = side * 0.1295 * H;
    p[left ? L.left_shoulder : L.right_shoulder] = [x, shY, shZ];
    p[left ? L.left_elbow : L.right_elbow] = [x + side * 0.02, shY - 0.186 * H, shZ];
    const wrist: Vec3 = [x + side * 0.03, shY - 0.186 * H - 0.146 * H, shZ];
    p[left ? L.left_wrist : L.right_wrist] = wrist;
    for (const n of left ? [L.left_pinky, L.left_index, L.left_thumb] : [L.right_pinky, L.right_index, L.right_thumb]) {
      p[n] = [wrist[0], wrist[1] - 0.05, wrist[2] + 0.02];
    }
  }
  const headY = shY + 0.13 * H;
  p[L.nose] = [0, headY, shZ + 0.1];
  for (const [n, x] of [[L.left_eye_inner, 0.015], [L.left_eye, 0.03], [L.left_eye_outer, 0.045], [L.right_eye_inner, -0.015], [L.right_eye, -0.03], [L.right_eye_outer, -0.045]] as const) p[n] = [x, headY + 0.03, shZ + 0.09];
  p[L.left_ear] = [0.07, headY + 0.02, shZ];
  p[L.right_ear] = [-0.07, headY + 0.02, shZ];
  p[L.mouth_left] = [0.025, headY - 0.03, shZ + 0.09];
  p[L.mouth_right] = [-0.025, headY - 0.03, shZ + 0.09];
  return p.map((q) => [q[0] + at[0], q[1] + at[1], q[2] + at[2]] as Vec3);
}
