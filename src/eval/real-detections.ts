import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { readValidated, validate, writeJsonAtomic } from '../formats/io.ts';
import { keypointsFile, type KeypointsFile } from '../formats/keypoints.ts';
import { detectSource, finishTrack, INGEST_DEFAULTS, openSource } from '../ingest/ingest.ts';
import type { PersonDetectorChoice } from '../ingest/person-detectors.ts';
import { sha256File, type LandmarkModel } from '../ingest/models.ts';

type P3 = [number, number, number];

/**
 * BlazePose detections of a video through the project's own ingest, one track per
 * person choice, cached outside the repository by the video's content hash (detecting
 * four 100-frame views several times over costs minutes; scoring them costs seconds).
 */
export interface DetectionOptions {
  model?: LandmarkModel;
  /** Who finds the people (ingest's default: BlazePose's face-based detector and MoveNet's body detector). */
  personDetector?: PersonDetectorChoice;
  /** Ingest's clip-wide left/right choice (sides.ts) on the cached raw detections. */
  sides?: boolean;
  /**
   * Runs per video: `--person i` (counted from the left when the person detector runs) with
   * tracking (the detector runs once, then follows the pose; a track can lose its person or
   * jump to another where people overlap) or without (the detector runs on every frame).
   */
  runs?: Array<{ person: number; tracking: boolean }>;
  /** Cache folder (default ~/.cache/optimus-motion/real-bench). */
  cacheDir?: string;
  onProgress?: (label: string, done: number, total: number) => void;
}

export const DETECTION_DEFAULTS = {
  model: INGEST_DEFAULTS.model,
  personDetector: 'both' as PersonDetectorChoice,
  sides: INGEST_DEFAULTS.sides,
  /** Two movers: tracked runs as a user would make them, untracked ones to find them where a track lost or swapped its person. */
  runs: [
    { person: 0, tracking: true }, { person: 1, tracking: true },
    { person: 0, tracking: false }, { person: 1, tracking: false },
  ],
  cacheDir: join(homedir(), '.cache', 'optimus-motion', 'real-bench'),
};

/** One candidate track of a view: the keypoints ingest wrote for one run. */
export interface CandidateTrack {
  view: string;
  person: number;
  tracking: boolean;
  keypoints: KeypointsFile;
}

export function fileHash(path: string): string {
  return sha256File(path).slice(0, 16);
}

/** Detects (or reads from the cache) every person choice of one video. */
export async function detectCandidates(videoPath: string, options: DetectionOptions = {}): Promise<CandidateTrack[]> {
  const opts = { ...DETECTION_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<DetectionOptions>;
  const view = basename(videoPath).replace(/\.[^.]+$/, '');
  const hash = fileHash(videoPath);
  const out: CandidateTrack[] = [];
  for (const { person, tracking } of opts.runs) {
    // Detections by BlazePose's detector alone keep the cache names they had before the body detector.
    const finder = opts.personDetector === 'blazepose' ? '' : `-${opts.personDetector}`;
    // The detector's raw output is cached; ingest's clip-wide steps (sides, filter) run on it here.
    // Tracked runs keep the identity among overlapping people since raw5 (identity.ts); untracked ones are as in raw4.
    const cachePath = join(opts.cacheDir, `${hash}-${opts.model}${finder}-p${person}${tracking ? '-raw5' : '-untracked-raw4'}.json`);
    let raw: KeypointsFile;
    if (existsSync(cachePath)) {
      raw = readValidated(keypointsFile, cachePath);
    } else {
      const result = await detectSource(await openSource(videoPath), {
        model: opts.model, personDetector: opts.personDetector, person, tracking, overlayTiles: 0, sides: false, sideVotes: true, filter: false,
        onProgress: (done, total) => opts.onProgress?.(`${view} person ${person}${tracking ? '' : ' untracked'}`, done, total),
      });
      raw = validate(keypointsFile, result.keypoints, `${videoPath} (detections)`);
      writeJsonAtomic(cachePath, raw);
    }
    const fps = raw.source.fps;
    const { sideVotes: votes, overlaps } = raw as { sideVotes?: Array<number | null>; overlaps?: Array<number | null> };
    const { frames, relabelled } = finishTrack(raw.frames.map((f, t) => ({
      index: f.index, time: f.time, tMs: (1000 * f.index) / fps, keypoints: f.keypoints as P3[] | null, world: (f.world ?? null) as P3[] | null, sideVote: votes?.[t] ?? null, overlap: overlaps?.[t] ?? null,
    })), { sides: opts.sides, filter: true });
    const keypoints: KeypointsFile = { ...raw, detector: { ...raw.detector, filter: 'one-euro', sides: opts.sides ? 'temporal' : 'as-detected', relabelledFrames: relabelled }, frames };
    out.push({ view, person, tracking, keypoints });
  }
  return out;
}
