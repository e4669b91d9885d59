import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (this file is test/helpers/shared-data.ts). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * ../shared/data beside the project: real videos and CMU clips used by tests and
 * benchmarks only. Never copied into the repo; tests skip with a message when absent.
 */
export const SHARED_DATA = resolve(PROJECT_ROOT, '../shared/data');

export function sharedDataPath(...parts: string[]): string | null {
  const p = resolve(SHARED_DATA, ...parts);
  if (existsSync(p)) return p;
  console.warn(`[skip] ${p} not found: tests that need ../shared/data are skipped`);
  return null;
}
