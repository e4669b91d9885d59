import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../formats/io.ts';
import { readOptional } from './read-optional.ts';

/**
 * OUT/batch.json: every clip submitted into OUT and the job that makes it. The index lists
 * these clips, including those not finished yet. A resubmission updates its clips' entries.
 */
export const MANIFEST_FORMAT = 'optimus-motion/batch-manifest@1';
export const MANIFEST_FILE = 'batch.json';

export const manifestClip = z.object({ rel: z.string(), input: z.string(), truth: z.string().nullable(), jobId: z.string() });
export type ManifestClip = z.infer<typeof manifestClip>;

const manifestFile = z.object({ format: z.literal(MANIFEST_FORMAT), clips: z.array(manifestClip) });

export function readManifest(out: string): ManifestClip[] {
  return readOptional(join(out, MANIFEST_FILE), manifestFile)?.clips ?? [];
}

/** Adds or replaces (by output folder) these clips; the others stay. */
export function updateManifest(out: string, clips: ManifestClip[]): void {
  const byRel = new Map(readManifest(out).map((c) => [c.rel, c]));
  for (const c of clips) byRel.set(c.rel, c);
  const sorted = [...byRel.values()].sort((a, b) => a.rel.localeCompare(b.rel));
  writeJsonAtomic(join(out, MANIFEST_FILE), { format: MANIFEST_FORMAT, clips: sorted }, 2);
}
