import type { MotionFile } from '../formats/motion.ts';
import { MEDIAPIPE_33 } from '../formats/landmarks.ts';
import { UserError } from '../errors.ts';

/**
 * CSV of world landmark positions per frame: header
 * `frame,time,<landmark>_x,<landmark>_y,<landmark>_z,…,left_foot_contact,right_foot_contact`,
 * positions in metres (world frame of motion.json: y up), time in seconds,
 * contacts as 0/1. Landmarks are the 33 MediaPipe names when joints3d has 33
 * entries, `joint<i>` otherwise.
 */
export interface CsvOptions {
  /** Decimal places for positions (6 = micrometres). */
  decimals?: number;
  /** Line separator. */
  newline?: string;
}

export const CSV_DEFAULTS: Required<CsvOptions> = { decimals: 6, newline: '\n' };

export function motionToCsv(motion: MotionFile, options: CsvOptions = {}): string {
  const o = { ...CSV_DEFAULTS, ...options };
  const count = motion.frames[0]?.joints3d.length ?? MEDIAPIPE_33.length;
  const names = count === MEDIAPIPE_33.length ? [...MEDIAPIPE_33] : Array.from({ length: count }, (_, i) => `joint${i}`);
  const header = ['frame', 'time', ...names.flatMap((n) => [`${n}_x`, `${n}_y`, `${n}_z`]), 'left_foot_contact', 'right_foot_contact'];
  const rows = [header.join(',')];
  motion.frames.forEach((frame, i) => {
    if (frame.joints3d.length !== count) {
      throw new UserError(`motion.json: frame ${i} has ${frame.joints3d.length} joints3d, frame 0 has ${count}`);
    }
    const cells = [String(i), (i / motion.fps).toFixed(6)];
    for (const p of frame.joints3d) cells.push(p[0].toFixed(o.decimals), p[1].toFixed(o.decimals), p[2].toFixed(o.decimals));
    cells.push(frame.contacts.leftFoot ? '1' : '0', frame.contacts.rightFoot ? '1' : '0');
    rows.push(cells.join(','));
  });
  return rows.join(o.newline) + o.newline;
}
