import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { readTextFile } from './io.ts';

/**
 * A calibrated camera in OpenCV's conventions: world → camera is x_c = R·X + t with the
 * camera's x right, y down, z forward; pixels follow the radial-tangential distortion
 * (k1, k2, p1, p2, k3). The world frame is the calibration's own (for Qualisys: the lab,
 * z up), in metres.
 */
export interface CalibratedCamera {
  name: string;
  width: number;
  height: number;
  fx: number; fy: number; cx: number; cy: number;
  /** [k1, k2, p1, p2, k3] */
  distortion: [number, number, number, number, number];
  /** Row-major 3 × 3 world → camera rotation. */
  R: number[];
  t: [number, number, number];
}

/** Qualisys stores intrinsics in sub-pixel units, 64 per pixel. */
const QUALISYS_SUBPIXELS = 64;

const num = z.coerce.number().refine(Number.isFinite, 'not a finite number');
const qualisysCamera = z.object({
  serial: z.string(),
  fov_video: z.object({ left: num, right: num, top: num, bottom: num }),
  transform: z.object({
    x: num, y: num, z: num,
    r11: num, r12: num, r13: num, r21: num, r22: num, r23: num, r31: num, r32: num, r33: num,
  }),
  intrinsic: z.object({
    focalLengthU: num, focalLengthV: num, centerPointU: num, centerPointV: num,
    radialDistortion1: num, radialDistortion2: num, radialDistortion3: num,
    tangentalDistortion1: num, tangentalDistortion2: num,
  }),
});
type QualisysCamera = z.infer<typeof qualisysCamera>;

/** Reads a calibration file; only Qualisys QTM XML exports (.qca.txt) are known today. */
export function readCalibration(path: string): CalibratedCamera[] {
  return parseCalibration(readTextFile(path), path);
}

export function parseCalibration(text: string, source: string): CalibratedCamera[] {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'camera' });
  let doc: any;
  try {
    doc = text.trimStart().startsWith('<') ? parser.parse(text) : null;
  } catch {
    doc = null;
  }
  const cameras = doc?.calibration?.cameras?.camera;
  if (!Array.isArray(cameras) || cameras.length === 0) {
    throw new UserError(`${source}: unknown calibration format (expected a Qualisys QTM XML export: <calibration><cameras><camera …>)`);
  }
  return cameras.map((raw: unknown, i: number) => {
    const parsed = qualisysCamera.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UserError(`${source}: camera ${i + 1}: invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return fromQualisys(parsed.data);
  });
}

/**
 * Qualisys → OpenCV. The transform's rows M map lab directions into a camera frame with
 * y up and z backwards, so R = diag(1, −1, −1)·M; its position is in millimetres.
 */
function fromQualisys(c: QualisysCamera): CalibratedCamera {
  const { transform: T, intrinsic: I, fov_video: fov } = c;
  const M = [T.r11, T.r12, T.r13, T.r21, T.r22, T.r23, T.r31, T.r32, T.r33];
  const R = M.map((v, k) => (k < 3 ? v : -v));
  const C = [T.x / 1000, T.y / 1000, T.z / 1000];
  const t = [0, 1, 2].map((r) => -(R[3 * r]! * C[0]! + R[3 * r + 1]! * C[1]! + R[3 * r + 2]! * C[2]!)) as [number, number, number];
  return {
    name: c.serial,
    width: fov.right - fov.left + 1,
    height: fov.bottom - fov.top + 1,
    fx: I.focalLengthU / QUALISYS_SUBPIXELS,
    fy: I.focalLengthV / QUALISYS_SUBPIXELS,
    cx: I.centerPointU / QUALISYS_SUBPIXELS,
    cy: I.centerPointV / QUALISYS_SUBPIXELS,
    distortion: [I.radialDistortion1, I.radialDistortion2, I.tangentalDistortion1, I.tangentalDistortion2, I.radialDistortion3],
    R,
    t,
  };
}

/** The camera centre in world coordinates, C = −Rᵀ·t. */
export function cameraCentre(cam: CalibratedCamera): [number, number, number] {
  const { R, t } = cam;
  return [0, 1, 2].map((c) => -(R[c]! * t[0] + R[3 + c]! * t[1] + R[6 + c]! * t[2])) as [number, number, number];
}
