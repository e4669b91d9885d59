import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What makes a stage's output stale. A stage stores a digest of everything that made its
 * output (input bytes, options, and the code and shipped checkpoints that ran) and is
 * skipped only when the digest is the same: a changed input file under the same name, or
 * an upgraded optimus-motion, redoes the stage instead of reusing an output it would no
 * longer produce.
 */

/** A short hex digest of the parts, in order. */
export function digest(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0'); // ('ab', 'c') and ('a', 'bc') differ
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The content of a file, or of a folder's files (names and bytes, not recursive, as the
 * frame sources read folders of images).
 */
export function fingerprintPath(path: string): string {
  if (!statSync(path).isDirectory()) return fileDigest(path);
  const names = readdirSync(path).filter((n) => statSync(join(path, n)).isFile()).sort();
  return digest(...names.flatMap((n) => [n, fileDigest(join(path, n))]));
}

/** A file's digest, read in chunks: videos may be larger than a Buffer can hold. */
function fileDigest(path: string): string {
  const h = createHash('sha256');
  const chunk = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) h.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex').slice(0, 16);
}

/** Project root (this file is src/reconstruct/stage-stamp.ts). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let cachedCodeVersion: string | null = null;

/**
 * A digest of the code that computes the stages (every file under src/) and of the shipped
 * checkpoints in models/ (Optimus drives the physics stage). Computed once per process.
 */
export function codeVersion(): string {
  if (cachedCodeVersion) return cachedCodeVersion;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) files.push(p);
    }
  };
  for (const dir of ['src', 'models']) walk(join(ROOT, dir));
  files.sort();
  cachedCodeVersion = digest(...files.flatMap((f) => [relative(ROOT, f), readFileSync(f)]));
  return cachedCodeVersion;
}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * The options a stage runs with: `defaults` with `options` over them (plain objects merged
 * key by key; callbacks and undefined values left out). Stamps digest these rather than the
 * user's options alone, so a default changed in code redoes the stages it affects.
 */
export function resolvedOptions(defaults: object, options: object = {}): Plain {
  const out: Plain = {};
  const d = defaults as Plain, o = options as Plain;
  for (const key of new Set([...Object.keys(d), ...Object.keys(o)])) {
    const v = o[key] === undefined ? d[key] : o[key];
    if (v === undefined || typeof v === 'function') continue;
    out[key] = isPlain(d[key]) && isPlain(o[key]) ? resolvedOptions(d[key], o[key]) : isPlain(v) ? resolvedOptions(v) : v;
  }
  return out;
}

/** JSON with object keys sorted: the same options give the same text whatever their order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (isPlain(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}
