import { UserError } from '../errors.ts';
import { guessIntrinsics } from '../geometry/camera.ts';
import { focalPxFrom35mm } from './exif.ts';

/**
 * Camera intrinsics a user does not have to know: --focal, else --fov, else the focal length
 * the file records (photo EXIF, video tags), else a default that fits phones and webcams held
 * either way: 60° across the frame's long side (a calibrated phone in portrait, 1080 × 1920:
 * 1670 px, i.e. 60° across its 1920 px; 60° across the short side gave 935 px).
 */
export interface IntrinsicsOptions {
  /** Focal length in pixels (wins over everything). */
  focalPx?: number;
  /** Horizontal field of view in degrees (across the frame's width). */
  fovDeg?: number;
  /** 35 mm-equivalent focal length from the file's metadata. */
  focal35mm?: number;
}

export const INTRINSICS_DEFAULTS = {
  /** Field of view across the long side of the frame when nothing is known. */
  longSideFovDeg: 60,
};

/** Where the intrinsics came from; 'guess' is the default, reported with a warning. */
export type CameraSource = 'focal' | 'fov' | 'metadata' | 'guess';

/** The focal length (px) of the default: `longSideFovDeg` across the longer side. */
export function defaultFocalPx(width: number, height: number): number {
  return Math.max(width, height) / 2 / Math.tan((INTRINSICS_DEFAULTS.longSideFovDeg * Math.PI) / 360);
}

export function cameraIntrinsics(width: number, height: number, options: IntrinsicsOptions) {
  if (options.focalPx != null) {
    if (!(options.focalPx > 0)) throw new UserError(`--focal must be a positive number of pixels, got ${options.focalPx}`);
    return { camera: guessIntrinsics(width, height, { focalPx: options.focalPx }), from: 'focal' as CameraSource };
  }
  if (options.fovDeg != null) {
    if (!(options.fovDeg > 1 && options.fovDeg < 179)) throw new UserError(`--fov must be between 1 and 179 degrees, got ${options.fovDeg}`);
    return { camera: guessIntrinsics(width, height, { fovDeg: options.fovDeg }), from: 'fov' as CameraSource };
  }
  if (options.focal35mm) return { camera: guessIntrinsics(width, height, { focalPx: focalPxFrom35mm(options.focal35mm, width, height) }), from: 'metadata' as CameraSource };
  return { camera: guessIntrinsics(width, height, { focalPx: defaultFocalPx(width, height) }), from: 'guess' as CameraSource };
}

/** The one-line warning for a run whose camera is the default. */
export function fallbackWarning(width: number, height: number): string {
  return `camera focal length unknown (no --focal/--fov, no focal length in the file): assumed ${defaultFocalPx(width, height).toFixed(0)} px ` +
    `(${INTRINSICS_DEFAULTS.longSideFovDeg}° across the long side of ${width}×${height}); give --focal or --fov if you know them`;
}

/**
 * The 35 mm-equivalent focal length from a video's container tags (ffprobe's format or
 * stream tags): iPhones write `com.apple.quicktime.camera.focal_length.35mm_equivalent`.
 */
export function focal35mmFromTags(tags: Record<string, unknown>): number | null {
  for (const [key, value] of Object.entries(tags)) {
    if (!/focal.?length.*35\s*mm|35\s*mm.?equivalent/i.test(key)) continue;
    const n = Number.parseFloat(String(value));
    if (Number.isFinite(n) && n > 5 && n < 1000) return n;
  }
  return null;
}
