import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { findFfmpeg, probeVideo } from './ffmpeg.ts';
import { SELECTION_DEFAULTS, scaledSize, type DecodeFailure, type Frame, type FrameSelection, type FrameSource, type MediaInfo } from './frames.ts';

/** Fails with one clear line when a path cannot be a media file (missing, a folder, empty). */
export function checkInputFile(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UserError(`${path}: is a folder, expected a video or image file`);
    size = st.size;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code ?? String(err)})`);
  }
  if (size === 0) throw new UserError(`${path}: empty file (0 bytes), not a video`);
}

/**
 * Opens a video for streaming: the header is read now, frames are decoded by an
 * ffmpeg child process piping raw RGB as the iterator is consumed (one frame in
 * memory at a time; ffmpeg blocks while the consumer is busy). Leaving the loop
 * early kills the child.
 */
export async function openVideo(path: string, selection: FrameSelection = {}): Promise<VideoSource> {
  checkInputFile(path);
  const tools = findFfmpeg();
  const header = await probeVideo(path, tools);
  const quarter = header.rotation % 180 === 90;
  const width = quarter ? header.codedHeight : header.codedWidth;
  const height = quarter ? header.codedWidth : header.codedHeight;
  const fps = header.fps > 0 ? header.fps : SELECTION_DEFAULTS.fps;
  const estimated = header.frameCount ?? (header.durationSec != null ? Math.round(header.durationSec * fps) : 0);
  const info: MediaInfo = {
    path, kind: 'video', codec: header.codec, width, height, fps,
    frameCount: estimated, frameCountExact: header.frameCount != null,
    rotation: header.rotation, durationSec: header.durationSec,
    ...(header.focal35mm ? { focal35mm: header.focal35mm } : {}),
  };
  return new VideoSource(info, tools.ffmpeg, selection);
}

export class VideoSource implements FrameSource {
  failure: DecodeFailure | null = null;
  reachedEnd = false;
  /** Process id of the running ffmpeg child (null when none is running). */
  pid: number | null = null;

  constructor(readonly info: MediaInfo, private readonly ffmpeg: string, private readonly selection: FrameSelection) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    const sel = { ...SELECTION_DEFAULTS, ...stripUndefined(this.selection) };
    if (sel.every < 1 || !Number.isInteger(sel.every)) throw new UserError(`--every must be a positive integer, got ${sel.every}`);
    if (sel.end <= sel.start) throw new UserError(`${this.info.path}: --end (${sel.end}s) must be after --start (${sel.start}s)`);
    const { info } = this;
    const out = scaledSize(info.width, info.height, sel.maxSide);
    const frameBytes = out.width * out.height * 3;
    const firstIndex = Math.round(sel.start * info.fps);
    const decodeLimit = Number.isFinite(sel.maxFrames) ? (sel.maxFrames - 1) * sel.every + 1 : Infinity;

    const args = ['-hide_banner', '-nostdin', '-v', 'error'];
    if (sel.start > 0) args.push('-ss', String(sel.start));
    args.push('-i', info.path);
    if (Number.isFinite(sel.end)) args.push('-t', String(sel.end - sel.start));
    args.push('-map', '0:v:0', '-an', '-sn', '-vsync', '0');
    if (out.width !== info.width || out.height !== info.height) args.push('-vf', `scale=${out.width}:${out.height}:flags=area`);
    if (Number.isFinite(decodeLimit)) args.push('-frames:v', String(decodeLimit));
    args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');

    const child = spawn(this.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = child.pid ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => { stderr = (stderr + d).slice(-16_384); });

    // Frames are assembled from the pipe in 'data' events and queued up to `prefetch`
    // ahead, so ffmpeg (another process, another core) decodes the next frame while the
    // consumer works on this one; beyond that the pipe is paused and ffmpeg blocks.
    const prefetch = SELECTION_DEFAULTS.prefetch;
    const stdout = child.stdout!;
    const queue: Frame[] = [];
    let ended = false;
    let wake: (() => void) | null = null;
    const notify = () => { const w = wake; wake = null; w?.(); };
    let decoded = 0;
    let kept = 0;
    let frame = Buffer.allocUnsafe(frameBytes);
    let filled = 0;
    stdout.on('data', (chunk: Buffer) => {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - offset);
        chunk.copy(frame, filled, offset, offset + n);
        filled += n;
        offset += n;
        if (filled < frameBytes) continue;
        const index = firstIndex + decoded;
        const take = decoded % sel.every === 0;
        decoded += 1;
        filled = 0;
        if (!take) continue;
        queue.push({ index, time: index / info.fps, width: out.width, height: out.height, data: frame, scaleX: out.scaleX, scaleY: out.scaleY });
        frame = Buffer.allocUnsafe(frameBytes);
      }
      if (queue.length >= prefetch) stdout.pause();
      notify();
    });
    stdout.once('close', () => { ended = true; notify(); });
    stdout.on('error', () => { ended = true; notify(); });
    try {
      for (;;) {
        if (queue.length > 0) {
          const next = queue.shift()!;
          if (queue.length < prefetch && stdout.isPaused()) stdout.resume();
          kept += 1;
          yield next;
        } else if (ended) {
          break;
        } else {
          await new Promise<void>((resolve) => { wake = resolve; });
        }
      }
      const code = await Promise.race([exited, spawnError.then((e) => { throw new UserError(`cannot run ffmpeg (${this.ffmpeg}): ${e.message}`); })]);
      const errorText = lastLine(stderr);
      const limited = decoded >= decodeLimit || Number.isFinite(sel.end);
      const short = !limited && info.frameCount > 0 && firstIndex + decoded < info.frameCount;
      if (code !== 0 || filled > 0 || (errorText && short)) {
        this.failure = { atFrame: firstIndex + decoded, message: errorText || `ffmpeg exited with code ${code}` };
      }
      if (decoded === 0) {
        if (this.failure) throw new UserError(`${info.path}: cannot decode the video (${this.failure.message})`);
        throw new UserError(sel.start > 0 ? `${info.path}: no frames at or after --start ${sel.start}s` : `${info.path}: the video has no frames`);
      }
      if (kept === 0) throw new UserError(`${info.path}: no frames selected`);
      if (!limited && !this.failure) {
        this.reachedEnd = true;
        info.frameCount = firstIndex + decoded;
        info.frameCountExact = true;
      }
    } finally {
      await stopChild(child, exited);
      this.pid = null;
    }
  }
}

/** Kills the child if it still runs and waits until it is gone, so no process outlives the iterator. */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.stdout?.destroy();
    child.kill('SIGKILL');
  }
  await exited;
}

function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
