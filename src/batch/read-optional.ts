import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { readJsonFile } from '../formats/io.ts';

/** A JSON file that may be absent or from another version: its content when valid, else null. */
export function readOptional<S extends z.ZodType>(path: string, schema: S): z.infer<S> | null {
  if (!existsSync(path)) return null;
  try {
    const r = schema.safeParse(readJsonFile(path));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
