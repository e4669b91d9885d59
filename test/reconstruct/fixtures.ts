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

import { landmarkPositions } from '../../src/body/fk.ts';
import { anglesFromPose, poseFromAngles, type Pose } from '../../src/body/pose.ts';
import { Rng } from '../../src/random.ts';
import { angleCount, angleOffsets, JOINT_INDEX, type Skeleton } from '../../src/body/skeleton.ts';
import { KEYPOINTS_FORMAT, type KeypointsFile } from '../../src/formats/keypoints.ts';
import { lookAt, projectPoint, worldToCamera, type PinholeCamera } from '../../src/geometry/camera.ts';
import { quatFromAxisAngle } from '../../src/geometry/quaternion.ts';

/** A squat of the body model (knees and hips flex, arms rise forward), facing the camera at an angle. */
export function squatPoses(skel: Skeleton, frames: number, fps = 30, yaw = 0.3): Pose[] {
  const off = angleOffsets(skel);
  const J = JOINT_INDEX;
  const ankleH = 0.039 * (skel.height / 1.0);
  void ankleH;
  return Array.from({ length: frames }, (_, t) => {
    const s = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / (fps * 2)); // 0 → 1 → 0 over 2 s
    const a = new Float64Array(angleCount(skel));
    const hip = -1.0 * s, knee = 1.7 * s, ankle = -0.7 * s;
    for (const side of ['left', 'right'] as const) {
      a[off[J[`${side}_thigh`]]!] = hip;
      a[off[J[`${side}_shin`]]!] = knee;
      a[off[J[`${side}_foot`]]!] = ankle;
      const sgn = side === 'left' ? 1 : -1;
      a[off[J[`${side}_upper_arm`]]! + 2] = -sgn * (1.3 - 0.4 * s);
      a[off[J[`${side}_upper_arm`]]! + 1] = -sgn * 1.0 * s;
      a[off[J[`${side}_forearm`]]!] = 0.3 + 0.2 * s;
    }
    a[off[J.spine]!] = 0.35 * s;
    a[off[J.neck]!] = -0.2 * s;
    // Root height: keep the feet planted (solve by measuring the rest leg drop).
    const pose0 = poseFromAngles(skel, [0, 0, 0], quatFromAxisAngle([0, 1, 0], yaw), a);
    const lm = landmarkPositions(skel, pose0);
    const lowest = Math.min(...[29, 30, 31, 32].map((i) => lm[i]![1]));
    return poseFromAngles(skel, [0.02 * Math.sin(t / 9), -lowest, 0.01 * t / fps], quatFromAxisAngle([0, 1, 0], yaw), a);
  });
}

/** A kinematic estimate with fit jitter: per frame ±1.5 cm on the root and ±0.05 rad on every joint angle (seeded). */
export function jitteredPoses(skel: Skeleton, truth: readonly Pose[], seed: number): Pose[] {
  const rng = new Rng(seed);
  return truth.map((p) => {
    const a = anglesFromPose(skel, p).map((v) => v + rng.normal() * 0.05);
    return poseFromAngles(skel, p.rootPosition.map((v) => v + rng.normal() * 0.015) as Vec3, p.rootRotation, a);
  });
}

export const TEST_CAMERA_POSITION: [number, number, number] = [0.3, 1.3, 3.6];

export function testCamera(width = 720, height = 1280): PinholeCamera {
  const f = 1100;
  return lookAt(TEST_CAMERA_POSITION, [0, 0.9, 0], { fx: f, fy: f, cx: width / 2, cy: height / 2 });
}

/** keypoints.json of a motion seen by `camera`, noise-free, with detector-style 3D (MediaPipe axes, hip-centred). */
export function keypointsFromLandmarks(frames: [number, number, number][][], camera: PinholeCamera, fps = 30): KeypointsFile {
  return {
    format: KEYPOINTS_FORMAT,
    source: { path: 'synthetic', fps, width: 720, height: 1280, frameCount: frames.length },
    landmarks: 'mediapipe-33',
    detector: { name: 'test', runtime: 'none' },
    camera: { fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy },
    frames: frames.map((lm, index) => {
      const local = lm.map((p) => worldToCamera(camera, p));
      const mid = local[23]!.map((v, i) => (v + local[24]![i]!) / 2);
      return {
        index, time: index / fps,
        keypoints: lm.map((p) => [...projectPoint(camera, p)!, 0.95] as [number, number, number]),
        world: local.map((p) => [p[0] - mid[0]!, -(p[1] - mid[1]!), -(p[2] - mid[2]!)] as [number, number, number]),
      };
    }),
  };
}
