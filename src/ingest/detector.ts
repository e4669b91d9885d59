import * as poseDetection from '@tensorflow-models/pose-detection';
import { UserError } from '../errors.ts';
import { initBackend, tf, type BackendName } from '../optimus/backend.ts';
import type { Frame } from './frames.ts';
import { fileModelHandler } from './io-handler.ts';
import { ensureModels, modelJsonPath, readManifest, type EnsureOptions, type LandmarkModel } from './models.ts';

/** Which person to follow when several are visible. */
export type PersonChoice = 'largest' | number;

export interface DetectorOptions {
  /** BlazePose landmark model. */
  model?: LandmarkModel;
  /** Use the previous frame's pose as the region of interest instead of running the person detector each frame. */
  tracking?: boolean;
  /** 'largest', or the i-th person counted from the left (0-based) when the person detector runs. */
  person?: PersonChoice;
  backend?: BackendName;
  /** Model cache and fetch behaviour (see models.ts). */
  models?: EnsureOptions;
}

export const DETECTOR_DEFAULTS = {
  model: 'full' as LandmarkModel,
  tracking: true,
  person: 'largest' as PersonChoice,
  backend: 'wasm' as BackendName,
  /** At most this many people are considered when choosing one. */
  maxPeople: 6,
};

/** One person's landmarks: image keypoints in the frame's pixels and the detector's world estimate. */
export interface PoseResult {
  /** 33 × [x_px, y_px, score] in frame pixels. */
  keypoints: Array<[number, number, number]>;
  /** 33 × [x, y, z] metres, hip-centred, BlazePose axes (x right, y down, z away from the camera). */
  world: Array<[number, number, number]> | null;
  score: number;
}

/** Internals of pose-detection's BlazePose (tfjs runtime) used to choose the person. */
interface BlazePoseInternals {
  regionOfInterest: unknown;
  maxPoses: number;
  detectPose(image: tf.Tensor3D): Promise<Array<{ score?: number[]; locationData: { relativeKeypoints?: Array<{ x: number; y: number }> } }>>;
  poseDetectionToRoi(detection: unknown, imageSize: { width: number; height: number }): unknown;
}

/**
 * BlazePose (33 landmarks + world landmarks) on a tfjs backend with local weights.
 * Stateful: with tracking on, each frame starts from the previous frame's pose.
 * The library's own smoothing is off: smoothing is our switchable One-Euro filter.
 */
export class PoseDetector {
  /** How often the person detector ran (once per clip with tracking, every frame without). */
  personDetectorRuns = 0;
  private scratch: Float32Array | null = null;

  private constructor(
    private readonly inner: poseDetection.PoseDetector,
    readonly options: Required<Omit<DetectorOptions, 'models'>>,
  ) {}

  /**
   * A detector with fresh tracking state. Loaded models are kept per (model, backend)
   * and shared by later detectors in the process (loading costs seconds);
   * `releaseModels()` frees them.
   */
  static async create(options: DetectorOptions = {}): Promise<PoseDetector> {
    const opts = {
      model: options.model ?? DETECTOR_DEFAULTS.model,
      tracking: options.tracking ?? DETECTOR_DEFAULTS.tracking,
      person: options.person ?? DETECTOR_DEFAULTS.person,
      backend: options.backend ?? DETECTOR_DEFAULTS.backend,
    };
    if (!['lite', 'full', 'heavy'].includes(opts.model)) throw new UserError(`unknown model "${opts.model}" (choose lite, full or heavy)`);
    const manifest = readManifest();
    const cacheDir = await ensureModels(opts.model, { ...options.models, manifest });
    await initBackend(opts.backend);
    const key = `${opts.model}/${opts.backend}/${cacheDir}`;
    let inner = loaded.get(key);
    if (!inner) {
      try {
        inner = await poseDetection.createDetector(poseDetection.SupportedModels.BlazePose, {
          runtime: 'tfjs',
          modelType: opts.model,
          enableSmoothing: false,
          enableSegmentation: false,
          detectorModelUrl: fileModelHandler(modelJsonPath(cacheDir, manifest, 'detector')),
          landmarkModelUrl: fileModelHandler(modelJsonPath(cacheDir, manifest, opts.model)),
        });
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`cannot load the BlazePose ${opts.model} model from ${cacheDir} (${(err as Error).message}); re-fetch it with: npm run fetch-models`);
      }
      loaded.set(key, inner);
    }
    inner.reset();
    return new PoseDetector(inner, opts);
  }

  /** Detects the chosen person in an RGB frame; null when nobody is found. */
  async detect(frame: Frame, timestampMs: number): Promise<PoseResult | null> {
    // A float32 tensor straight from the bytes: the library casts its input to float32
    // anyway, and tfjs's own Uint8 → int32 conversion is several times slower.
    // One scratch array reused across frames of the same size (the tensor is disposed
    // before the next frame); set() converts bytes to floats natively.
    if (this.scratch?.length !== frame.data.length) this.scratch = new Float32Array(frame.data.length);
    const pixels = this.scratch;
    pixels.set(frame.data);
    const input = tf.tensor3d(pixels, [frame.height, frame.width, 3], 'float32');
    try {
      const internals = this.inner as unknown as BlazePoseInternals;
      if (!this.options.tracking) internals.regionOfInterest = null;
      const tracked = internals.regionOfInterest != null;
      let pose = tracked ? await this.estimate(input, timestampMs) : null;
      // Tracking lost (or off): find people afresh and choose one.
      if (!pose) {
        const chosen = await this.choosePerson(input, frame);
        if (!chosen) return null;
        internals.regionOfInterest = chosen;
        pose = await this.estimate(input, timestampMs);
      }
      return pose;
    } finally {
      input.dispose();
    }
  }

  private async estimate(input: tf.Tensor3D, timestampMs: number): Promise<PoseResult | null> {
    const poses = await this.inner.estimatePoses(input, { maxPoses: 1, flipHorizontal: false }, timestampMs);
    const p = poses[0];
    if (!p || !p.keypoints?.length) return null;
    return {
      keypoints: p.keypoints.map((k) => [k.x, k.y, k.score ?? 0]),
      world: p.keypoints3D ? p.keypoints3D.map((k) => [k.x, k.y, k.z ?? 0]) : null,
      score: p.score ?? 0,
    };
  }

  /** Runs the person detector for several people and returns the region of interest of the chosen one. */
  private async choosePerson(input: tf.Tensor3D, frame: Frame): Promise<unknown | null> {
    const internals = this.inner as unknown as BlazePoseInternals;
    internals.maxPoses = DETECTOR_DEFAULTS.maxPeople;
    let detections: Awaited<ReturnType<BlazePoseInternals['detectPose']>>;
    this.personDetectorRuns += 1;
    try {
      detections = await internals.detectPose(input);
    } finally {
      internals.maxPoses = 1;
    }
    // BlazePose's detector gives two alignment points per person: the hip centre and a
    // point on the circle enclosing the body, so their distance measures the person's size.
    const people = detections.map((d) => {
      const [hip, edge] = d.locationData.relativeKeypoints ?? [];
      const x = (hip?.x ?? 0) * frame.width;
      const size = hip && edge ? Math.hypot((edge.x - hip.x) * frame.width, (edge.y - hip.y) * frame.height) : 0;
      return { d, x, size };
    });
    if (people.length === 0) return null;
    const { person } = this.options;
    let pick: (typeof people)[number] | undefined;
    if (person === 'largest') pick = people.reduce((a, b) => (b.size > a.size ? b : a));
    else pick = [...people].sort((a, b) => a.x - b.x)[person];
    if (!pick) return null;
    return internals.poseDetectionToRoi(pick.d, { width: frame.width, height: frame.height });
  }

  /** Forgets the tracked pose (for a new clip). */
  reset(): void {
    this.inner.reset();
  }
}

const loaded = new Map<string, poseDetection.PoseDetector>();

/** Frees every loaded model (their tensors live on the tfjs backend). */
export function releaseModels(): void {
  for (const d of loaded.values()) d.dispose();
  loaded.clear();
}
