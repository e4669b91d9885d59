import { readBvh } from '../../src/body/bvh.ts';
import { synthesize } from '../../src/eval/synth.ts';
import { LANDMARK_MIRROR as MIRROR } from '../../src/formats/landmarks.ts';
import type { KeypointsFile } from '../../src/formats/keypoints.ts';
import type { Vec3 } from '../../src/geometry/quaternion.ts';
import { projectCalibrated, type ViewCamera } from '../../src/geometry/triangulate.ts';
import type { Rng } from '../../src/random.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

/** A synthetic multi-view capture for the truth's tests: four calibrated cameras around two people. */

/** A camera at `centre` looking at `target` (z up), OpenCV convention, with a phone lens. */
export function cameraAt(centre: Vec3, target: Vec3): ViewCamera {
  const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const norm = (a: Vec3): Vec3 => { const n = Math.hypot(...a); return [a[0] / n, a[1] / n, a[2] / n]; };
  const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const z = norm(sub(target, centre));
  const x = norm(cross(z, [0, 0, 1]));
  const y = cross(z, x);
  const R = [...x, ...y, ...z];
  const t = [0, 1, 2].map((r) => -(R[3 * r]! * centre[0] + R[3 * r + 1]! * centre[1] + R[3 * r + 2]! * centre[2])) as [number, number, number];
  return { fx: 1680, fy: 1680, cx: 544, cy: 960, distortion: [-0.047, 0.137, 0.0006, 0.0007, 0], R, t };
}

export const CAMS = [cameraAt([3.5, -2.5, 1.9], [0, 0, 0.9]), cameraAt([3, 3, 1.7], [0, 0, 0.9]), cameraAt([-3.5, 2.5, 2.1], [0, 0, 0.9]), cameraAt([-4, -1.5, 1.9], [0, 0, 0.9])];

/** Two people from a mocap squat (y-up world → z-up lab), side by side, half a clip apart in time: [person][frame][landmark]. */
export function twoPeople(n: number): Vec3[][][] {
  const frames = synthesize(readBvh(`${PROJECT_ROOT}/data/demo-squat.bvh`), { fps: 30 }).truth.frames.map((f) => f.joints3d.map((p) => [p[0], -p[2], p[1]] as Vec3));
  return [0, 1].map((k) => Array.from({ length: n }, (_, f) => frames[(f + 30 * k) % frames.length]!.map((p) => [p[0] + (k ? 0.9 : -0.6), p[1] + (k ? 0.4 : 0), p[2]] as Vec3)));
}

/** A detector with `sigma` px of Gaussian noise, sides optionally swapped. */
export function detector(rng: Rng, sigma = 1) {
  return (cam: ViewCamera, body: Vec3[], swap: boolean) => {
    const pts = body.map((p) => { const q = projectCalibrated(cam, p)!; return [q[0] + sigma * rng.normal(), q[1] + sigma * rng.normal(), 0.9] as [number, number, number]; });
    return swap ? MIRROR.map((m) => pts[m]!) : pts;
  };
}

/** A keypoints file holding only frames of 2D detections (what the truth reads). */
export const keypointsOf = (frames: Array<Array<[number, number, number]> | null>) => ({ frames: frames.map((keypoints, index) => ({ index, time: index / 30, keypoints })) }) as unknown as KeypointsFile;
