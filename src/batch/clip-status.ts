import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../formats/io.ts';
import { readOptional } from './read-optional.ts';

/**
 * How a clip's job ended, written beside its outputs (OUT/<clip>/batch-status.json) by
 * whoever ran it: the index is rebuilt from these files, so any worker on any machine that
 * sees OUT can write it.
 */
export const CLIP_STATUS_FORMAT = 'optimus-motion/batch-status@1';
export const CLIP_STATUS_FILE = 'batch-status.json';

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

export function writeClipStatus(clipDir: string, status: Omit<ClipStatus, 'format'>): void {
  writeJsonAtomic(join(clipDir, CLIP_STATUS_FILE), { format: CLIP_STATUS_FORMAT, ...status }, 2);
}

/** The status file if it is there and valid, else null (the clip has not finished). */
export function readClipStatus(clipDir: string): ClipStatus | null {
  return readOptional(join(clipDir, CLIP_STATUS_FILE), clipStatus);
}
