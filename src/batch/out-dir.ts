import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

/** Makes OUT and proves it writable before any work starts: an unwritable OUT is one line, not a failed batch. */
export function ensureWritableOut(out: string): void {
  const probe = join(out, `.write-test-${process.pid}`);
  try {
    mkdirSync(out, { recursive: true });
    writeFileSync(probe, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(`${out}: cannot write the output folder (${code})`);
  } finally {
    rmSync(probe, { force: true });
  }
}
