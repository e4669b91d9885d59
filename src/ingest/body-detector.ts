import { createRequire } from 'node:module';
import type * as PoseDetection from '@tensorflow-models/pose-detection';
import { UserError } from '../errors.ts';
import type { tf } from '../optimus/backend.ts';
import { fileModelHandler } from './io-handler.ts';
import { BODY_DETECTOR_MODEL, modelJsonPath, type ModelManifest } from './models.ts';

const requireCjs = createRequire(import.meta.url);
const poseDetection = requireCjs('@tensorflow-models/pose-detection') as typeof PoseDetection;

/**
 * A person detector that looks at the whole body: MoveNet MultiPose Lightning (17 COCO
 * keypoints and a box per person). BlazePose's own person detector keys on the face and
 * misses people seen from behind or with a hidden face (on the multi-view capture it never
 * finds the man in cam01 nor the woman in cam03); this one finds them, and its keypoints
 * place BlazePose's region of interest the way BlazePose's detector would.
 */
export const BODY_DETECTOR_DEFAULTS = {
  /** Longer side of the image the network sees (MoveNet's default; a multiple of 32). */
  maxDimension: 256,
  /** People scored below this are ignored. */
  minPoseScore: 0.2,
  /** Keypoints scored below this do not shape the region of interest. */
  minKeypointScore: 0.2,
  /**
   * Radius of the circle around the hip centre that holds the whole body, as a multiple of the
   * farthest keypoint's distance (the head's top and the soles lie beyond the eyes and ankles;
   * BlazePose's own detector draws it 1.1–1.35× (median 1.24×) that far on people both find).
   */
  radiusMargin: 1.25,
};

/** One body as MoveNet sees it, in frame pixels. */
export interface BodyPerson {
  /** 17 × [x_px, y_px, score] in COCO order. */
  keypoints: Array<[number, number, number]>;
  score: number;
}

/** BlazePose's person detection as its ROI code reads it: hip centre, then a point on the circle enclosing the body, toward the head. */
export interface AlignmentDetection {
  locationData: { relativeKeypoints: Array<{ x: number; y: number }> };
  score: number[];
}

const COCO = { nose: 0, leftShoulder: 5, rightShoulder: 6, leftHip: 11, rightHip: 12 };

export class BodyDetector {
  private constructor(private readonly inner: PoseDetection.PoseDetector) {}

  static async create(cacheDir: string, manifest: ModelManifest): Promise<BodyDetector> {
    const url = modelJsonPath(cacheDir, manifest, BODY_DETECTOR_MODEL);
    try {
      const inner = await poseDetection.createDetector(poseDetection.SupportedModels.MoveNet, {
        modelType: poseDetection.movenet.modelType.MULTIPOSE_LIGHTNING,
        modelUrl: fileModelHandler(url),
        enableTracking: false,
        enableSmoothing: false,
        multiPoseMaxDimension: BODY_DETECTOR_DEFAULTS.maxDimension,
        minPoseScore: BODY_DETECTOR_DEFAULTS.minPoseScore,
      });
      return new BodyDetector(inner);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot load the MoveNet body detector from ${url} (${(err as Error).message}); re-fetch it with: npm run fetch-models`);
    }
  }

  /** Every body found in a frame (an RGB tensor of the frame's pixels). */
  async detect(input: tf.Tensor3D): Promise<BodyPerson[]> {
    const poses = await this.inner.estimatePoses(input, { maxPoses: 6, flipHorizontal: false });
    return poses.map((p) => ({ keypoints: p.keypoints.map((k) => [k.x, k.y, k.score ?? 0] as [number, number, number]), score: p.score ?? 0 }));
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/**
 * The detection BlazePose's own detector would give for this body: the hip centre and a point
 * at the body's enclosing radius in the direction from the hips to the shoulders. Null when the
 * hips or shoulders are not seen.
 */
export function bodyToAlignment(person: BodyPerson, width: number, height: number, options = BODY_DETECTOR_DEFAULTS): AlignmentDetection | null {
  const k = person.keypoints;
  const seen = (i: number) => k[i]![2] >= options.minKeypointScore;
  if (![COCO.leftHip, COCO.rightHip, COCO.leftShoulder, COCO.rightShoulder].every(seen)) return null;
  const mid = (a: number, b: number) => [(k[a]![0] + k[b]![0]) / 2, (k[a]![1] + k[b]![1]) / 2] as const;
  const hip = mid(COCO.leftHip, COCO.rightHip);
  const shoulder = mid(COCO.leftShoulder, COCO.rightShoulder);
  const up = [shoulder[0] - hip[0], shoulder[1] - hip[1]];
  const len = Math.hypot(up[0]!, up[1]!);
  if (!(len > 0)) return null;
  let radius = 0;
  for (let i = 0; i < k.length; i++) if (seen(i)) radius = Math.max(radius, Math.hypot(k[i]![0] - hip[0], k[i]![1] - hip[1]));
  radius *= options.radiusMargin;
  const edge = [hip[0] + (up[0]! / len) * radius, hip[1] + (up[1]! / len) * radius];
  return {
    locationData: { relativeKeypoints: [{ x: hip[0] / width, y: hip[1] / height }, { x: edge[0]! / width, y: edge[1]! / height }] },
    score: [person.score],
  };
}
