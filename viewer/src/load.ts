import type { z } from 'zod';
import { KEYPOINTS_FORMAT, keypointsFile, type KeypointsFile } from '../../src/formats/keypoints.ts';
import { MOTION_FORMAT, motionFile, type MotionFile } from '../../src/formats/motion.ts';
import { TRUTH_FORMAT, truthFile, type TruthFile } from '../../src/formats/truth.ts';

/** Everything the viewer shows; any part may be missing, with a message saying so. */
export interface ResultBundle {
  name: string;
  motion: MotionFile | null;
  kinematic: MotionFile | null;
  truth: TruthFile | null;
  keypoints: KeypointsFile | null;
  video: { url: string; name: string } | null;
  messages: Message[];
}

export interface Message { level: 'error' | 'warning' | 'info'; text: string }

type Role = 'motion' | 'kinematic' | 'truth' | 'keypoints';

const SCHEMAS: Record<Role, { format: string; schema: z.ZodType }> = {
  motion: { format: MOTION_FORMAT, schema: motionFile },
  kinematic: { format: MOTION_FORMAT, schema: motionFile },
  truth: { format: TRUTH_FORMAT, schema: truthFile },
  keypoints: { format: KEYPOINTS_FORMAT, schema: keypointsFile },
};

const KNOWN_FORMATS: Record<string, string> = {
  [MOTION_FORMAT]: 'a motion file', [TRUTH_FORMAT]: 'a truth file', [KEYPOINTS_FORMAT]: 'a keypoints file',
};

export type Parsed<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

/** Parses and validates one file's text; every failure is one readable sentence naming the file. */
export function parseResultFile<T>(name: string, text: string, role: Role): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const truncated = /end of (JSON )?input|Unterminated|Expected .* after/i.test(msg) || !/[}\]]\s*$/.test(text);
    return { error: `${name} is not valid JSON${truncated ? ' — it looks truncated' : ''} (${text.length} bytes; ${msg}).` };
  }
  const expected = SCHEMAS[role];
  const format = (json as { format?: unknown } | null)?.format;
  if (format !== expected.format) {
    const prefix = expected.format.split('@')[0]!;
    if (typeof format === 'string' && format.startsWith(prefix + '@')) {
      return { error: `${name} has format version "${format}"; this viewer reads "${expected.format}". Re-create it with this version of optimus-motion.` };
    }
    if (typeof format === 'string' && KNOWN_FORMATS[format]) {
      return { error: `${name} is ${KNOWN_FORMATS[format]} ("${format}"), not the expected "${expected.format}".` };
    }
    return { error: `${name} is not an optimus-motion file (format ${JSON.stringify(format ?? null)}, expected "${expected.format}").` };
  }
  const result = expected.schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { error: `${name} is invalid at ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}.` };
  }
  return { value: result.data as T };
}

/** What the server says about the folder (GET api/manifest). */
export interface Manifest {
  name: string;
  files: string[];
  video: { url: string; name: string } | null;
  videoExpected: string | null;
}

const FILES: Array<[Role, string]> = [['motion', 'motion.json'], ['keypoints', 'keypoints.json'], ['kinematic', 'kinematic.json'], ['truth', 'truth.json']];

/** Fetches the manifest; null when the page is not served by `optimus-motion view`. */
export async function fetchManifest(base = './'): Promise<Manifest | null> {
  try {
    const res = await fetch(`${base}api/manifest`, { cache: 'no-store' });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return null;
    return (await res.json()) as Manifest;
  } catch {
    return null;
  }
}

/** Fetches the result files from the server's data/ folder; absent files are left out. */
export async function fetchResultTexts(base = './'): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  await Promise.all(FILES.map(async ([, file]) => {
    try {
      const res = await fetch(`${base}data/${file}`, { cache: 'no-store' });
      if (res.ok) texts.set(file, await res.text());
    } catch { /* not served */ }
  }));
  return texts;
}

/** Loads a result folder served by `optimus-motion view`. */
export async function loadFromServer(manifest: Manifest, texts?: Map<string, string>, base = './'): Promise<ResultBundle> {
  const all = texts ?? await fetchResultTexts(base);
  for (const file of [...all.keys()]) if (!manifest.files.includes(file)) all.delete(file);
  return assemble(manifest.name, all, manifest.video, manifest.videoExpected, 'this folder');
}

/** Loads dropped or picked files (no server): JSON files are routed by name, then by their format field. */
export async function loadFromFiles(files: File[]): Promise<ResultBundle> {
  const texts = new Map<string, string>();
  let video: ResultBundle['video'] = null;
  for (const file of files) {
    if (file.type.startsWith('video/') || /\.(mp4|webm|mov|m4v|ogv)$/i.test(file.name)) {
      video = { url: URL.createObjectURL(file), name: file.name };
      continue;
    }
    if (!file.name.toLowerCase().endsWith('.json')) continue;
    const text = await file.text();
    texts.set(routeByContent(file.name, text), text);
  }
  const name = files.length === 1 ? files[0]!.name : `${files.length} files`;
  return assemble(name, texts, video, video ? null : '(not dropped)', 'the dropped files');
}

/** The slot a dropped JSON file fills: its known name, else its declared format. */
function routeByContent(name: string, text: string): string {
  const base = name.toLowerCase();
  if (FILES.some(([, f]) => f === base)) return base;
  const format = /"format"\s*:\s*"([^"]+)"/.exec(text.slice(0, 300))?.[1] ?? '';
  if (format.startsWith('optimus-motion/keypoints')) return 'keypoints.json';
  if (format.startsWith('optimus-motion/truth')) return 'truth.json';
  if (base.includes('kinematic')) return 'kinematic.json';
  return 'motion.json';
}

function assemble(name: string, texts: Map<string, string>, video: ResultBundle['video'], videoExpected: string | null, where: string): ResultBundle {
  const bundle: ResultBundle = { name, motion: null, kinematic: null, truth: null, keypoints: null, video, messages: [] };
  for (const [role, file] of FILES) {
    const text = texts.get(file);
    if (text === undefined) continue;
    const parsed = parseResultFile<never>(file, text, role);
    if (parsed.error !== undefined) bundle.messages.push({ level: role === 'motion' ? 'error' : 'warning', text: parsed.error });
    else (bundle as unknown as Record<Role, unknown>)[role] = parsed.value;
  }
  const still: string[] = [];
  if (bundle.keypoints) still.push('the detected keypoints in the side panel');
  if (bundle.truth) still.push('the ground truth (green)');
  if (bundle.kinematic) still.push('the kinematic stage (orange)');
  if (!bundle.motion) {
    const why = texts.has('motion.json') ? 'motion.json could not be read (see above)' : `no motion.json in ${where}`;
    bundle.messages.push({
      level: 'error',
      text: `${why}: there is no reconstruction to show or export. ${still.length ? `Still shown: ${still.join(', ')}.` : 'Drop a motion.json here or use Open….'}`,
    });
  }
  if (!video && (bundle.keypoints || bundle.motion)) {
    const size = sourceSize(bundle);
    const isVideoName = !!videoExpected && /\.(mp4|webm|mov|m4v|ogv|mkv|avi)$/i.test(videoExpected);
    const file = isVideoName ? `source video ${videoExpected} was not found ${where === 'this folder' ? 'where keypoints.json recorded it or in this folder' : `in ${where}`}` : `no source video${videoExpected && videoExpected !== '(not dropped)' ? ` (the keypoints come from ${videoExpected})` : ''}`;
    bundle.messages.push({ level: 'info', text: `${file}: the side panel shows a blank ${size.width}×${size.height} frame with the keypoints and reprojected landmarks.` });
  }
  return bundle;
}

/** Width and height of the source frames: from keypoints.json, else from the camera's principal point. */
export function sourceSize(bundle: ResultBundle): { width: number; height: number } {
  if (bundle.keypoints) return { width: bundle.keypoints.source.width, height: bundle.keypoints.source.height };
  const cam = bundle.motion?.camera ?? bundle.truth?.camera;
  if (cam) return { width: Math.round(2 * cam.cx), height: Math.round(2 * cam.cy) };
  return { width: 640, height: 480 };
}

/** Frame count and fps of the clip, from the first of motion, truth, keypoints that is present. */
export function clipTiming(bundle: ResultBundle): { frames: number; fps: number } {
  if (bundle.motion) return { frames: bundle.motion.frames.length, fps: bundle.motion.fps };
  if (bundle.truth) return { frames: bundle.truth.frames.length, fps: bundle.truth.fps };
  if (bundle.keypoints) return { frames: bundle.keypoints.frames.length, fps: bundle.keypoints.source.fps };
  return { frames: 0, fps: 30 };
}
