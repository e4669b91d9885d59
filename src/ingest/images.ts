import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../errors.ts';
import { readExifFocal35mm } from './exif.ts';
import { SELECTION_DEFAULTS, scaledSize, type DecodeFailure, type Frame, type FrameSelection, type FrameSource, type MediaInfo } from './frames.ts';

/** Still-image file name endings decoded with sharp (animated GIFs go through ffmpeg as video). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.avif']);

export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/** The image files of a folder in natural order (frame_2 before frame_10). */
export function listImages(dir: string): string[] {
  const collator = new Intl.Collator('en', { numeric: true });
  return readdirSync(dir).filter((f) => isImagePath(f) && statSync(join(dir, f)).isFile()).sort(collator.compare).map((f) => join(dir, f));
}

/**
 * A single image or a folder of images as a frame source. Images are decoded one
 * at a time by sharp, turned upright by their EXIF orientation, with alpha dropped.
 */
export async function openImages(path: string, selection: FrameSelection = {}): Promise<ImageSource> {
  const isDir = statSync(path).isDirectory();
  const files = isDir ? listImages(path) : [path];
  if (files.length === 0) throw new UserError(`${path}: folder holds no images (${[...IMAGE_EXTENSIONS].join(', ')})`);
  const first = await readMeta(files[0]!);
  const fps = selection.fps ?? SELECTION_DEFAULTS.fps;
  const info: MediaInfo = {
    path, kind: isDir ? 'images' : 'image', codec: first.format,
    width: first.width, height: first.height, fps,
    frameCount: files.length, frameCountExact: true, rotation: first.rotation,
    durationSec: files.length / fps,
    ...(first.focal35mm ? { focal35mm: first.focal35mm } : {}),
  };
  return new ImageSource(info, files, selection);
}

export class ImageSource implements FrameSource {
  failure: DecodeFailure | null = null;
  reachedEnd = false;

  constructor(readonly info: MediaInfo, private readonly files: string[], private readonly selection: FrameSelection) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    const sel = { ...SELECTION_DEFAULTS, ...Object.fromEntries(Object.entries(this.selection).filter(([, v]) => v !== undefined)) };
    const { info } = this;
    const out = scaledSize(info.width, info.height, sel.maxSide);
    let kept = 0;
    const first = Math.max(0, Math.ceil(sel.start * info.fps - 1e-9));
    for (let index = first; index < this.files.length; index += sel.every) {
      if (index / info.fps >= sel.end || kept >= sel.maxFrames) return;
      const file = this.files[index]!;
      let data: Buffer;
      try {
        const img = sharp(file).rotate().removeAlpha().toColourspace('srgb');
        const meta = await sharp(file).metadata();
        const upright = (meta.orientation ?? 1) >= 5 ? { w: meta.height!, h: meta.width! } : { w: meta.width!, h: meta.height! };
        if (upright.w !== info.width || upright.h !== info.height) {
          throw new UserError(`${file}: size ${upright.w}×${upright.h} differs from the sequence's ${info.width}×${info.height}`);
        }
        if (out.width !== info.width) img.resize(out.width, out.height, { fit: 'fill' });
        data = await img.raw().toBuffer();
      } catch (err) {
        if (err instanceof UserError) throw err;
        if (kept === 0) throw new UserError(`${file}: not an image sharp can read (${(err as Error).message})`);
        this.failure = { atFrame: index, message: `${file}: ${(err as Error).message}` };
        return;
      }
      kept += 1;
      yield { index, time: index / info.fps, width: out.width, height: out.height, data, scaleX: out.scaleX, scaleY: out.scaleY };
    }
    if (kept === 0) throw new UserError(`${info.path}: no images selected`);
    this.reachedEnd = true;
  }
}

async function readMeta(file: string): Promise<{ width: number; height: number; format: string; rotation: number; focal35mm?: number }> {
  try {
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) throw new Error('no size');
    const o = meta.orientation ?? 1;
    const rotation = o === 6 || o === 7 ? 90 : o === 3 || o === 4 ? 180 : o === 5 || o === 8 ? 270 : 0;
    const focal35mm = meta.exif ? readExifFocal35mm(meta.exif) : null;
    return {
      width: o >= 5 ? meta.height : meta.width,
      height: o >= 5 ? meta.width : meta.height,
      format: meta.format ?? 'image',
      rotation,
      ...(focal35mm ? { focal35mm } : {}),
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${file}: file not found`);
    throw new UserError(`${file}: not an image sharp can read (${(err as Error).message})`);
  }
}
