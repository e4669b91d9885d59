/**
 * Overlapping windows of frames: each stage optimizes a few frames at a time (a few
 * hundred parameters, the size Optimus attends over), each window starting `overlap`
 * frames before the previous one ended so that neighbours agree where they meet.
 */
export interface FrameWindow {
  index: number;
  /** First frame (inclusive). */
  start: number;
  /** One past the last frame. */
  end: number;
}

/** Windows covering [0, frameCount). A clip shorter than one window is one shorter window. */
export function makeWindows(frameCount: number, size: number, overlap: number): FrameWindow[] {
  if (frameCount <= 0) return [];
  const s = Math.max(1, Math.floor(size));
  const o = Math.max(0, Math.min(s - 1, Math.floor(overlap)));
  if (frameCount <= s) return [{ index: 0, start: 0, end: frameCount }];
  const out: FrameWindow[] = [];
  let start = 0;
  for (;;) {
    const end = Math.min(frameCount, start + s);
    out.push({ index: out.length, start, end });
    if (end >= frameCount) return out;
    start = end - o;
  }
}

/** Weight of the new window's value at frame t inside an overlap [a, b): a linear ramp 0 → 1. */
export function blendWeight(t: number, a: number, b: number): number {
  if (b <= a) return 1;
  return (t - a + 1) / (b - a + 1);
}
