import type { CalibratedCamera } from '../formats/calibration.ts';
import type { KeypointsFile } from '../formats/keypoints.ts';
import { LANDMARK_COUNT, LANDMARK_INDEX } from '../formats/landmarks.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { projectCalibrated, toCamera } from '../geometry/triangulate.ts';
import { applyNoiseModel, type NoiseModel } from '../eval/noise-model.ts';
import type { PersonTruth } from '../eval/multiview-truth.ts';
import { Rng, mixSeed } from '../random.ts';

/**
 * The noise model checked on the real motion: the truth of one person seen by one calibrated
 * view, made into detector output by the model instead of by BlazePose. Reconstructed like the
 * real detections, its score is what the model predicts for that view; the real score is beside it.
 * Frames where the truth or the real detection is missing stay missing, so both rest on the same frames.
 * A landmark the truth lacks in a frame (an outlier removed) is interpolated for the input only, as a detector
 * reports every landmark: dropping the whole frame left the man's perfect-input runs without input in 53 of 100 frames.
 */
export function synthFromTruth(truth: PersonTruth, real: KeypointsFile, cam: CalibratedCamera, model: NoiseModel, seed: number): KeypointsFile {
  const filled = fillGaps(truth.frames);
  const seen = filled.map((f, k) => (truth.frames[k] && real.frames[k]?.keypoints ? f : null));
  const px = seen.map((f) => (f ? f.map((p) => projectCalibrated(cam, p)) : []));
  // BlazePose's world axes are the camera's (x right, y down, z away), hip-centred.
  const world = seen.map((f) => {
    if (!f) return [];
    const c = f.map((p) => toCamera(cam, p));
    const hip = c[LANDMARK_INDEX.left_hip]!.map((v, k) => (v + c[LANDMARK_INDEX.right_hip]![k]!) / 2);
    return c.map((p) => p.map((v, k) => v - hip[k]!) as Vec3);
  });
  const rng = new Rng(mixSeed(seed, 0x5a1e));
  const noisy = applyNoiseModel(model, { px, world }, real.source.fps, rng);
  const { width, height } = real.source;
  const frames = real.frames.map((f, k) => {
    if (!seen[k]) return { ...f, keypoints: null, world: null };
    const keypoints = noisy.px[k]!.map((q): [number, number, number] => {
      const inside = q && q[0] >= 0 && q[0] < width && q[1] >= 0 && q[1] < height;
      return q ? [q[0], q[1], inside ? rng.uniform(0.8, 1) : 0] : [0, 0, 0];
    });
    return { ...f, keypoints, world: noisy.world[k]! };
  });
  return { ...real, detector: { ...real.detector, name: `synth:${model.detector}` }, frames };
}

/** Per landmark, a missing point linearly interpolated between the nearest frames that have it (held at the ends); null: never seen. */
function fillGaps(frames: PersonTruth['frames']): Array<Vec3[] | null> {
  const n = frames.length;
  const out = frames.map((f) => (f ? [...f] : null)) as Array<Array<Vec3 | null> | null>;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const have = frames.flatMap((f, k) => (f?.[i] ? [k] : []));
    if (!have.length) return frames.map(() => null);
    for (let k = 0; k < n; k++) {
      if (!out[k] || out[k]![i]) continue;
      const after = have.find((h) => h > k);
      const before = [...have].reverse().find((h) => h < k);
      const a = frames[before ?? after!]![i]!;
      const b = frames[after ?? before!]![i]!;
      const w = before !== undefined && after !== undefined ? (k - before) / (after - before) : 0;
      out[k]![i] = [0, 1, 2].map((c) => a[c]! + w * (b[c]! - a[c]!)) as Vec3;
    }
  }
  return out as Array<Vec3[] | null>;
}
