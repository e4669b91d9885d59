import sharp, { type OverlayOptions as SharpOverlay } from 'sharp';
import { LANDMARK_EDGES } from '../formats/landmarks.ts';
import type { Frame } from './frames.ts';

/** One tile of the contact sheet: a small RGB picture and the keypoints in its pixels. */
export interface OverlayTile {
  index: number;
  width: number;
  height: number;
  /** Packed RGB, or null for a plain background (imports without a video). */
  rgb: Buffer | null;
  keypoints: Array<[number, number, number]> | null;
}

export interface OverlayOptions {
  /** Width of one tile in pixels. */
  tileWidth?: number;
  /** Tiles per row. */
  columns?: number;
  /** Landmarks with a lower score are not drawn. */
  minScore?: number;
  /** JPEG quality. */
  quality?: number;
}

export const OVERLAY_DEFAULTS = { tileWidth: 240, columns: 4, minScore: 0.3, quality: 85, tiles: 12 };

/** Indices (0-based, among `count` items) of up to `tiles` evenly spread items. */
export function spreadIndices(count: number, tiles: number): number[] {
  if (count <= 0) return [];
  if (count <= tiles) return Array.from({ length: count }, (_, i) => i);
  return [...new Set(Array.from({ length: tiles }, (_, j) => Math.round((j * (count - 1)) / (tiles - 1))))];
}

/** Shrinks a frame to a tile (keeps only a few KB per chosen frame, never the video). */
export async function frameTile(frame: Frame, keypointsSourcePx: Array<[number, number, number]> | null, sourceWidth: number, tileWidth = OVERLAY_DEFAULTS.tileWidth): Promise<OverlayTile> {
  const width = Math.min(tileWidth, frame.width);
  const height = Math.max(1, Math.round((frame.height * width) / frame.width));
  const rgb = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } }).resize(width, height).raw().toBuffer();
  const s = width / sourceWidth;
  return { index: frame.index, width, height, rgb, keypoints: keypointsSourcePx?.map(([x, y, c]) => [x * s, y * s, c]) ?? null };
}

/** A tile without a picture, for keypoints imported without their video. */
export function blankTile(index: number, sourceWidth: number, sourceHeight: number, keypointsSourcePx: Array<[number, number, number]> | null, tileWidth = OVERLAY_DEFAULTS.tileWidth): OverlayTile {
  const width = tileWidth;
  const height = Math.max(1, Math.round((sourceHeight * width) / sourceWidth));
  const s = width / sourceWidth;
  return { index, width, height, rgb: null, keypoints: keypointsSourcePx?.map(([x, y, c]) => [x * s, y * s, c]) ?? null };
}

/** The skeleton as SVG: bones in white, left landmarks orange, right ones cyan; "no person" when null. */
export function poseSvg(width: number, height: number, keypoints: Array<[number, number, number]> | null, minScore = OVERLAY_DEFAULTS.minScore): string {
  const parts: string[] = [];
  const r = Math.max(1.5, width / 120);
  if (keypoints) {
    for (const [a, b] of LANDMARK_EDGES) {
      const p = keypoints[a]!, q = keypoints[b]!;
      if (p[2] < minScore || q[2] < minScore) continue;
      parts.push(`<line x1="${p[0].toFixed(1)}" y1="${p[1].toFixed(1)}" x2="${q[0].toFixed(1)}" y2="${q[1].toFixed(1)}" stroke="white" stroke-width="${(r * 0.8).toFixed(1)}" stroke-opacity="0.85"/>`);
    }
    keypoints.forEach(([x, y, s], i) => {
      if (s < minScore) return;
      // Odd indices above 0 are left-side landmarks in the MediaPipe order.
      const colour = i === 0 ? 'yellow' : i % 2 === 1 ? '#ff8c00' : '#00d0ff';
      parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r.toFixed(1)}" fill="${colour}"/>`);
    });
  } else {
    parts.push(`<line x1="0" y1="0" x2="${width}" y2="${height}" stroke="red" stroke-width="3"/><line x1="${width}" y1="0" x2="0" y2="${height}" stroke="red" stroke-width="3"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Lays the tiles out in a grid, each with its skeleton drawn on top, as one JPEG. */
export async function contactSheet(tiles: OverlayTile[], options: OverlayOptions = {}): Promise<Buffer> {
  const opts = { ...OVERLAY_DEFAULTS, ...options };
  const columns = Math.max(1, Math.min(opts.columns, tiles.length));
  const cellW = Math.max(1, ...tiles.map((t) => t.width));
  const cellH = Math.max(1, ...tiles.map((t) => t.height));
  const rows = Math.max(1, Math.ceil(tiles.length / columns));
  const gap = 4;
  const composites: SharpOverlay[] = [];
  for (const [i, tile] of tiles.entries()) {
    const left = (i % columns) * (cellW + gap);
    const top = Math.floor(i / columns) * (cellH + gap);
    const base = tile.rgb
      ? sharp(tile.rgb, { raw: { width: tile.width, height: tile.height, channels: 3 } })
      : sharp({ create: { width: tile.width, height: tile.height, channels: 3, background: { r: 40, g: 40, b: 48 } } });
    const drawn = await base.composite([{ input: Buffer.from(poseSvg(tile.width, tile.height, tile.keypoints, opts.minScore)), top: 0, left: 0 }]).png().toBuffer();
    composites.push({ input: drawn, left, top });
  }
  return sharp({ create: { width: columns * (cellW + gap) - gap, height: rows * (cellH + gap) - gap, channels: 3, background: { r: 16, g: 16, b: 16 } } })
    .composite(composites)
    .jpeg({ quality: opts.quality })
    .toBuffer();
}
