import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEYPOINTS_FORMAT, type KeypointsFile } from '../../src/formats/keypoints.ts';
import { MOTION_FORMAT, type MotionFile, type MotionFrame } from '../../src/formats/motion.ts';
import { TRUTH_FORMAT, type TruthFile } from '../../src/formats/truth.ts';
import type { SkeletonDescription } from '../../src/formats/skeleton.ts';
import { lookAt, projectPoint, type PinholeCamera } from '../../src/geometry/camera.ts';
import { quatFromAxisAngle, quatMultiply, type Quat, type Vec3 } from '../../src/geometry/quaternion.ts';
import { motionFrameKinematics, skeletonTopology } from '../../src/export/pose.ts';
import { Rng } from '../../src/random.ts';

/**
 * Fixtures built in code: a hand-made 3-joint chain with random rotations (the
 * exporters must work for any skeleton), and a small procedural humanoid doing
 * squats with 33 landmarks, a camera, keypoints, truth and a kinematic stage
 * (a whole result folder for the viewer).
 */

const rx = (a: number): Quat => quatFromAxisAngle([1, 0, 0], a);
const ry = (a: number): Quat => quatFromAxisAngle([0, 1, 0], a);
const rz = (a: number): Quat => quatFromAxisAngle([0, 0, 1], a);

const IDENTITY_CAMERA: MotionFile['camera'] = { fx: 500, fy: 500, cx: 320, cy: 240, rotation: [0, 0, 0, 1], position: [0, 1, 4] };

/** A 3-joint chain (root with a branch-free child and grandchild) and procedural random rotations. */
export function chainMotion(frames = 12, seed = 7): MotionFile {
  const rng = new Rng(seed);
  const skeleton: SkeletonDescription = {
    joints: [
      { name: 'base', parent: null, offset: [0, 0, 0], dof: 6 },
      { name: 'middle link', parent: 'base', offset: [0, 0.5, 0], dof: 3 },
      { name: 'tip', parent: 'middle link', offset: [0.3, 0.05, 0.1], dof: 3 },
    ],
  };
  const topo = skeletonTopology(skeleton);
  const axes = Array.from({ length: 3 }, () => [rng.normal(), rng.normal(), rng.normal()] as Vec3);
  const out: MotionFrame[] = [];
  for (let i = 0; i < frames; i++) {
    const t = i / 30;
    const rotations = axes.map((axis, j) => quatFromAxisAngle(axis, 1.2 * Math.sin(2 * Math.PI * (0.7 + 0.3 * j) * t + j)));
    // root.rotation and the root's local rotation compose (src/body/fk.ts convention).
    const root = { position: [0.2 * Math.sin(t * 3), 0.9 + 0.05 * t, -0.1 * t] as Vec3, rotation: quatFromAxisAngle([0, 1, 0], 2 * t) };
    const frame: MotionFrame = { root, rotations, joints3d: [], contacts: { leftFoot: i % 3 === 0, rightFoot: i % 2 === 0 } };
    frame.joints3d = motionFrameKinematics(topo, frame).positions;
    out.push(frame);
  }
  return { format: MOTION_FORMAT, fps: 30, skeleton, camera: IDENTITY_CAMERA, ground: { normal: [0, 1, 0], height: 0 }, frames: out };
}

/** A 16-joint humanoid skeleton (metres), facing +z, arms down. */
export const HUMANOID: SkeletonDescription = {
  joints: [
    { name: 'pelvis', parent: null, offset: [0, 0, 0], dof: 6 },
    { name: 'spine', parent: 'pelvis', offset: [0, 0.12, 0], dof: 3 },
    { name: 'chest', parent: 'spine', offset: [0, 0.24, 0], dof: 3 },
    { name: 'head', parent: 'chest', offset: [0, 0.2, 0], dof: 3 },
    { name: 'left_upper_arm', parent: 'chest', offset: [0.18, 0.14, 0], dof: 3 },
    { name: 'left_forearm', parent: 'left_upper_arm', offset: [0, -0.29, 0], dof: 1 },
    { name: 'left_hand', parent: 'left_forearm', offset: [0, -0.26, 0], dof: 2 },
    { name: 'right_upper_arm', parent: 'chest', offset: [-0.18, 0.14, 0], dof: 3 },
    { name: 'right_forearm', parent: 'right_upper_arm', offset: [0, -0.29, 0], dof: 1 },
    { name: 'right_hand', parent: 'right_forearm', offset: [0, -0.26, 0], dof: 2 },
    { name: 'left_thigh', parent: 'pelvis', offset: [0.1, -0.06, 0], dof: 3 },
    { name: 'left_shin', parent: 'left_thigh', offset: [0, -0.42, 0], dof: 1 },
    { name: 'left_foot', parent: 'left_shin', offset: [0, -0.41, 0], dof: 2 },
    { name: 'right_thigh', parent: 'pelvis', offset: [-0.1, -0.06, 0], dof: 3 },
    { name: 'right_shin', parent: 'right_thigh', offset: [0, -0.42, 0], dof: 1 },
    { name: 'right_foot', parent: 'right_shin', offset: [0, -0.41, 0], dof: 2 },
  ],
};

const ANKLE_HEIGHT = 0.08;

/** Local rotations of a squat with arm raise at squat depth s ∈ [0, 1] and a little asymmetry. */
function squatPose(s: number, t: number): Quat[] {
  const arm = -1.3 * s;
  return [
    rx(0.1 * s), // pelvis tilt, on top of frame.root.rotation (the yaw)
    rx(0.25 * s), rx(0.25 * s), rx(-0.3 * s),
    quatMultiply(rz(0.15), rx(arm)), rx(-0.4 * s), rx(0),
    quatMultiply(rz(-0.15), rx(arm + 0.1 * Math.sin(3 * t))), rx(-0.4 * s), rx(0),
    quatMultiply(rz(-0.05), rx(-1.3 * s)), rx(2.1 * s), rx(-0.8 * s),
    quatMultiply(rz(0.05), rx(-1.3 * s)), rx(2.1 * s), rx(-0.8 * s),
  ];
}

/** 33 MediaPipe landmarks placed on the humanoid's FK pose. */
export function humanoidLandmarks(p: Vec3[], r: Quat[]): Vec3[] {
  const at = (j: number, local: Vec3): Vec3 => {
    const q = r[j]!;
    const [x, y, z, w] = q;
    // rotate local offset by joint world rotation
    const tx = 2 * (y * local[2] - z * local[1]);
    const ty = 2 * (z * local[0] - x * local[2]);
    const tz = 2 * (x * local[1] - y * local[0]);
    const v: Vec3 = [local[0] + w * tx + (y * tz - z * ty), local[1] + w * ty + (z * tx - x * tz), local[2] + w * tz + (x * ty - y * tx)];
    return [p[j]![0] + v[0], p[j]![1] + v[1], p[j]![2] + v[2]];
  };
  const H = 3; const LU = 4; const LF = 5; const LH = 6; const RU = 7; const RF = 8; const RH = 9;
  const LT = 10; const LS = 11; const LA = 12; const RT = 13; const RS = 14; const RA = 15;
  return [
    at(H, [0, 0.1, 0.1]), // nose
    at(H, [0.02, 0.13, 0.09]), at(H, [0.035, 0.13, 0.085]), at(H, [0.05, 0.13, 0.08]),
    at(H, [-0.02, 0.13, 0.09]), at(H, [-0.035, 0.13, 0.085]), at(H, [-0.05, 0.13, 0.08]),
    at(H, [0.08, 0.11, 0]), at(H, [-0.08, 0.11, 0]),
    at(H, [0.025, 0.06, 0.09]), at(H, [-0.025, 0.06, 0.09]),
    p[LU]!, p[RU]!, p[LF]!, p[RF]!, p[LH]!, p[RH]!,
    at(LH, [0.02, -0.08, 0]), at(RH, [-0.02, -0.08, 0]),
    at(LH, [0, -0.09, 0.02]), at(RH, [0, -0.09, 0.02]),
    at(LH, [-0.02, -0.05, 0.03]), at(RH, [0.02, -0.05, 0.03]),
    p[LT]!, p[RT]!, p[LS]!, p[RS]!, p[LA]!, p[RA]!,
    at(LA, [0, -0.06, -0.05]), at(RA, [0, -0.06, -0.05]),
    at(LA, [0, -0.07, 0.15]), at(RA, [0, -0.07, 0.15]),
  ];
}

export interface HumanoidOptions {
  seconds?: number;
  fps?: number;
  width?: number;
  height?: number;
  seed?: number;
  /** Std-dev (metres) of the per-joint rotation error of the "reconstruction" vs truth. */
  error?: number;
}

/** A squatting humanoid: motion (with small errors), kinematic (larger errors), truth, keypoints. */
export function humanoidResult(options: HumanoidOptions = {}) {
  const { seconds = 2, fps = 30, width = 640, height = 480, seed = 3, error = 0.04 } = options;
  const rng = new Rng(seed);
  const topo = skeletonTopology(HUMANOID);
  const n = Math.round(seconds * fps);
  const camera: PinholeCamera = lookAt([0.8, 1.3, 3.6], [0, 0.85, 0], { fx: 560, fy: 560, cx: width / 2, cy: height / 2 });

  const build = (noise: number, r: Rng) => {
    const frames: MotionFrame[] = [];
    const bias = Array.from({ length: topo.names.length }, () => [r.normal(), r.normal(), r.normal()] as Vec3);
    for (let i = 0; i < n; i++) {
      const t = i / fps;
      const s = (1 - Math.cos((2 * Math.PI * t) / 1.6)) / 2;
      const local = squatPose(s, t).map((q, j) =>
        noise > 0 ? quatMultiply(q, quatFromAxisAngle(bias[j]!, noise * (1 + Math.sin(3 * t + j)))) : q);
      const frame: MotionFrame = {
        root: { position: [0.15 * Math.sin(t), 1, 0], rotation: ry(0.3 * Math.sin(0.8 * t)) }, rotations: local, joints3d: [],
        contacts: { leftFoot: false, rightFoot: false },
      };
      // Drop the pelvis so that the lower ankle rests at ANKLE_HEIGHT.
      const fk0 = motionFrameKinematics(topo, frame);
      const lowest = Math.min(fk0.positions[12]![1], fk0.positions[15]![1]);
      frame.root.position[1] += ANKLE_HEIGHT - lowest;
      const fk = motionFrameKinematics(topo, frame);
      frame.joints3d = humanoidLandmarks(fk.positions, fk.rotations);
      frame.contacts = { leftFoot: fk.positions[12]![1] < ANKLE_HEIGHT + 0.02, rightFoot: fk.positions[15]![1] < ANKLE_HEIGHT + 0.02 };
      frames.push(frame);
    }
    return frames;
  };

  const truthFrames = build(0, rng.fork());
  const motionFrames = build(error, rng.fork());
  const kinematicFrames = build(error * 2.5, rng.fork());
  const lossCurve = (start: number, rate: number, len: number) => Array.from({ length: len }, (_, k) => start * Math.exp(-rate * k) + 0.05 * start);
  const motion: MotionFile = {
    format: MOTION_FORMAT, fps, skeleton: HUMANOID,
    camera: { fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy, rotation: camera.rotation, position: camera.position },
    ground: { normal: [0, 1, 0], height: 0 },
    frames: motionFrames,
    stages: {
      kinematic: { loss: 12, iterations: 40, ms: 900, lossCurve: lossCurve(200, 0.12, 40) },
      physics: {
        optimizer: 'optimus', loss: 9, iterations: 30, ms: 4000, lossCurve: lossCurve(120, 0.15, 30),
        windows: [0, 1, 2].map((w) => ({ start: w * 20, end: w * 20 + 20, lossCurve: lossCurve(40 + 10 * w, 0.1 + 0.05 * w, 30) })),
      },
    },
  };
  const kinematic: MotionFile = { ...motion, frames: kinematicFrames, stages: { kinematic: motion.stages!.kinematic! } };
  const truth: TruthFile = {
    format: TRUTH_FORMAT, fps, source: 'procedural-squat', skeleton: HUMANOID, camera: motion.camera,
    frames: truthFrames.map((f) => ({ joints3d: f.joints3d })),
  };
  const kpRng = rng.fork();
  const keypoints: KeypointsFile = {
    format: KEYPOINTS_FORMAT,
    source: { path: 'squat.mp4', fps, width, height, frameCount: n },
    landmarks: 'mediapipe-33',
    detector: { name: 'synth', runtime: 'fixture' },
    camera: { fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy },
    frames: truthFrames.map((f, i) => ({
      index: i, time: i / fps,
      keypoints: f.joints3d.map((pt) => {
        const px = projectPoint(camera, pt as Vec3) ?? [0, 0];
        return [px[0] + 2 * kpRng.normal(), px[1] + 2 * kpRng.normal(), 0.9] as [number, number, number];
      }),
      world: null,
    })),
  };
  return { motion, kinematic, truth, keypoints };
}

/** Writes a whole result folder (motion, kinematic, truth, keypoints; no video). */
export function writeHumanoidFolder(dir: string, options: HumanoidOptions = {}) {
  const r = humanoidResult(options);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'motion.json'), JSON.stringify(r.motion));
  writeFileSync(join(dir, 'kinematic.json'), JSON.stringify(r.kinematic));
  writeFileSync(join(dir, 'truth.json'), JSON.stringify(r.truth));
  writeFileSync(join(dir, 'keypoints.json'), JSON.stringify(r.keypoints));
  return r;
}
