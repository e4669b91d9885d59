import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors.ts';
import { KEYPOINTS_FORMAT } from '../formats/keypoints.ts';

/** One input of a batch and where its outputs go. */
export interface BatchInput {
  /** Absolute path of the video or keypoints.json. */
  input: string;
  /** Output folder relative to OUT: the path under the input folder, extension removed. */
  rel: string;
  /** truth.json beside the input, when there is one (metrics go into the index). */
  truth: string | null;
}

/** Containers ffmpeg decodes that people record in. */
export const VIDEO_EXTENSIONS = new Set(['.mp4', '.mov', '.m4v', '.mkv', '.avi', '.webm', '.mpg', '.mpeg']);

/** How far into a .json file to look for the keypoints format tag (written first by every writer). */
const SNIFF_BYTES = 4096;

/**
 * Every video or keypoints .json named, or found under a named folder (recursively, skipping
 * hidden folders and OUT itself). Other .json files (truth, metrics, motion) are not inputs.
 * Throws one line when a path is missing, a named file is not usable, two inputs would share
 * an output folder, or nothing usable is found.
 */
export function findInputs(paths: string[], out: string): BatchInput[] {
  const outAbs = resolve(out);
  const found: BatchInput[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new UserError(`${p}: file or folder not found`);
    if (statSync(abs).isDirectory()) {
      for (const file of walk(abs, outAbs)) if (isUsable(file)) found.push(entry(file, relative(abs, file)));
    } else {
      if (!isUsable(abs)) throw new UserError(`${p}: not a video (${[...VIDEO_EXTENSIONS].join(' ')}) or a keypoints .json (${KEYPOINTS_FORMAT})`);
      found.push(entry(abs, basename(abs)));
    }
  }
  if (!found.length) throw new UserError(`no usable input in ${paths.join(', ')}: no video (${[...VIDEO_EXTENSIONS].join(' ')}) or keypoints .json found`);
  const byRel = new Map<string, string>();
  for (const f of found) {
    const other = byRel.get(f.rel);
    if (other !== undefined && other !== f.input) throw new UserError(`${other} and ${f.input} would both write to ${join(out, f.rel)}: rename one or submit them separately`);
    byRel.set(f.rel, f.input);
  }
  // The same file named twice is one input.
  return found.filter((f, i) => found.findIndex((g) => g.input === f.input) === i);
}

function entry(file: string, relPath: string): BatchInput {
  const rel = relPath.slice(0, relPath.length - extname(relPath).length).split(sep).join('/');
  const truth = join(dirname(file), 'truth.json');
  return { input: file, rel, truth: existsSync(truth) ? truth : null };
}

function* walk(dir: string, skip: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.name.startsWith('.') || p === skip) continue;
    if (e.isDirectory()) yield* walk(p, skip);
    else if (e.isFile()) yield p;
  }
}

function isUsable(file: string): boolean {
  const ext = extname(file).toLowerCase();
  if (VIDEO_EXTENSIONS.has(ext)) return true;
  if (ext !== '.json') return false;
  const buf = Buffer.alloc(SNIFF_BYTES);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, n).toString('utf8').includes(`"${KEYPOINTS_FORMAT}"`);
  } finally {
    closeSync(fd);
  }
}
