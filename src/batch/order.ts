import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { probeVideo } from '../ingest/ffmpeg.ts';
import type { BatchInput } from './inputs.ts';

/**
 * Longest clips first (LPT scheduling): every stage costs about the same per frame, so a batch
 * that starts its longest clips first ends with short ones, and the last clip running alone
 * while the other cores wait is a short one. Ties keep the inputs' path order.
 */
export async function longestFirst(inputs: BatchInput[]): Promise<BatchInput[]> {
  const frames = await Promise.all(inputs.map((i) => estimateFrames(i.input)));
  return inputs.map((input, i) => ({ input, frames: frames[i]!, i }))
    .sort((a, b) => b.frames - a.frames || a.i - b.i)
    .map((x) => x.input);
}

/**
 * Frames a clip holds, from the keypoints' frame list or the video's header. An input whose length
 * cannot be read here counts as 0 and runs last (the clip itself reports why it fails, if it does).
 */
export async function estimateFrames(path: string): Promise<number> {
  try {
    if (extname(path).toLowerCase() === '.json') {
      const frames = (JSON.parse(readFileSync(path, 'utf8')) as { frames?: unknown }).frames;
      return Array.isArray(frames) ? frames.length : 0;
    }
    const header = await probeVideo(path);
    if (header.frameCount !== null) return header.frameCount;
    return header.durationSec !== null ? Math.round(header.durationSec * header.fps) : 0;
  } catch {
    return 0;
  }
}
