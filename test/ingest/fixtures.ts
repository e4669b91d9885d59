import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFfmpeg } from '../../src/ingest/ffmpeg.ts';

/** A temporary folder removed by the returned cleanup function. */
export function tempDir(prefix = 'om-ingest-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs ffmpeg quietly (fixtures are made in the test, never shipped). */
export function ffmpeg(...args: string[]): void {
  execFileSync(findFfmpeg().ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** An h264 test-pattern video: `seconds` × `fps` frames of ffmpeg's testsrc. */
export function makeTestsrc(path: string, { width = 160, height = 120, fps = 10, seconds = 3, extra = [] as string[] } = {}): string {
  ffmpeg('-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${fps}`, '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '5', ...extra, path);
  return path;
}

/** One frame of a video as raw RGB, decoded by ffmpeg on its own (the reference for the stream). */
export function referenceFrame(path: string, n: number): Buffer {
  return execFileSync(findFfmpeg().ffmpeg, ['-v', 'error', '-nostdin', '-i', path, '-vf', `select=eq(n\\,${n})`, '-vsync', '0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 64 << 20 });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
