import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors.ts';
import { focal35mmFromTags } from './intrinsics.ts';

const execFileAsync = promisify(execFile);

/** Where the ffmpeg (and, when it exists beside it, ffprobe) binaries are. */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string | null;
  /** 'path' when found on PATH, 'npm' for the static binary of @ffmpeg-installer/ffmpeg. */
  origin: 'path' | 'npm';
}

let cached: FfmpegTools | null = null;

/** ffmpeg from PATH when present (usually newer, more codecs), else the one shipped in the npm package. */
export function findFfmpeg(): FfmpegTools {
  if (cached) return cached;
  const onPath = findOnPath('ffmpeg');
  if (onPath) {
    cached = { ffmpeg: onPath, ffprobe: findOnPath('ffprobe'), origin: 'path' };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
    const probe = installer.path.replace(/ffmpeg(\.exe)?$/, 'ffprobe$1');
    cached = { ffmpeg: installer.path, ffprobe: existsSync(probe) ? probe : null, origin: 'npm' };
    return cached;
  } catch (err) {
    throw new UserError(`no ffmpeg found: install one on PATH or reinstall the project's dependencies (npm ci) (${(err as Error).message ?? err})`);
  }
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) {
      try {
        execFileSync(p, ['-version'], { stdio: 'ignore', timeout: 10_000 });
        return p;
      } catch {
        // not runnable: keep looking
      }
    }
  }
  return null;
}

/** What the container header says about the first video stream. */
export interface VideoHeader {
  codec: string;
  /** Coded size, before rotation. */
  codedWidth: number;
  codedHeight: number;
  fps: number;
  durationSec: number | null;
  /** Clockwise rotation in degrees that a player applies (0, 90, 180, 270). */
  rotation: number;
  /** Frame count from the header when it has one (ffprobe), else null. */
  frameCount: number | null;
  /** 35 mm-equivalent focal length from the container's tags (ffprobe only), when present. */
  focal35mm?: number;
}

/**
 * Reads the header with ffprobe when available, else from the stream summary
 * `ffmpeg -i` prints on stderr. Throws UserError naming the file when it holds no video.
 */
export async function probeVideo(path: string, tools = findFfmpeg()): Promise<VideoHeader> {
  if (tools.ffprobe) {
    try {
      const { stdout } = await execFileAsync(tools.ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_streams', '-show_format', '-of', 'json', path], { maxBuffer: 8 << 20 });
      const header = parseFfprobeJson(stdout);
      if (header) return header;
    } catch {
      // fall through to ffmpeg -i, which gives the better error message
    }
  }
  let stderr = '';
  try {
    await execFileAsync(tools.ffmpeg, ['-hide_banner', '-nostdin', '-i', path], { maxBuffer: 8 << 20 });
  } catch (err) {
    stderr = String((err as { stderr?: string }).stderr ?? '');
  }
  const header = parseFfmpegInfo(stderr);
  if (!header && /^Input #\d+/m.test(stderr)) {
    throw new UserError(`${path}: holds no video frames (a zero-length or audio-only file)`);
  }
  if (!header) {
    const reason = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('At least one output')).pop();
    throw new UserError(`${path}: not a video ffmpeg can read${reason ? ` (${reason.replace(/^.*?: /, '')})` : ''}`);
  }
  return header;
}

/** Parses the "Stream #0:0: Video: …" summary of `ffmpeg -i`; null when there is no video stream. */
export function parseFfmpegInfo(stderr: string): VideoHeader | null {
  const lines = stderr.split('\n');
  const i = lines.findIndex((l) => /Stream #\d+:\d+.*: Video: /.test(l));
  if (i < 0) return null;
  const line = lines[i]!;
  const codec = /Video: ([^\s,]+)/.exec(line)?.[1] ?? 'unknown';
  const size = /, (\d{1,5})x(\d{1,5})[\s,]/.exec(line);
  if (!size) return null;
  const fps = Number(/, ([\d.]+)(k?) fps/.exec(line)?.[1] ?? /, ([\d.]+)(k?) tbr/.exec(line)?.[1] ?? NaN);
  const dur = /Duration: (\d+):(\d+):([\d.]+)/.exec(stderr);
  const durationSec = dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : null;
  // Rotation: the stream's "rotate" tag (clockwise) or its display matrix (counter-clockwise).
  let rotation = 0;
  for (let j = i + 1; j < lines.length && !/Stream #/.test(lines[j]!); j++) {
    const tag = /^\s+rotate\s+:\s*(-?\d+)/.exec(lines[j]!);
    if (tag) { rotation = Number(tag[1]); break; }
    const matrix = /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(lines[j]!);
    if (matrix) rotation = -Number(matrix[1]);
  }
  return {
    codec,
    codedWidth: Number(size[1]),
    codedHeight: Number(size[2]),
    fps: Number.isFinite(fps) && fps > 0 ? fps : 0,
    durationSec,
    rotation: normalizeRotation(rotation),
    frameCount: null,
  };
}

export function parseFfprobeJson(json: string): VideoHeader | null {
  const data = JSON.parse(json) as { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> };
  const s = data.streams?.[0];
  if (!s || s.codec_type !== 'video') return null;
  const rate = (r: unknown) => {
    const [n, d] = String(r ?? '0/1').split('/').map(Number);
    return d ? n! / d : 0;
  };
  const fps = rate(s.avg_frame_rate) || rate(s.r_frame_rate);
  const tags = (s.tags ?? {}) as Record<string, string>;
  const sideData = (s.side_data_list ?? []) as Array<{ rotation?: number }>;
  const rotation = tags.rotate != null ? Number(tags.rotate) : -(sideData.find((d) => d.rotation != null)?.rotation ?? 0);
  const duration = Number(s.duration ?? data.format?.duration);
  const frames = Number(s.nb_frames);
  return {
    codec: String(s.codec_name ?? 'unknown'),
    codedWidth: Number(s.width),
    codedHeight: Number(s.height),
    fps,
    durationSec: Number.isFinite(duration) ? duration : null,
    rotation: normalizeRotation(rotation),
    frameCount: Number.isInteger(frames) && frames > 0 ? frames : null,
    ...focalTag({ ...((data.format?.tags ?? {}) as Record<string, unknown>), ...tags }),
  };
}

function focalTag(tags: Record<string, unknown>): { focal35mm?: number } {
  const f = focal35mmFromTags(tags);
  return f ? { focal35mm: f } : {};
}

function normalizeRotation(deg: number): number {
  const r = Math.round(deg / 90) * 90;
  return ((r % 360) + 360) % 360;
}
