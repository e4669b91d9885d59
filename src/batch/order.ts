import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { probeVideo } from '../ingest/ffmpeg.ts';
import type { BatchInput } from './inputs.ts';

const PROBES_AT_ONCE = 4;

/**
 * Longest clips first (LPT scheduling): every stage costs about the same per frame, so a batch
 * that starts its longest clips first ends with short ones, and the last clip running alone
 * while the other cores wait is a short one. Ties keep the inputs' path order.
 */
export async function longestFirst(inputs: BatchInput[]): Promise<BatchInput[]> {
  // A few header reads at a time: a folder of a thousand videos must not start a thousand ffprobes.
  const frames = new Array<number>(inputs.length);
  let next = 0;
  const reader = async () => { while (next < inputs.length) { const i = next++; frames[i] = await estimateFrames(inputs[i]!.input); } };
  await Promise.all(Array.from({ length: Math.min(PROBES_AT_ONCE, inputs.length) }, reader));
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
