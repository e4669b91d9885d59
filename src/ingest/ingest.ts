import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { validate, writeFileAtomic } from '../formats/io.ts';
import { KEYPOINTS_FORMAT, keypointsFile, type KeypointsFile, type KeypointsFrame } from '../formats/keypoints.ts';
import type { BackendName } from '../optimus/backend.ts';
import type { PersonChoice } from './detector.ts';
import type { PersonDetectorChoice } from './person-detectors.ts';
import { cameraIntrinsics, fallbackWarning, type CameraSource } from './intrinsics.ts';
import { SELECTION_DEFAULTS, type DecodeFailure, type FrameSelection, type FrameSource, type MediaInfo } from './frames.ts';
import { isImagePath, openImages } from './images.ts';
import { importKeypoints, isKeypointInput, type KeypointFormat } from './importers/index.ts';
import type { EnsureOptions, LandmarkModel } from './models.ts';
import { PoseFilter } from './one-euro.ts';
import { fixSides } from './sides.ts';
import { OVERLAY_DEFAULTS, blankTile, contactSheet, frameTile, spreadIndices, type OverlayTile } from './overlay.ts';
import { openVideo } from './video.ts';

export interface IngestOptions extends FrameSelection {
  model?: LandmarkModel;
  /** Previous pose as the region of interest (off: the person detector runs on every frame). */
  tracking?: boolean;
  /** One-Euro filtering of the landmarks over time. */
  filter?: boolean;
  /** Choose left and right over the whole clip (sides.ts) instead of taking each frame's labels as detected. */
  sides?: boolean;
  /** Record the body detector's side votes (default: when `sides` is on; the benchmark records them on raw detections). */
  sideVotes?: boolean;
  person?: PersonChoice;
  /** Who finds people when tracking starts or is lost (detector.ts). */
  personDetector?: PersonDetectorChoice;
  backend?: BackendName;
  /** Format of a keypoint file to import (ignored for videos and images). */
  format?: KeypointFormat;
  /** Frame size and rate for imported keypoint files that do not carry them. */
  width?: number;
  height?: number;
  /** Horizontal field of view in degrees, or the focal length in pixels (wins over fov and metadata). */
  fovDeg?: number;
  focalPx?: number;
  /**
   * Time between frames given to the tracker and the filter, in ms, instead of the
   * video's own (used to reproduce references recorded at a simulated rate).
   */
  frameIntervalMs?: number;
  /** Tiles on the overlay contact sheet. */
  overlayTiles?: number;
  /** Called after each frame with (frames done, frames expected). */
  onProgress?: (done: number, total: number) => void;
  /** Where the weights are cached and whether they may be fetched. */
  models?: EnsureOptions;
}

export const INGEST_DEFAULTS = {
  /**
   * Full: heavy's kinematic result is better on bench:real's capture (14 of 16 cells), but the physics
   * stage falls on both real videos from heavy's fits (pose_1 5, pose_squats 6 windows; full 0), at
   * two to four times full's detection time (docs/real-video.md). `--model heavy` gives it.
   */
  model: 'full' as LandmarkModel,
  tracking: true,
  filter: true,
  sides: true,
  person: 'largest' as PersonChoice,
  backend: 'wasm' as BackendName,
  format: 'auto' as KeypointFormat,
  overlayTiles: OVERLAY_DEFAULTS.tiles,
};

/** What a run found, for the summary the CLI prints. */
export interface IngestStats {
  frames: number;
  framesWithoutPerson: number;
  /** Wall time per frame, decode + detect + filter (0 for imports). */
  msPerFrame: number;
  decodeFailure: DecodeFailure | null;
  cameraFrom: CameraSource;
  focalPx: number;
  /** Set when the camera is the default guess: the warning to show (also in keypoints.json). */
  cameraWarning: string | null;
  /** Frames on which the person detector ran (the rest were tracked). */
  personDetectorRuns: number;
}

export interface IngestResult {
  keypoints: KeypointsFile;
  stats: IngestStats;
  tiles: OverlayTile[];
}

export { cameraIntrinsics, type CameraSource } from './intrinsics.ts';

/** keypoints.json records a default camera with its warning, so later stages can repeat it. */
function cameraNote(from: CameraSource, width: number, height: number): { cameraWarning?: string } {
  return from === 'guess' ? { cameraWarning: fallbackWarning(width, height) } : {};
}

function cameraStats(from: CameraSource, camera: { fx: number }, width: number, height: number) {
  return { focalPx: camera.fx, cameraWarning: from === 'guess' ? fallbackWarning(width, height) : null };
}

/** Opens a video, an image or a folder of images as a frame source. */
export async function openSource(path: string, selection: FrameSelection = {}): Promise<FrameSource> {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code ?? String(err)})`);
  }
  if (isDir || isImagePath(path)) {
    if (!isDir && statSync(path).size === 0) throw new UserError(`${path}: empty file (0 bytes), not an image`);
    return openImages(path, selection);
  }
  return openVideo(path, selection);
}

/** How many frames a selection keeps from a source (an estimate when the count is). */
function expectedFrames(info: MediaInfo, sel: FrameSelection): number {
  const s = { ...SELECTION_DEFAULTS, ...Object.fromEntries(Object.entries(sel).filter(([, v]) => v !== undefined)) };
  const first = Math.round(s.start * info.fps);
  const last = Math.min(info.frameCount, Number.isFinite(s.end) ? Math.ceil(s.end * info.fps) : Infinity);
  return Math.max(0, Math.min(s.maxFrames, Math.ceil((last - first) / s.every)));
}

/**
 * Runs BlazePose over every selected frame of a source. Keeps only a few overlay
 * tiles and the landmarks, so memory does not grow with the video's pixels.
 */
export async function detectSource(source: FrameSource, options: IngestOptions = {}): Promise<IngestResult> {
  const opts = { ...INGEST_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as IngestOptions & typeof INGEST_DEFAULTS;
  // tfjs and the detector load only when a video is processed (slow to import, not needed for imports).
  const { PoseDetector } = await import('./detector.ts');
  const detector = await PoseDetector.create({ model: opts.model, tracking: opts.tracking, person: opts.person, personDetector: opts.personDetector, sideVotes: opts.sideVotes ?? opts.sides, backend: opts.backend, models: opts.models });
  const { info } = source;
  const expected = expectedFrames(info, opts);
  const tilePositions = new Set(spreadIndices(expected, opts.overlayTiles));
  const raw: RawFrame[] = [];
  const tiles: OverlayTile[] = [];
  const start = performance.now();
  try {
    for await (const frame of source) {
      const k = raw.length;
      const tMs = opts.frameIntervalMs != null ? k * opts.frameIntervalMs : frame.time * 1000;
      const pose = await detector.detect(frame, tMs);
      // Back to source pixels when the frame was scaled down for detection.
      const keypoints = pose ? pose.keypoints.map(([x, y, s]): P3 => [x * frame.scaleX, y * frame.scaleY, s]) : null;
      raw.push({ index: frame.index, time: frame.time, tMs, keypoints, world: pose?.world ?? null, sideVote: pose?.sideVote ?? null, overlap: pose?.overlap ?? null });
      if (tilePositions.has(k)) tiles.push(await frameTile(frame, null, info.width));
      opts.onProgress?.(raw.length, Math.max(expected, raw.length));
    }
  } finally {
    detector.reset();
  }
  const { frames, relabelled } = finishTrack(raw, opts);
  // The body detector's votes are kept beside the frames (keypoints.json's frames have a fixed shape).
  const sideVotes = raw.some((r) => r.sideVote != null) ? raw.map((r) => (r.sideVote == null ? null : round(r.sideVote, 3))) : undefined;
  // Likewise how much another person covered the tracked one (identity.ts), where the body detector ran.
  const overlaps = raw.some((r) => r.overlap != null) ? raw.map((r) => (r.overlap == null ? null : round(r.overlap, 3))) : undefined;
  for (const tile of tiles) {
    const kp = frames.find((f) => f.index === tile.index)?.keypoints ?? null;
    tile.keypoints = kp && kp.map(([x, y, c]) => [(x * tile.width) / info.width, (y * tile.width) / info.width, c]);
  }
  const nobody = frames.filter((f) => f.keypoints === null).length;
  const msPerFrame = frames.length ? (performance.now() - start) / frames.length : 0;
  const { camera, from } = cameraIntrinsics(info.width, info.height, { fovDeg: opts.fovDeg, focalPx: opts.focalPx, focal35mm: info.focal35mm });
  const keypoints: KeypointsFile = {
    format: KEYPOINTS_FORMAT,
    source: {
      // The path as given, and resolved: the viewer finds the video from any folder.
      path: info.path, resolvedPath: resolve(info.path), fps: info.fps, width: info.width, height: info.height, frameCount: info.frameCount,
      kind: info.kind, codec: info.codec, rotation: info.rotation, cameraFrom: from, ...cameraNote(from, info.width, info.height),
      ...(source.failure ? { decodeError: source.failure } : {}),
    },
    landmarks: 'mediapipe-33',
    detector: {
      name: `blazepose-${opts.model}`, runtime: `tfjs-${opts.backend}`, tracking: opts.tracking, filter: opts.filter ? 'one-euro' : 'none',
      personDetector: detector.options.personDetector, sides: opts.sides ? 'temporal' : 'as-detected', relabelledFrames: relabelled,
      worldAxes: 'metres, hip-centred, x right, y down, z away from the camera (BlazePose)',
    },
    camera,
    frames,
    ...(sideVotes ? { sideVotes } : {}),
    ...(overlaps ? { overlaps } : {}),
  };
  return { keypoints, stats: { frames: frames.length, framesWithoutPerson: nobody, msPerFrame, decodeFailure: source.failure, cameraFrom: from, ...cameraStats(from, camera, info.width, info.height), personDetectorRuns: detector.personDetectorRuns }, tiles };
}

type P3 = [number, number, number];
/** One frame as the detector gave it, before the clip-wide steps. */
export interface RawFrame { index: number; time: number; tMs: number; keypoints: P3[] | null; world: P3[] | null; sideVote?: number | null; overlap?: number | null }

/**
 * The clip-wide steps after detection: left/right chosen over the whole clip (sides.ts), then the
 * One-Euro filter (relabelling first: filtering across a swap would smear the sides together).
 * Also used by the real-video benchmark on cached raw detections.
 */
export function finishTrack(raw: readonly RawFrame[], options: { sides?: boolean; filter?: boolean } = {}): { frames: KeypointsFrame[]; relabelled: number } {
  const sides = options.sides ?? INGEST_DEFAULTS.sides;
  const fixed = sides ? fixSides(raw) : { frames: raw, relabelled: 0 };
  const filter = (options.filter ?? INGEST_DEFAULTS.filter) ? new PoseFilter() : null;
  const frames = raw.map((r, t): KeypointsFrame => {
    let { keypoints, world } = fixed.frames[t]!;
    if (keypoints && filter) ({ keypoints, world } = filter.apply(keypoints, world, r.tMs / 1000));
    else if (!keypoints) filter?.reset();
    return { index: r.index, time: round(r.time, 6), keypoints: keypoints && roundPoints(keypoints, 2, 4), world: world && roundPoints(world, 5, 5) };
  });
  return { frames, relabelled: fixed.relabelled };
}

/** Converts an imported keypoint file into keypoints.json content. */
export function importToKeypoints(path: string, options: IngestOptions = {}): IngestResult {
  const imported = importKeypoints(path, options.format ?? INGEST_DEFAULTS.format, { width: options.width, height: options.height, fps: options.fps, person: options.person });
  const { camera, from } = cameraIntrinsics(imported.width, imported.height, options);
  const frames: KeypointsFrame[] = imported.frames.map((f) => ({
    index: f.index, time: f.time, keypoints: f.keypoints, ...(f.world !== undefined ? { world: f.world } : {}),
  }));
  const keypoints: KeypointsFile = {
    format: KEYPOINTS_FORMAT,
    source: { path, fps: imported.fps, width: imported.width, height: imported.height, frameCount: frames.length, kind: 'keypoints', importedFrom: imported.format, cameraFrom: from, ...cameraNote(from, imported.width, imported.height) },
    landmarks: 'mediapipe-33',
    detector: { name: imported.detector, runtime: 'import', ...(imported.format === 'mediapipe' ? { worldAxes: 'metres, hip-centred, x right, y down, z away from the camera (MediaPipe)' } : {}) },
    camera,
    frames,
  };
  const tiles = spreadIndices(frames.length, options.overlayTiles ?? INGEST_DEFAULTS.overlayTiles)
    .map((i) => blankTile(frames[i]!.index, imported.width, imported.height, frames[i]!.keypoints));
  const nobody = frames.filter((f) => f.keypoints === null).length;
  return { keypoints, stats: { frames: frames.length, framesWithoutPerson: nobody, msPerFrame: 0, decodeFailure: null, cameraFrom: from, ...cameraStats(from, camera, imported.width, imported.height), personDetectorRuns: 0 }, tiles };
}

export interface IngestSummary extends IngestStats {
  keypointsPath: string;
  overlayPath: string;
}

/**
 * The ingest stage: a video, image, image folder or another tool's keypoint file
 * → OUT/keypoints.json and OUT/overlay.jpg (both written atomically, and only
 * once everything succeeded).
 */
export async function ingest(input: string, outDir: string, options: IngestOptions = {}): Promise<IngestSummary> {
  const result = isKeypointInput(input)
    ? importToKeypoints(input, options)
    : await detectSource(await openSource(input, options), options);
  // Validate against the contract before anything is written.
  validate(keypointsFile, result.keypoints, `${input} (ingest result)`);
  const overlay = await contactSheet(result.tiles);
  const keypointsPath = join(outDir, 'keypoints.json');
  const overlayPath = join(outDir, 'overlay.jpg');
  writeFileAtomic(overlayPath, overlay);
  writeFileAtomic(keypointsPath, JSON.stringify(result.keypoints) + '\n');
  return { ...result.stats, keypointsPath, overlayPath };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function roundPoints(points: Array<[number, number, number]>, digits: number, lastDigits: number): Array<[number, number, number]> {
  return points.map(([a, b, c]) => [round(a, digits), round(b, digits), round(c, lastDigits)]);
}
