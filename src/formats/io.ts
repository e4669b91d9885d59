import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { UserError } from '../errors.ts';

/**
 * Writes a file atomically: to a temporary sibling first, then renamed over the
 * target, so a crash or Ctrl-C never leaves a half-written output behind.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes JSON atomically. Numbers are written as JSON numbers; NaN/Infinity become null. */
export function writeJsonAtomic(path: string, value: unknown, indent = 0): void {
  writeFileAtomic(path, JSON.stringify(value, null, indent || undefined) + '\n');
}

/** Reads a UTF-8 text file; a missing or unreadable file is one clear line naming it. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code ?? String(err)})`);
  }
}

/** Reads and parses a JSON file, turning every failure into one clear line naming the file. */
export function readJsonFile(path: string): unknown {
  const text = readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** Validates `value` against a schema; the error names the file, the field path and the problem. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    throw new UserError(`${source}: invalid at ${where}: ${issue.message}`);
  }
  return result.data;
}

/** Reads a JSON file and validates it against a schema. */
export function readValidated<S extends z.ZodType>(schema: S, path: string): z.infer<S> {
  return validate(schema, readJsonFile(path), path);
}
