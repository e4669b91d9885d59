import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBvh } from '../../src/body/bvh.ts';
import { forwardKinematics as bodyFk, landmarksFromWorld } from '../../src/body/fk.ts';
import type { Pose } from '../../src/body/pose.ts';
import { synthesize } from '../../src/eval/synth.ts';
import { MOTION_FORMAT, type MotionFile, type MotionFrame } from '../../src/formats/motion.ts';
import { LANDMARK_INDEX } from '../../src/formats/landmarks.ts';
import { quatFromAxisAngle, quatMultiply, type Vec3 } from '../../src/geometry/quaternion.ts';
import { Rng } from '../../src/random.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

export const DEMO_BVH = join(PROJECT_ROOT, 'data/demo-squat.bvh');

export interface SynthFolderOptions { seconds?: number; fps?: number; width?: number; height?: number; seed?: number }

/**
 * A result folder made by `synth` (keypoints.json + truth.json from
 * data/demo-squat.bvh) plus a motion.json and a kinematic.json standing in for
 * the reconstruction: the true poses with seeded per-joint rotation errors
 * (larger for the kinematic stage), landmarks recomputed by the body's FK, foot
 * contacts from landmark heights, and optimizer loss curves per window.
 */
export function writeSynthResultFolder(dir: string, options: SynthFolderOptions = {}) {
  const { seconds = 2, fps = 30, width = 640, height = 360, seed = 1 } = options;
  if (!existsSync(DEMO_BVH)) throw new Error(`${DEMO_BVH} missing`);
  const synth = synthesize(readBvh(DEMO_BVH), { seconds, fps, width, height, seed, noisePx: 3, dropout: 0.05 });
  const skel = synth.retarget.skeleton;
  const rng = new Rng(seed);
  const reconstruction = (error: number, r: Rng): MotionFile => {
    const axes = skel.joints.map(() => [r.normal(), r.normal(), r.normal()] as Vec3);
    const frames: MotionFrame[] = synth.retarget.poses.map((p, i) => {
      const t = i / fps;
      const pose: Pose = {
        rootPosition: [p.rootPosition[0] + error * 0.3 * Math.sin(2 * t), p.rootPosition[1], p.rootPosition[2]],
        rootRotation: p.rootRotation,
        rotations: p.rotations.map((q, j) => (j === 0 ? q : quatMultiply(q, quatFromAxisAngle(axes[j]!, error * (1 + Math.sin(3 * t + j)))))),
      };
      const joints3d = landmarksFromWorld(skel, bodyFk(skel, pose));
      const low = (a: number, b: number) => Math.min(joints3d[a]![1], joints3d[b]![1]) < 0.06;
      return {
        root: { position: pose.rootPosition, rotation: pose.rootRotation }, rotations: pose.rotations, joints3d,
        contacts: {
          leftFoot: low(LANDMARK_INDEX.left_heel, LANDMARK_INDEX.left_foot_index),
          rightFoot: low(LANDMARK_INDEX.right_heel, LANDMARK_INDEX.right_foot_index),
        },
      };
    });
    const curve = (start: number, rate: number, n: number) => Array.from({ length: n }, (_, k) => start * (0.08 + Math.exp(-rate * k)));
    const windows = Math.max(1, Math.ceil(frames.length / 20));
    return {
      format: MOTION_FORMAT, fps, skeleton: synth.truth.skeleton, camera: synth.truth.camera,
      ground: { normal: [0, 1, 0], height: 0 }, frames,
      stages: {
        kinematic: { loss: 10, iterations: 40, ms: 800, lossCurve: curve(300, 0.1, 40) },
        physics: {
          optimizer: 'optimus', loss: 8, iterations: 30, ms: 5000, lossCurve: curve(150, 0.14, 30),
          windowCurves: Array.from({ length: windows }, (_, w) => curve(40 + 7 * w, 0.1 + 0.03 * w, 30)),
        },
      },
    };
  };
  const motion = reconstruction(0.03, rng.fork());
  const kinematic = reconstruction(0.08, rng.fork());
  delete kinematic.stages!.physics;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'keypoints.json'), JSON.stringify(synth.keypoints));
  writeFileSync(join(dir, 'truth.json'), JSON.stringify(synth.truth));
  writeFileSync(join(dir, 'motion.json'), JSON.stringify(motion));
  writeFileSync(join(dir, 'kinematic.json'), JSON.stringify(kinematic));
  return { motion, kinematic, keypoints: synth.keypoints, truth: synth.truth, skeleton: skel };
}
