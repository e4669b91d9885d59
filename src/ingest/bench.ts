import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findFfmpeg } from './ffmpeg.ts';
import { detectSource, openSource } from './ingest.ts';
import type { KeypointsFrame } from '../formats/keypoints.ts';
import type { LandmarkModel } from './models.ts';

export interface IngestBenchOptions {
  /** A video of a person (720p for the speed target). */
  video: string;
  models?: LandmarkModel[];
  /** Golden BlazePose 2D / 3D files beside the video (pose_squats.full.json …), when present. */
  golden2d?: string;
  golden3d?: string;
  /** Repeat the video this many times for the memory check. */
  loops?: number;
  log?: (line: string) => void;
}

export const INGEST_BENCH_DEFAULTS = { models: ['lite', 'full', 'heavy'] as LandmarkModel[], loops: 4, warmupFrames: 3 };

export interface ModelBench {
  model: LandmarkModel;
  frames: number;
  /** Median wall time per frame (decode + detect + filter), after warm-up. */
  medianMsPerFrame: number;
  meanMsPerFrame: number;
  /**
   * CPU time of this process per frame (detect + filter + frame conversion; ffmpeg's
   * decoding runs in its own process): a load-independent companion to the wall times
   * on a shared machine.
   */
  cpuMsPerFrame: number;
  mean2dPx?: number;
  mean3dMm?: number;
  /** 3D error of the first frame alone: no tracking or filtering has acted on it yet. */
  firstFrame3dMm?: number;
}

export interface IngestBenchResult {
  video: string;
  width: number;
  height: number;
  models: ModelBench[];
  /** Resident memory (MB) after the first quarter and at the end of the looped video. */
  memory?: { frames: number; rssMbQuarter: number; rssMbEnd: number; heapMbQuarter: number; heapMbEnd: number };
}

/**
 * Speed per model on a video, accuracy against golden files when given, and
 * memory over a longer (looped) run, which must stay flat with length.
 */
export async function benchIngest(options: IngestBenchOptions): Promise<IngestBenchResult> {
  const models = options.models ?? INGEST_BENCH_DEFAULTS.models;
  const log = options.log ?? (() => {});
  const g2 = options.golden2d && existsSync(options.golden2d) ? (JSON.parse(readFileSync(options.golden2d, 'utf8')) as number[][][]) : null;
  const g3 = options.golden3d && existsSync(options.golden3d) ? (JSON.parse(readFileSync(options.golden3d, 'utf8')) as number[][][]) : null;
  const result: IngestBenchResult = { video: options.video, width: 0, height: 0, models: [] };
  for (const model of models) {
    const stamps: number[] = [];
    const source = await openSource(options.video);
    result.width = source.info.width;
    result.height = source.info.height;
    const start = performance.now();
    let cpuAtWarm = process.cpuUsage();
    const warm = INGEST_BENCH_DEFAULTS.warmupFrames;
    // Golden references were recorded with frames 33.333 ms apart.
    const r = await detectSource(source, { model, frameIntervalMs: g2 ? 1000 / 30 : undefined, onProgress: () => { stamps.push(performance.now()); if (stamps.length === warm) cpuAtWarm = process.cpuUsage(); } });
    const cpuUsed = process.cpuUsage(cpuAtWarm);
    const per = stamps.map((t, i) => t - (i === 0 ? start : stamps[i - 1]!)).slice(warm);
    const entry: ModelBench = { model, frames: r.stats.frames, medianMsPerFrame: median(per), meanMsPerFrame: per.reduce((a, b) => a + b, 0) / Math.max(1, per.length), cpuMsPerFrame: (cpuUsed.user + cpuUsed.system) / 1000 / Math.max(1, r.stats.frames - warm) };
    if (g2 || g3) Object.assign(entry, goldenErrors(r.keypoints.frames, g2, g3));
    log(`${model}: ${entry.frames} frames, median ${entry.medianMsPerFrame.toFixed(1)} ms/frame (cpu ${entry.cpuMsPerFrame.toFixed(1)} ms/frame)` +
      (entry.mean2dPx != null ? `, 2D ${entry.mean2dPx.toFixed(2)} px` : '') + (entry.mean3dMm != null ? `, 3D ${entry.mean3dMm.toFixed(1)} mm (root-aligned; first frame ${entry.firstFrame3dMm!.toFixed(1)} mm)` : ''));
    result.models.push(entry);
  }

  const loops = options.loops ?? INGEST_BENCH_DEFAULTS.loops;
  if (loops > 1) {
    const tmp = mkdtempSync(join(tmpdir(), 'om-bench-'));
    try {
      const looped = join(tmp, 'looped' + (options.video.match(/\.[^./]+$/)?.[0] ?? '.mp4'));
      execFileSync(findFfmpeg().ffmpeg, ['-v', 'error', '-nostdin', '-y', '-stream_loop', String(loops - 1), '-i', options.video, '-c', 'copy', looped]);
      const source = await openSource(looped);
      const quarter = Math.max(1, Math.floor(source.info.frameCount / 4));
      let atQuarter = process.memoryUsage();
      const r = await detectSource(source, { model: 'full', onProgress: (done) => { if (done === quarter) atQuarter = process.memoryUsage(); } });
      const end = process.memoryUsage();
      const mb = (b: number) => Math.round(b / 1048576);
      result.memory = { frames: r.stats.frames, rssMbQuarter: mb(atQuarter.rss), rssMbEnd: mb(end.rss), heapMbQuarter: mb(atQuarter.heapUsed), heapMbEnd: mb(end.heapUsed) };
      log(`memory over ${r.stats.frames} frames (full): rss ${result.memory.rssMbQuarter} MB at 1/4 → ${result.memory.rssMbEnd} MB at the end; heap ${result.memory.heapMbQuarter} → ${result.memory.heapMbEnd} MB`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return result;
}

type Golden = number[][][];

/**
 * Mean distances to golden BlazePose output: 2D in pixels over the 33 landmarks, 3D in
 * mm after root alignment (both skeletons translated to their hip midpoint, nothing else).
 */
export function goldenErrors(frames: KeypointsFrame[], g2: Golden | null, g3: Golden | null): Pick<ModelBench, 'mean2dPx' | 'mean3dMm' | 'firstFrame3dMm'> {
  const root = (p: ArrayLike<number>[]) => [0, 1, 2].map((c) => (p[23]![c]! + p[24]![c]!) / 2);
  let e2 = 0, n2 = 0, e3 = 0, n3 = 0;
  let first: number | undefined;
  for (const f of frames) {
    const gk = g2?.[f.index], gw = g3?.[f.index];
    if (gk && f.keypoints) for (let i = 0; i < 33; i++) { e2 += Math.hypot(f.keypoints[i]![0] - gk[i]![0]!, f.keypoints[i]![1] - gk[i]![1]!); n2++; }
    if (gw && f.world) {
      const w = f.world, rw = root(w), rg = root(gw);
      let e = 0;
      for (let i = 0; i < 33; i++) e += Math.hypot(...[0, 1, 2].map((c) => w[i]![c]! - rw[c]! - (gw[i]![c]! - rg[c]!)));
      if (first === undefined) first = (1000 * e) / 33;
      e3 += e; n3 += 33;
    }
  }
  return { ...(n2 ? { mean2dPx: e2 / n2 } : {}), ...(n3 ? { mean3dMm: (1000 * e3) / n3, firstFrame3dMm: first } : {}) };
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The golden files shipped beside a video named like pose_squats.mp4 (pose_squats.full.json, pose_squats_3d.full.json). */
export function goldenBeside(video: string): { golden2d: string; golden3d: string } {
  const base = video.replace(/\.[^./]+$/, '');
  return { golden2d: `${base}.full.json`, golden3d: join(dirname(video), `${base.split('/').pop()}_3d.full.json`) };
}
