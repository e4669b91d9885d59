import { createRequire } from 'node:module';
import type * as PoseDetection from '@tensorflow-models/pose-detection';
import { UserError } from '../errors.ts';
import { initBackend, tf, type BackendName } from '../optimus/backend.ts';
import { BodyDetector, bodyToAlignment, type AlignmentDetection, type BodyPerson } from './body-detector.ts';
import type { Frame } from './frames.ts';
import { bodyPlacement, distrustOthers, IDENTITY_DEFAULTS, IdentityTrack, overlapShare, posePlacement, poseToBody, type Placement } from './identity.ts';
import { fileModelHandler } from './io-handler.ts';
import { BODY_DETECTOR_MODEL, ensureModels, modelJsonPath, readManifest, type EnsureOptions, type LandmarkModel } from './models.ts';
import { OneEuroFilter, POSE_FILTER_DEFAULTS } from './one-euro.ts';
import { PERSON_DETECTORS, type PersonDetectorChoice } from './person-detectors.ts';
import { bodyVote } from './sides.ts';

// pose-detection and its BlazePose constants are loaded through one CommonJS require so
// that the setting below reaches the very module instance the detector uses.
const requireCjs = createRequire(import.meta.url);
const poseDetection = requireCjs('@tensorflow-models/pose-detection') as typeof PoseDetection;
const blazePoseConstants = requireCjs('@tensorflow-models/pose-detection/dist/blazepose_tfjs/constants.js') as {
  BLAZEPOSE_LANDMARK_IMAGE_TO_TENSOR_CONFIG: { borderMode: 'zero' | 'replicate' };
};
// Where the landmark crop leaves the frame (a standing person in a portrait video: a
// third of the square crop), MediaPipe repeats the edge pixels (ImageToTensorCalculator's
// default border mode); the tfjs port fills zeros, so the model saw black bars it was not
// run with. Measured on pose_squats.mp4: 3D 0.9 mm closer to MediaPipe's output.
blazePoseConstants.BLAZEPOSE_LANDMARK_IMAGE_TO_TENSOR_CONFIG.borderMode = 'replicate';

/** Which person to follow when several are visible. */
export type PersonChoice = 'largest' | number;

export { PERSON_DETECTORS, type PersonDetectorChoice } from './person-detectors.ts';

export interface DetectorOptions {
  /** BlazePose landmark model. */
  model?: LandmarkModel;
  /** Use the previous frame's pose as the region of interest instead of running the person detector each frame. */
  tracking?: boolean;
  /** 'largest', or the i-th person counted from the left (0-based) when the person detector runs. */
  person?: PersonChoice;
  personDetector?: PersonDetectorChoice;
  /** Run the body detector on every frame for its vote on the pose's left and right (sides.ts); needs a person detector with MoveNet. */
  sideVotes?: boolean;
  backend?: BackendName;
  /** Model cache and fetch behaviour (see models.ts). */
  models?: EnsureOptions;
}

export const DETECTOR_DEFAULTS = {
  /** As ingest's default (INGEST_DEFAULTS.model, ingest.ts). */
  model: 'full' as LandmarkModel,
  tracking: true,
  person: 'largest' as PersonChoice,
  personDetector: 'both' as PersonDetectorChoice,
  sideVotes: true,
  /** Side votes at most this often (ms of video): the body detector costs about as much as BlazePose per frame, and runs of swapped frames last tenths of a second. */
  voteIntervalMs: 50,
  backend: 'wasm' as BackendName,
  /** A BlazePose detection whose hip centre is within this share of the larger size (enclosing radius) of a body's is that person. */
  samePersonShare: 0.35,
  /** At most this many people are considered when choosing one. */
  maxPeople: 6,
  /** Smoothing of the auxiliary landmarks that place the next frame's crop (MediaPipe's). */
  cropSmoothing: POSE_FILTER_DEFAULTS.auxiliary,
};

/** One person's landmarks: image keypoints in the frame's pixels and the detector's world estimate. */
export interface PoseResult {
  /** 33 × [x_px, y_px, score] in frame pixels. */
  keypoints: Array<[number, number, number]>;
  /** 33 × [x, y, z] metres, hip-centred, BlazePose axes (x right, y down, z away from the camera). */
  world: Array<[number, number, number]> | null;
  score: number;
  /** The body detector's vote on the sides (sides.ts bodyVote); null when it did not run or did not find this person. */
  sideVote: number | null;
  /** The largest share of this person's box another person covers (identity.ts); null when the body detector did not run on the frame. */
  overlap: number | null;
}

interface ImageSize { width: number; height: number }
/** A landmark as pose-detection returns it: normalized to the frame for image landmarks, metres for world ones. */
interface RawLandmark { x: number; y: number; z?: number; score?: number }
/** pose-detection's rotated, normalized region of interest (opaque here). */
type Roi = object;

/**
 * Internals of pose-detection's BlazePose (tfjs runtime): the stages of MediaPipe's
 * pose graph, called one by one so that we choose the person, place the crop and
 * filter the landmarks ourselves.
 */
interface BlazePoseInternals {
  maxPoses: number;
  detectPose(image: tf.Tensor3D): Promise<Array<{ score?: number[]; locationData: { relativeKeypoints?: Array<{ x: number; y: number }> } }>>;
  poseDetectionToRoi(detection: unknown, imageSize: ImageSize): Roi;
  /** Crops the region, runs the landmark model; null when the pose score is below 0.5. */
  poseLandmarksByRoi(roi: Roi, image: tf.Tensor3D): Promise<{
    landmarks: RawLandmark[]; auxiliaryLandmarks: RawLandmark[]; worldLandmarks: RawLandmark[]; poseScore: number;
  } | null>;
  /** The crop for the next frame from the two auxiliary landmarks (hip centre, body-size point). */
  poseLandmarksToRoi(auxiliaryLandmarks: RawLandmark[], imageSize: ImageSize): Roi;
}

/**
 * BlazePose (33 landmarks + world landmarks) on a tfjs backend with local weights.
 * Stateful: with tracking on, each frame is cropped where the previous frame's pose
 * was, as MediaPipe does it: from the auxiliary landmarks after One-Euro smoothing, so
 * the crop (and with it the model's 3D estimate) does not jitter with the landmarks
 * (cropping from the raw landmarks cost 3–4 mm of 3D agreement with MediaPipe's output
 * on pose_squats.mp4).
 * The landmarks themselves come out unfiltered: smoothing them is the caller's
 * switchable filter (PoseFilter).
 */
export class PoseDetector {
  /** How often the person detector ran (once per clip with tracking, every frame without). */
  personDetectorRuns = 0;
  private scratch: Float32Array | null = null;
  /** Where the next frame is cropped (tracking), null when the person detector must run. */
  private roi: Roi | null = null;
  private readonly cropFilter = new OneEuroFilter(DETECTOR_DEFAULTS.cropSmoothing);
  private lastVoteMs = -Infinity;
  /** The body detector's people in the current frame when it already ran (the vote and the identity check reuse them). */
  private frameBodies: BodyPerson[] | null = null;
  /** Where the tracked person moves, so another person overlapping them is not taken for them (identity.ts). */
  private readonly identity = new IdentityTrack();

  private constructor(
    private readonly inner: PoseDetection.PoseDetector,
    private readonly body: BodyDetector | null,
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
      personDetector: options.personDetector ?? DETECTOR_DEFAULTS.personDetector,
      sideVotes: options.sideVotes ?? DETECTOR_DEFAULTS.sideVotes,
      backend: options.backend ?? DETECTOR_DEFAULTS.backend,
    };
    if (!['lite', 'full', 'heavy'].includes(opts.model)) throw new UserError(`unknown model "${opts.model}" (choose lite, full or heavy)`);
    if (!PERSON_DETECTORS.includes(opts.personDetector)) throw new UserError(`unknown person detector "${opts.personDetector}" (choose ${PERSON_DETECTORS.join(', ')})`);
    const manifest = readManifest();
    const useBody = opts.personDetector !== 'blazepose';
    const cacheDir = await ensureModels(useBody ? [opts.model, BODY_DETECTOR_MODEL] : opts.model, { ...options.models, manifest });
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
    let body: BodyDetector | null = null;
    if (useBody) {
      body = loadedBody.get(cacheDir) ?? await BodyDetector.create(cacheDir, manifest);
      loadedBody.set(cacheDir, body);
    }
    return new PoseDetector(inner, body, opts);
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
    this.frameBodies = null;
    try {
      const size = { width: frame.width, height: frame.height };
      let pose = this.options.tracking && this.roi ? await this.landmarks(this.roi, input, size, timestampMs) : null;
      // Tracking lost (or off): find people afresh and choose one.
      if (!pose) {
        this.forgetCrop();
        const chosen = await this.choosePerson(input, frame, timestampMs);
        // No crop is kept when this finds nobody: landmarks() places one only on success.
        if (chosen) pose = await this.landmarks(chosen, input, size, timestampMs);
      }
      const voteDue = Boolean(pose && this.body && this.options.sideVotes && !(timestampMs - this.lastVoteMs < DETECTOR_DEFAULTS.voteIntervalMs - 1e-6));
      // With another person near, the body detector runs on every frame to keep the identity.
      if (pose && this.body && this.options.tracking && !this.frameBodies && (voteDue || this.identity.crowded)) this.frameBodies = await this.body.detect(input);
      let own: BodyPerson | null = null;
      if (pose && this.options.tracking) ({ pose, own } = await this.keepIdentity(pose, input, size, timestampMs));
      if (pose && voteDue) {
        pose.sideVote = bodyVote(pose.keypoints, own ? [own] : this.frameBodies ?? await this.body!.detect(input));
        this.lastVoteMs = timestampMs;
      }
      return pose;
    } finally {
      input.dispose();
    }
  }

  /**
   * The tracked pose checked against the body detector's people, where it ran: the tracked person's body
   * is the one their motion predicts; a pose that drifted off it is re-cropped on it, and landmarks lying
   * on another person are marked low-visibility. Without the body detector the pose itself moves the track.
   */
  private async keepIdentity(pose: PoseResult, input: tf.Tensor3D, size: ImageSize, timestampMs: number): Promise<{ pose: PoseResult; own: BodyPerson | null }> {
    const bodies = this.frameBodies;
    if (!bodies) {
      this.identity.update(posePlacement(pose.keypoints), timestampMs);
      return { pose, own: null };
    }
    const places = bodies.map((b) => bodyPlacement(b));
    let k = this.identity.match(places, timestampMs);
    // A new track: its body is the one the pose lies on.
    if (k < 0 && !this.identity.predict(timestampMs)) {
      const d = bodies.map((b) => poseToBody(pose.keypoints, b));
      const j = d.indexOf(Math.min(...d));
      if (d[j]! < 2 * IDENTITY_DEFAULTS.driftTorsos) k = j;
    }
    const own = k >= 0 ? bodies[k]! : null;
    const others = bodies.filter((_, j) => j !== k);
    const otherPlaces = places.filter((p, j): p is Placement => p !== null && j !== k);
    // Re-cropped only when the pose lies on someone else: the body detector is the coarser of the two (its
    // limbs err at times where people overlap), so mere drift from the tracked body is left to BlazePose.
    if (own && others.length && poseToBody(pose.keypoints, own) > IDENTITY_DEFAULTS.driftTorsos
      && others.some((b) => poseToBody(pose.keypoints, b) < poseToBody(pose.keypoints, own))) pose = await this.recrop(pose, own, input, size, timestampMs);
    if (own && others.length) pose.keypoints = distrustOthers(pose.keypoints, own, others).keypoints;
    const place = (own && places[k]) || posePlacement(pose.keypoints);
    pose.overlap = overlapShare(place, otherPlaces);
    this.identity.look(place, otherPlaces);
    this.identity.update(place, timestampMs);
    return { pose, own };
  }

  /** The landmark model on a crop placed on a body, and the next frame's crop moved there when that pose fits the body better. */
  private async recrop(pose: PoseResult, body: BodyPerson, input: tf.Tensor3D, size: ImageSize, timestampMs: number): Promise<PoseResult> {
    const d = bodyToAlignment(body, size.width, size.height);
    if (!d) return pose;
    const internals = this.inner as unknown as BlazePoseInternals;
    const again = await this.runCrop(internals.poseDetectionToRoi(d, size), input, size);
    if (!again || !(poseToBody(again.pose.keypoints, body) < poseToBody(pose.keypoints, body))) return pose;
    // The crop jumps to the body: smoothing it from the drifted one would drag it back.
    this.forgetCrop();
    this.placeCrop(again.aux, size, timestampMs);
    return again.pose;
  }

  /** Landmarks inside a region; also places the crop for the next frame. */
  private async landmarks(roi: Roi, input: tf.Tensor3D, size: ImageSize, timestampMs: number): Promise<PoseResult | null> {
    const r = await this.runCrop(roi, input, size);
    if (!r) return null;
    this.placeCrop(r.aux, size, timestampMs);
    return r.pose;
  }

  /** The landmark model on one region; null when it finds no pose there. */
  private async runCrop(roi: Roi, input: tf.Tensor3D, size: ImageSize): Promise<{ pose: PoseResult; aux: RawLandmark[] } | null> {
    const internals = this.inner as unknown as BlazePoseInternals;
    const r = await internals.poseLandmarksByRoi(roi, input);
    if (!r) return null;
    return {
      aux: r.auxiliaryLandmarks,
      pose: {
        keypoints: r.landmarks.map((k) => [k.x * size.width, k.y * size.height, k.score ?? 0]),
        world: r.worldLandmarks.map((k) => [k.x, k.y, k.z ?? 0]),
        score: r.poseScore,
        sideVote: null,
        overlap: null,
      },
    };
  }

  private placeCrop(aux: RawLandmark[], size: ImageSize, timestampMs: number): void {
    const internals = this.inner as unknown as BlazePoseInternals;
    this.roi = internals.poseLandmarksToRoi(this.smoothAuxiliary(aux, size, timestampMs), size);
  }

  /**
   * MediaPipe's smoothing of the auxiliary landmarks (pose_landmark_filtering): in pixels,
   * with speeds counted in person sizes (twice the distance between the two points).
   */
  private smoothAuxiliary(aux: RawLandmark[], size: ImageSize, timestampMs: number): RawLandmark[] {
    const px = aux.flatMap((k) => [k.x * size.width, k.y * size.height]);
    const personSize = 2 * Math.hypot(px[2]! - px[0]!, px[3]! - px[1]!);
    const f = this.cropFilter.apply(px, timestampMs / 1000, 1 / Math.max(personSize, 1e-6));
    return aux.map((k, i) => ({ ...k, x: f[2 * i]! / size.width, y: f[2 * i + 1]! / size.height }));
  }

  private forgetCrop(): void {
    this.roi = null;
    this.cropFilter.reset();
  }

  /**
   * Runs the person detector(s) for several people and returns the region of interest of the chosen one:
   * with tracking, the body where the lost person's motion puts them (so an overlapping person is not
   * taken instead), else by the `person` rule.
   */
  private async choosePerson(input: tf.Tensor3D, frame: Frame, timestampMs: number): Promise<Roi | null> {
    const internals = this.inner as unknown as BlazePoseInternals;
    this.personDetectorRuns += 1;
    let faces: Candidate[] = [];
    if (this.options.personDetector !== 'movenet') {
      internals.maxPoses = DETECTOR_DEFAULTS.maxPeople;
      try {
        faces = (await internals.detectPose(input)).map((d) => candidate(d, frame));
      } finally {
        internals.maxPoses = 1;
      }
    }
    const bodies: Candidate[] = [];
    const placed: Array<Placement | null> = [];
    if (this.body) {
      this.frameBodies = await this.body.detect(input);
      for (const b of this.frameBodies) {
        const d = bodyToAlignment(b, frame.width, frame.height);
        if (!d) continue;
        bodies.push(candidate(d, frame));
        placed.push(bodyPlacement(b));
      }
    }
    // mergePeople keeps the bodies first, in order.
    const people = this.body ? mergePeople(faces, bodies) : faces;
    if (people.length === 0) return null;
    const { person } = this.options;
    const same = this.options.tracking ? this.identity.match(placed, timestampMs) : -1;
    let pick: Candidate | undefined;
    if (same >= 0) pick = people[same];
    else if (person === 'largest') pick = people.reduce((a, b) => (b.size > a.size ? b : a));
    else pick = [...people].sort((a, b) => a.x - b.x)[person];
    if (!pick) return null;
    return internals.poseDetectionToRoi(pick.d, { width: frame.width, height: frame.height });
  }

  /** Forgets the tracked pose (for a new clip). */
  reset(): void {
    this.forgetCrop();
    this.identity.reset();
    this.lastVoteMs = -Infinity;
    this.inner.reset();
  }
}

/** A person found by either detector: its alignment points, hip centre and size (enclosing radius) in pixels. */
interface Candidate { d: AlignmentDetection | PersonDetection; x: number; y: number; size: number }
type PersonDetection = Awaited<ReturnType<BlazePoseInternals['detectPose']>>[number];

/**
 * BlazePose's detector gives two alignment points per person: the hip centre and a point on the
 * circle enclosing the body, so their distance measures the person's size.
 */
function candidate(d: AlignmentDetection | PersonDetection, frame: Frame): Candidate {
  const [hip, edge] = d.locationData.relativeKeypoints ?? [];
  const x = (hip?.x ?? 0) * frame.width;
  const y = (hip?.y ?? 0) * frame.height;
  const size = hip && edge ? Math.hypot((edge.x - hip.x) * frame.width, (edge.y - hip.y) * frame.height) : 0;
  return { d, x, y, size };
}

/**
 * One entry per person: the body detector's people (it finds each body once), each placed by
 * BlazePose's own detection of it where there is one (the crop its landmark model was trained
 * on), plus people BlazePose's detector found far from every body. BlazePose's detector can
 * report one person twice; matching through the bodies drops the duplicate.
 */
export function mergePeople<C extends { x: number; y: number; size: number }>(faces: C[], bodies: C[], share = DETECTOR_DEFAULTS.samePersonShare): C[] {
  const dist = (a: C, b: C) => Math.hypot(a.x - b.x, a.y - b.y) / Math.max(a.size, b.size, 1e-6);
  const people = bodies.map((body) => {
    const near = faces.filter((f) => dist(f, body) < share && bodies.every((o) => dist(f, o) >= dist(f, body)));
    return near.length ? near.reduce((a, b) => (dist(a, body) <= dist(b, body) ? a : b)) : body;
  });
  for (const f of faces) if (bodies.every((b) => dist(f, b) >= 1)) people.push(f);
  return people;
}

const loaded = new Map<string, PoseDetection.PoseDetector>();
const loadedBody = new Map<string, BodyDetector>();

/** Frees every loaded model (their tensors live on the tfjs backend). */
export function releaseModels(): void {
  for (const d of loaded.values()) d.dispose();
  loaded.clear();
  for (const b of loadedBody.values()) b.dispose();
  loadedBody.clear();
}
