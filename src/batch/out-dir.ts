import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

/** Makes OUT and proves it writable before any work starts: an unwritable OUT is one line, not a failed batch. */
export function ensureWritableOut(out: string): void {
  const probe = join(out, `.write-test-${process.pid}`);
  try {
    mkdirSync(out, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(`${out}: cannot write the output folder (${code})`);
  }
}

/** writeFileAtomic's temporary files (`.name.<8 hex>.tmp`). */
const TEMP_FILE = /^\..+\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temporary files a killed run left in a clip's folder. Only the job's holder
 * calls it (BullMQ's lock), so no live writer owns them.
 */
export function removeStaleTemps(clipDir: string): void {
  if (!existsSync(clipDir)) return;
  for (const name of readdirSync(clipDir)) if (TEMP_FILE.test(name)) rmSync(join(clipDir, name), { force: true });
}
