import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../formats/io.ts';
import { readOptional } from './read-optional.ts';

/**
 * How a clip's job ended, written by whoever ran it into OUT/.batch-status/<job id>.json
 * (not into the clip's folder, which may be the thing that cannot be written). The index is
 * rebuilt from these files, so any worker on any machine that sees OUT can write it, and a
 * status never speaks for another job of the same folder.
 */
export const CLIP_STATUS_FORMAT = 'optimus-motion/batch-status@1';
export const CLIP_STATUS_DIR = '.batch-status';

export const clipStatus = z.object({
  format: z.literal(CLIP_STATUS_FORMAT),
  jobId: z.string(),
  status: z.enum(['done', 'failed']),
  error: z.string().nullable(),
  /** Wall-clock seconds of the run that finished (a resumed run counts only its own part). */
  computeSeconds: z.number().nullable(),
  /** Runs the job took (1: no retry). */
  attempts: z.number().int().nonnegative(),
});
export type ClipStatus = z.infer<typeof clipStatus>;

export function writeClipStatus(out: string, status: Omit<ClipStatus, 'format'>): void {
  writeJsonAtomic(join(out, CLIP_STATUS_DIR, `${status.jobId}.json`), { format: CLIP_STATUS_FORMAT, ...status }, 2);
}

/** The job's status if it has finished, else null. */
export function readClipStatus(out: string, jobId: string): ClipStatus | null {
  return readOptional(join(out, CLIP_STATUS_DIR, `${jobId}.json`), clipStatus);
}
