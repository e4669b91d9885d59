import { basename, join } from 'node:path';
import { UserError } from '../errors.ts';
import { Rng, mixSeed } from '../random.ts';
import { applyNoiseModel, type NoiseModel } from './noise-model.ts';
import { placeLandmarks, subjectOffsets } from './landmark-placement.ts';
import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import { guessIntrinsics, lookAt, projectPoint, worldToCamera, type PinholeCamera } from '../geometry/camera.ts';
import { KEYPOINTS_FORMAT, type KeypointsFile, writeKeypoints } from '../formats/keypoints.ts';
import { TRUTH_FORMAT, type TruthFile, writeTruth } from '../formats/truth.ts';
import { LANDMARK_INDEX } from '../formats/landmarks.ts';
import { type BvhClip, readBvh } from '../body/bvh.ts';
import { forwardKinematics, landmarksFromWorld } from '../body/fk.ts';
import { retargetBvh, type RetargetResult } from '../body/retarget.ts';
import { skeletonDescription } from '../body/skeleton.ts';
import { checkRetarget, type RetargetCheck } from './retarget-check.ts';

/**
 * Synthetic ground truth: a BVH clip retargeted onto the project skeleton, seen by a
 * static pinhole camera, turned into what a pose detector would output (keypoints.json)
 * plus the exact 3D landmarks (truth.json).
 *
 * Detector model: every landmark gets isotropic Gaussian pixel noise (σ = noisePx);
 * with probability `dropout` a landmark is "lost" the way detectors lose them: a low
 * score (uniform in [0, 0.3)) and a much worse position (σ = 10·noisePx + 15 px);
 * landmarks outside the image get score 0. Kept landmarks score uniform in [0.8, 1).
 * The `world` estimate imitates BlazePose's world landmarks: metres, origin at the hip
 * centre, camera axes with x right, y DOWN and z away from the camera, plus Gaussian
 * noise of σ = worldNoise metres per coordinate.
 */

export interface SynthCamera {
  /** Horizontal distance from the subject's mean hip centre, m; null: far enough to keep every landmark in view. */
  distance: number | null;
  /** Camera height above the ground, m. */
  height: number;
  /** Azimuth around the subject, degrees; 0 puts the camera on +z (in front of a rest-pose subject). */
  yawDeg: number;
  /** Horizontal field of view, degrees. */
  fovDeg: number;
}

export interface SynthOptions {
  fps?: number;
  /** Keep only the first `seconds` of the clip. */
  seconds?: number;
  noisePx?: number;
  dropout?: number;
  /** σ of the noise on the detector-like 3D `world` estimate, metres. */
  worldNoise?: number;
  camera?: Partial<SynthCamera>;
  width?: number;
  height?: number;
  seed?: number;
  /** Subject stature, m. */
  subjectHeight?: number;
  jointMap?: Record<string, string>;
  /** A measured detector noise model (noise-model.ts); replaces noisePx and worldNoise. With a `placement`, the subject's landmarks move too. */
  noiseModel?: NoiseModel | null;
}

export const SYNTH_DEFAULTS = {
  fps: 30,
  noisePx: 0,
  dropout: 0,
  worldNoise: 0.03,
  camera: { distance: null, height: 1.2, yawDeg: 0, fovDeg: 60 } as SynthCamera,
  width: 1280,
  height: 720,
  seed: 0,
  subjectHeight: 1.70,
};

export interface SynthResult {
  keypoints: KeypointsFile;
  truth: TruthFile;
  camera: PinholeCamera;
  retarget: RetargetResult;
  /** Is the truth a body someone can stand in (retarget-check.ts)? Also stored in truth.json. */
  checks: RetargetCheck[];
}

const MARGIN = 0.05;

function placeCamera(landmarks: Vec3[][], cam: SynthCamera, width: number, height: number): PinholeCamera {
  const intr = guessIntrinsics(width, height, { fovDeg: cam.fovDeg });
  const hips = landmarks.map((f) => f[LANDMARK_INDEX.left_hip]!.map((v, i) => (v + f[LANDMARK_INDEX.right_hip]![i]!) / 2) as Vec3);
  const target: Vec3 = [0, 0, 0];
  for (const h of hips) for (let i = 0; i < 3; i++) target[i] += h[i]! / hips.length;
  const yaw = (cam.yawDeg * Math.PI) / 180;
  const at = (d: number): PinholeCamera => lookAt([target[0] + d * Math.sin(yaw), cam.height, target[2] + d * Math.cos(yaw)], target, intr);
  if (cam.distance !== null) return at(cam.distance);
  // Far enough that every landmark of every frame stays inside the image with a margin.
  const inView = (c: PinholeCamera): boolean => landmarks.every((f) => f.every((p) => {
    const uv = projectPoint(c, p);
    return uv !== null && uv[0] > MARGIN * width && uv[0] < (1 - MARGIN) * width && uv[1] > MARGIN * height && uv[1] < (1 - MARGIN) * height;
  }));
  // Moving away only shrinks the subject in the image: bisect for the nearest distance that fits (1 cm).
  let far = 40;
  if (!inView(at(far))) throw new UserError(`the motion does not fit in a ${width}×${height} view within ${far} m; pass --camera with a larger field of view`);
  let near = 0.5;
  while (far - near > 0.01) {
    const d = (near + far) / 2;
    if (inView(at(d))) far = d; else near = d;
  }
  return at(Math.ceil(far * 100) / 100);
}

/** Retargets a clip and simulates a detector looking at it (pure: no files). */
export function synthesize(clip: BvhClip, options: SynthOptions = {}): SynthResult {
  const o = { ...SYNTH_DEFAULTS, ...options, camera: { ...SYNTH_DEFAULTS.camera, ...(options.camera ?? {}) } };
  if (!(o.noisePx >= 0)) throw new UserError(`noise must be ≥ 0 px, got ${o.noisePx}`);
  if (!(o.dropout >= 0 && o.dropout <= 1)) throw new UserError(`dropout must be between 0 and 1, got ${o.dropout}`);
  if (!(o.camera.fovDeg > 1 && o.camera.fovDeg < 179)) throw new UserError(`camera field of view must be between 1 and 179 degrees, got ${o.camera.fovDeg}`);
  if (o.camera.distance !== null && !(o.camera.distance > 0)) throw new UserError(`camera distance must be positive, got ${o.camera.distance}`);

  const retarget = retargetBvh(clip, { height: o.subjectHeight, fps: o.fps, seconds: o.seconds, jointMap: o.jointMap });
  const skel = retarget.skeleton;
  const worlds = retarget.poses.map((p) => forwardKinematics(skel, p));
  const skeletal = worlds.map((w) => landmarksFromWorld(skel, w));
  const checks = checkRetarget(skeletal, retarget.fps, {}, retarget.sourceFeet);
  // A real subject's landmarks are not the skeleton's: with a placement, the truth and the detector see this subject's (seeded per clip).
  const placement = o.noiseModel?.placement;
  const offsets = placement ? subjectOffsets(placement, o.seed, basename(clip.source)) : null;
  const landmarks = placement && offsets ? skeletal.map((l, k) => placeLandmarks(l, worlds[k]!, placement, offsets)) : skeletal;
  const camera = placeCamera(landmarks, o.camera, o.width, o.height);
  const rng = new Rng(mixSeed(o.seed, 0x5e7d));

  const frames: KeypointsFile['frames'] = o.noiseModel ? modelledFrames(o.noiseModel, landmarks, camera, retarget.fps, o.width, o.height, rng) : landmarks.map((lm, index) => {
    const keypoints = lm.map((p): [number, number, number] => {
      const uv = projectPoint(camera, p);
      if (!uv) return [0, 0, 0];
      const lost = o.dropout > 0 && rng.next() < o.dropout;
      const sigma = lost ? 10 * o.noisePx + 15 : o.noisePx;
      const u = uv[0] + sigma * rng.normal();
      const v = uv[1] + sigma * rng.normal();
      const inside = u >= 0 && u < o.width && v >= 0 && v < o.height;
      const score = !inside ? 0 : lost ? rng.uniform(0, 0.3) : rng.uniform(0.8, 1);
      return [u, v, score];
    });
    // BlazePose-style world landmarks: hip-centred, camera axes, y down, z away from the camera.
    const hip = lm[LANDMARK_INDEX.left_hip]!.map((v, i) => (v + lm[LANDMARK_INDEX.right_hip]![i]!) / 2) as Vec3;
    const hipCam = worldToCamera(camera, hip);
    const world = lm.map((p): Vec3 => {
      const c = worldToCamera(camera, p);
      return [
        c[0] - hipCam[0] + o.worldNoise * rng.normal(),
        -(c[1] - hipCam[1]) + o.worldNoise * rng.normal(),
        -(c[2] - hipCam[2]) + o.worldNoise * rng.normal(),
      ];
    });
    return { index, time: index / retarget.fps, keypoints, world };
  });

  const cameraJson = { fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy, rotation: camera.rotation as Quat, position: camera.position as Vec3 };
  const keypoints: KeypointsFile = {
    format: KEYPOINTS_FORMAT,
    source: { path: basename(clip.source), fps: retarget.fps, width: o.width, height: o.height, frameCount: frames.length },
    landmarks: 'mediapipe-33',
    detector: { name: 'synth', runtime: 'optimus-motion synth', ...(o.noiseModel ? { noiseModel: o.noiseModel.detector, noiseModelFormat: o.noiseModel.format } : { noisePx: o.noisePx, dropout: o.dropout, worldNoise: o.worldNoise }), seed: o.seed },
    camera: { fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy },
    frames,
  };
  const truth: TruthFile = {
    format: TRUTH_FORMAT,
    fps: retarget.fps,
    source: basename(clip.source),
    skeleton: skeletonDescription(skel),
    camera: cameraJson,
    subject: { height: skel.height, mass: skel.mass },
    retarget: {
      sourceFps: retarget.sourceFps, metresPerUnit: retarget.metresPerUnit, upAxis: retarget.upAxis, mapping: retarget.mapping,
      rigFamily: retarget.rigFamily, checks: checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail })),
    },
    frames: retarget.poses.map((p, k) => ({
      joints3d: landmarks[k]!,
      root: { position: p.rootPosition, rotation: p.rootRotation },
      rotations: p.rotations,
    })),
  };
  return { keypoints, truth, camera, retarget, checks };
}

/** Keypoints and world landmarks erring as the measured detector does (scores as kept landmarks; 0 outside the image). */
function modelledFrames(model: NoiseModel, landmarks: Vec3[][], camera: PinholeCamera, fps: number, width: number, height: number, rng: Rng): KeypointsFile['frames'] {
  const px = landmarks.map((lm) => lm.map((p) => projectPoint(camera, p)));
  // Camera axes as BlazePose's world landmarks have them: x right, y down, z away, hip-centred.
  const world = landmarks.map((lm) => {
    const cam = lm.map((p) => { const c = worldToCamera(camera, p); return [c[0], -c[1], -c[2]] as Vec3; });
    const hip = cam[LANDMARK_INDEX.left_hip]!.map((v, i) => (v + cam[LANDMARK_INDEX.right_hip]![i]!) / 2);
    return cam.map((c) => [c[0] - hip[0]!, c[1] - hip[1]!, c[2] - hip[2]!] as Vec3);
  });
  const noisy = applyNoiseModel(model, { px, world }, fps, rng);
  return noisy.px.map((frame, index) => ({
    index, time: index / fps,
    keypoints: frame.map((q): [number, number, number] => {
      const inside = q && q[0] >= 0 && q[0] < width && q[1] >= 0 && q[1] < height;
      return q ? [q[0], q[1], inside ? rng.uniform(0.8, 1) : 0] : [0, 0, 0];
    }),
    world: noisy.world[index]!,
  }));
}

/** `optimus-motion synth`: reads the clip, writes DIR/keypoints.json and DIR/truth.json atomically. */
export function synthToDirectory(bvhPath: string, outDir: string, options: SynthOptions = {}): SynthResult & { keypointsPath: string; truthPath: string } {
  const result = synthesize(readBvh(bvhPath), options);
  const keypointsPath = join(outDir, 'keypoints.json');
  const truthPath = join(outDir, 'truth.json');
  writeTruth(truthPath, result.truth);
  writeKeypoints(keypointsPath, result.keypoints);
  return { ...result, keypointsPath, truthPath };
}
