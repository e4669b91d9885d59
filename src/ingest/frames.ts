/** Types shared by the frame sources (video through ffmpeg, still images through sharp). */

/** What is known about a source before decoding it. */
export interface MediaInfo {
  path: string;
  kind: 'video' | 'image' | 'images';
  codec: string;
  /** Display size in source pixels (after rotation metadata is applied). */
  width: number;
  height: number;
  fps: number;
  /** Frames in the whole source: exact for images, else from the header or duration × fps. */
  frameCount: number;
  frameCountExact: boolean;
  /** Clockwise rotation (degrees) the file asks a player to apply; frames come out already rotated. */
  rotation: number;
  durationSec: number | null;
  /** Focal length in 35 mm film equivalent from EXIF or video tags, when the file carries it. */
  focal35mm?: number;
}

/** One decoded frame: packed RGB, 3 bytes per pixel, rows top to bottom. */
export interface Frame {
  /** Index of the frame in the source (before --start/--every selection). */
  index: number;
  /** Presentation time in seconds. */
  time: number;
  width: number;
  height: number;
  data: Buffer;
  /** Source pixels per frame pixel along x and y (> 1 when the frame was scaled down for detection). */
  scaleX: number;
  scaleY: number;
}

/** Which frames to decode. */
export interface FrameSelection {
  /** First time to decode, seconds (default 0). */
  start?: number;
  /** Time to stop before, seconds (default: the end). */
  end?: number;
  /** Keep every N-th frame (default 1). */
  every?: number;
  /** Stop after this many kept frames (default: no limit). */
  maxFrames?: number;
  /**
   * Scale frames down so their longer side is at most this many pixels (default 960).
   * BlazePose sees the whole frame at 224 px and the person at 256 px, so 960 loses
   * nothing measurable for a person filling much of the frame (pose_squats: 5.2 px at
   * 960 vs 5.3 px at full size) and saves the per-frame copies of a larger image.
   */
  maxSide?: number;
  /** Frame rate given to image sequences, which have none (default 30). */
  fps?: number;
}

export const SELECTION_DEFAULTS = {
  start: 0, end: Infinity, every: 1, maxFrames: Infinity, maxSide: 960, fps: 30,
  /** Decoded frames queued ahead of the consumer (bounded: memory does not grow with the video). */
  prefetch: 2,
};

/** Where decoding stopped early because the file is damaged. */
export interface DecodeFailure {
  /** Index of the first frame that could not be decoded. */
  atFrame: number;
  message: string;
}

/** A source of frames: header info, an async iterator of frames, and how decoding ended. */
export interface FrameSource extends AsyncIterable<Frame> {
  readonly info: MediaInfo;
  /** Set once iteration is over when the file was damaged (frames before it were delivered). */
  readonly failure: DecodeFailure | null;
  /** True once the iteration reached the end of the source (not stopped by a limit). */
  readonly reachedEnd: boolean;
}

/** Output size for a frame scaled so that its longer side is at most maxSide (even sizes for ffmpeg). */
export function scaledSize(width: number, height: number, maxSide: number): { width: number; height: number; scaleX: number; scaleY: number } {
  const longer = Math.max(width, height);
  if (longer <= maxSide) return { width, height, scaleX: 1, scaleY: 1 };
  const s = maxSide / longer;
  const w = Math.max(2, Math.round((width * s) / 2) * 2);
  const h = Math.max(2, Math.round((height * s) / 2) * 2);
  return { width: w, height: h, scaleX: width / w, scaleY: height / h };
}
