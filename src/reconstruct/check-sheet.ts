import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { KeypointsFile } from '../formats/keypoints.ts';
import type { MotionFile } from '../formats/motion.ts';
import { projectPoint, type PinholeCamera } from '../geometry/camera.ts';
import type { Vec3 } from '../geometry/quaternion.ts';
import { OVERLAY_DEFAULTS, blankTile, contactSheet, frameTile, spreadIndices, type OverlayTile } from '../ingest/overlay.ts';
import { openVideo } from '../ingest/video.ts';

/**
 * A rendered check of a reconstruction: the 3D landmarks of motion.json projected through
 * its camera onto evenly spread frames of the source video (or blank frames of its size),
 * as one contact sheet. A person sees at a glance whether the body sits on the person.
 */
export interface CheckSheetOptions {
  /** Frames shown. */
  tiles?: number;
  /** Width of one tile in pixels. */
  tileWidth?: number;
}

export const CHECK_SHEET_DEFAULTS: Required<CheckSheetOptions> = { tiles: 12, tileWidth: 240 };

/** Projected landmarks of one motion frame in source pixels (score 1; 0 behind the camera). */
export function projectedLandmarks(camera: PinholeCamera, joints3d: readonly Vec3[]): Array<[number, number, number]> {
  return joints3d.map((p) => {
    const uv = projectPoint(camera, p);
    return uv ? [uv[0], uv[1], 1] : [0, 0, 0];
  });
}

/** The video a keypoints.json came from, when it can still be found (relative paths are taken from the file's folder). */
export function findSourceVideo(keypoints: KeypointsFile, keypointsPath: string): string | null {
  const p = keypoints.source.path;
  if (!p) return null;
  const candidates = isAbsolute(p) ? [p] : [resolve(dirname(keypointsPath), p), resolve(p)];
  return candidates.find((c) => existsSync(c) && !c.endsWith('.json') && !c.endsWith('.bvh')) ?? null;
}

/** Renders the check sheet as a JPEG. `videoPath` null → blank frames of the source size. */
export async function renderCheckSheet(motion: MotionFile, keypoints: KeypointsFile, videoPath: string | null, options: CheckSheetOptions = {}): Promise<Buffer> {
  const o = { ...CHECK_SHEET_DEFAULTS, ...options };
  const camera = motion.camera as PinholeCamera;
  const count = Math.min(motion.frames.length, keypoints.frames.length);
  const chosen = spreadIndices(count, o.tiles);
  const { width, height } = keypoints.source;
  const projected = new Map(chosen.map((t) => [keypoints.frames[t]!.index, projectedLandmarks(camera, motion.frames[t]!.joints3d as Vec3[])]));
  const tiles = new Map<number, OverlayTile>();
  if (videoPath) {
    const video = await openVideo(videoPath);
    const last = Math.max(...projected.keys());
    for await (const frame of video) {
      const kp = projected.get(frame.index);
      if (kp) tiles.set(frame.index, await frameTile(frame, kp, width, o.tileWidth));
      if (frame.index >= last) break; // stops the decoder early
    }
  }
  // Frames the video did not deliver (or no video): blank frames of the source size.
  for (const [index, kp] of projected) if (!tiles.has(index)) tiles.set(index, blankTile(index, width, height, kp, o.tileWidth));
  const ordered = [...projected.keys()].map((i) => tiles.get(i)!);
  return contactSheet(ordered, { tileWidth: o.tileWidth, minScore: 0.5, columns: OVERLAY_DEFAULTS.columns });
}
