import { readTextFile } from '../formats/io.ts';
import { UserError } from '../errors.ts';
import type { Quat, Vec3 } from '../geometry/quaternion.ts';
import { quatFromAxisAngle, quatMultiply, quatRotate } from '../geometry/quaternion.ts';

/**
 * BVH (Biovision Hierarchy) motion capture files: parsing and forward kinematics.
 *
 * A BVH file is a joint hierarchy (OFFSET per joint, CHANNELS per joint in any
 * order and count, `End Site` leaves) followed by one line of channel values per
 * frame. Rotation channels are degrees, applied in the order listed (intrinsic:
 * `Zrotation Xrotation Yrotation` gives R = Rz·Rx·Ry). Position channels are added
 * to the joint's OFFSET. BVH carries no units and no up axis: the numbers are
 * kept as they are here; src/body/retarget.ts infers scale and orientation.
 */

export type BvhChannel = 'Xposition' | 'Yposition' | 'Zposition' | 'Xrotation' | 'Yrotation' | 'Zrotation';
const CHANNEL_NAMES: readonly BvhChannel[] = ['Xposition', 'Yposition', 'Zposition', 'Xrotation', 'Yrotation', 'Zrotation'];

export interface BvhJoint {
  /** Joint name; End Sites are named `<parent>_End`. */
  name: string;
  /** Index of the parent in `BvhClip.joints`, −1 for the root. */
  parent: number;
  offset: Vec3;
  channels: BvhChannel[];
  /** Column of this joint's first channel in a frame line. */
  channelStart: number;
  /** True for an `End Site` (no channels, a leaf). */
  endSite: boolean;
  /** Line of the file where the joint is declared (1-based). */
  line: number;
}

export interface BvhClip {
  /** Source name used in messages (usually the file path). */
  source: string;
  /** Joints in file order, parents before children; End Sites included (see `endSite`). */
  joints: BvhJoint[];
  /** Values per frame line. */
  channelCount: number;
  frameCount: number;
  /** Seconds per frame (`Frame Time:`). */
  frameTime: number;
  /** frameCount × channelCount values, row-major. */
  data: Float64Array;
}

/** Frames per second of a clip. */
export function bvhFps(clip: BvhClip): number {
  return 1 / clip.frameTime;
}

/** Number of real joints (End Sites excluded). */
export function bvhJointCount(clip: BvhClip): number {
  return clip.joints.filter((j) => !j.endSite).length;
}

/** Reads and parses a BVH file; every problem is a UserError naming the file and line. */
export function readBvh(path: string): BvhClip {
  return parseBvh(readTextFile(path), path);
}

interface Token { text: string; line: number }

/** Throws the UserError a BVH problem becomes, naming the file and line (`source:line: problem`). */
type Fail = (line: number, problem: string) => never;

/** The hierarchy's tokens being read, and the joints and channel columns found so far. */
interface HierarchyReader {
  tokens: Token[];
  /** Next token to read. */
  pos: number;
  /** 0-based line of MOTION: running out of tokens is reported there. */
  motionLine: number;
  fail: Fail;
  joints: BvhJoint[];
  channelCount: number;
}

/** Parses BVH text (LF or CRLF, tabs or spaces). `source` names the file in errors. */
export function parseBvh(text: string, source = 'BVH'): BvhClip {
  const lines = text.split(/\r\n|\r|\n/);
  const fail: Fail = (line, problem) => {
    throw new UserError(`${source}:${line}: ${problem}`);
  };
  const { tokens, motionLine } = tokenizeHierarchy(lines, fail);
  // Token 0 is HIERARCHY (checked by tokenizeHierarchy).
  const reader: HierarchyReader = { tokens, pos: 1, motionLine, fail, joints: [], channelCount: 0 };
  parseHierarchy(reader);
  const { joints, channelCount } = reader;
  const { frameCount, frameTime, firstFrameLine } = parseMotionHeader(lines, motionLine, fail);
  const data = parseFrames(lines, firstFrameLine, frameCount, channelCount, fail);
  return { source, joints, channelCount, frameCount, frameTime, data };
}

/** Tokens of the lines before MOTION, which must start with HIERARCHY, and MOTION's 0-based line. */
function tokenizeHierarchy(lines: string[], fail: Fail): { tokens: Token[]; motionLine: number } {
  // The hierarchy is free-form (braces may share lines), so tokenize it; the motion is line-based.
  let motionLine = -1;
  const tokens: Token[] = [];
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i]!.trim();
    if (/^MOTION\b/i.test(trimmed)) { motionLine = i; break; }
    for (const t of trimmed.split(/\s+/)) if (t) tokens.push({ text: t, line: i + 1 });
  }
  if (tokens.length === 0) fail(1, 'empty file, expected HIERARCHY');
  if (tokens[0]!.text.toUpperCase() !== 'HIERARCHY') fail(tokens[0]!.line, `expected HIERARCHY, found "${tokens[0]!.text}"`);
  if (motionLine < 0) fail(lines.length, 'no MOTION section');
  return { tokens, motionLine };
}

function nextToken(r: HierarchyReader, what: string): Token {
  const t = r.tokens[r.pos++];
  if (!t) r.fail(r.motionLine + 1, `unexpected MOTION, expected ${what}`);
  return t!;
}

function nextNumber(r: HierarchyReader, what: string): number {
  const t = nextToken(r, what);
  const v = Number(t.text);
  if (!Number.isFinite(v)) r.fail(t.line, `expected a number for ${what}, found "${t.text}"`);
  return v;
}

function expectToken(r: HierarchyReader, word: string): void {
  const t = nextToken(r, `"${word}"`);
  if (t.text !== word) r.fail(t.line, `expected "${word}", found "${t.text}"`);
}

/** `ROOT name { … }` and nothing after it; the joints must have channels and distinct names. */
function parseHierarchy(r: HierarchyReader): void {
  const rootTok = nextToken(r, 'ROOT');
  if (rootTok.text.toUpperCase() !== 'ROOT') r.fail(rootTok.line, `expected ROOT, found "${rootTok.text}"`);
  const rootName = nextToken(r, 'root name');
  parseJointBody(r, rootName.text, -1, false, rootName.line);
  const extra = r.tokens[r.pos];
  if (extra) {
    r.fail(extra.line, extra.text.toUpperCase() === 'ROOT' ? 'more than one ROOT is not supported' : `unexpected "${extra.text}" after the hierarchy`);
  }
  if (r.channelCount === 0) r.fail(rootName.line, 'the hierarchy has no CHANNELS');
  const names = new Set<string>();
  for (const j of r.joints) {
    // End Sites may share a name: only real joints are looked up by name.
    if (!j.endSite && names.has(j.name)) r.fail(rootName.line, `joint name "${j.name}" is used twice`);
    names.add(j.name);
  }
}

/** Parses `{ OFFSET … CHANNELS … children }` for a joint (or End Site) already named. */
function parseJointBody(r: HierarchyReader, name: string, parent: number, endSite: boolean, line: number): void {
  expectToken(r, '{');
  const index = r.joints.length;
  const joint: BvhJoint = { name, parent, offset: [0, 0, 0], channels: [], channelStart: r.channelCount, endSite, line };
  r.joints.push(joint);
  let sawOffset = false;
  for (;;) {
    const t = nextToken(r, '"}"');
    const word = t.text.toUpperCase();
    if (t.text === '}') break;
    if (word === 'OFFSET') {
      joint.offset = [nextNumber(r, 'OFFSET x'), nextNumber(r, 'OFFSET y'), nextNumber(r, 'OFFSET z')];
      sawOffset = true;
    } else if (word === 'CHANNELS') {
      parseChannels(r, joint, t);
    } else if (word === 'JOINT') {
      if (endSite) r.fail(t.line, 'End Site cannot have children');
      const nameTok = nextToken(r, 'joint name');
      parseJointBody(r, nameTok.text, index, false, nameTok.line);
    } else if (word === 'END') {
      if (endSite) r.fail(t.line, 'End Site cannot have children');
      const site = nextToken(r, '"Site"');
      if (site.text.toUpperCase() !== 'SITE') r.fail(site.line, `expected "End Site", found "End ${site.text}"`);
      parseJointBody(r, `${name}_End`, index, true, site.line);
    } else {
      r.fail(t.line, `unexpected "${t.text}" in joint "${name}"`);
    }
  }
  if (!sawOffset) r.fail(line, `joint "${name}" has no OFFSET`);
}

/** `CHANNELS n name…` after `keyword`: the joint's channels take the next n columns of a frame line. */
function parseChannels(r: HierarchyReader, joint: BvhJoint, keyword: Token): void {
  if (joint.endSite) r.fail(keyword.line, 'End Site cannot have CHANNELS');
  const countTok = nextToken(r, 'channel count');
  const count = Number(countTok.text);
  if (!Number.isInteger(count) || count < 0 || count > 6) r.fail(countTok.line, `bad channel count "${countTok.text}"`);
  for (let c = 0; c < count; c++) {
    const ct = nextToken(r, 'channel name');
    const ch = CHANNEL_NAMES.find((n) => n.toLowerCase() === ct.text.toLowerCase());
    if (!ch) r.fail(ct.line, `unknown channel "${ct.text}" (expected one of ${CHANNEL_NAMES.join(', ')})`);
    if (joint.channels.includes(ch!)) r.fail(ct.line, `channel ${ch} listed twice for joint "${joint.name}"`);
    joint.channels.push(ch!);
  }
  joint.channelStart = r.channelCount;
  r.channelCount += count;
}

/** First line at or after `from` that is not blank (`lines.length` when none). */
function skipBlankLines(lines: string[], from: number): number {
  let li = from;
  while (li < lines.length && lines[li]!.trim() === '') li++;
  return li;
}

/** MOTION's "Frames: n" and "Frame Time: t" lines, and the 0-based line after them. */
function parseMotionHeader(lines: string[], motionLine: number, fail: Fail): { frameCount: number; frameTime: number; firstFrameLine: number } {
  let li = skipBlankLines(lines, motionLine + 1);
  const framesMatch = /^Frames\s*:\s*(\S+)\s*$/i.exec(lines[li]?.trim() ?? '');
  if (!framesMatch) fail(li + 1, 'expected "Frames: <count>"');
  const frameCount = Number(framesMatch![1]);
  if (!Number.isInteger(frameCount) || frameCount < 0) fail(li + 1, `bad frame count "${framesMatch![1]}"`);
  if (frameCount === 0) fail(li + 1, 'the clip has zero frames');
  li = skipBlankLines(lines, li + 1);
  const timeMatch = /^Frame\s+Time\s*:\s*(\S+)\s*$/i.exec(lines[li]?.trim() ?? '');
  if (!timeMatch) fail(li + 1, 'expected "Frame Time: <seconds>"');
  const frameTime = Number(timeMatch![1]);
  if (!Number.isFinite(frameTime) || frameTime <= 0) fail(li + 1, `bad frame time "${timeMatch![1]}" (must be a positive number of seconds)`);
  return { frameCount, frameTime, firstFrameLine: li + 1 };
}

/** The frame lines from `first` on (blank lines skipped): exactly frameCount rows of channelCount finite numbers. */
function parseFrames(lines: string[], first: number, frameCount: number, channelCount: number, fail: Fail): Float64Array {
  const data = new Float64Array(frameCount * channelCount);
  let frame = 0;
  for (let li = first; li < lines.length; li++) {
    const trimmed = lines[li]!.trim();
    if (trimmed === '') continue;
    if (frame >= frameCount) fail(li + 1, `more frame lines than "Frames: ${frameCount}"`);
    const values = trimmed.split(/\s+/);
    if (values.length !== channelCount) fail(li + 1, `frame ${frame} has ${values.length} values, the hierarchy has ${channelCount} channels`);
    for (let c = 0; c < channelCount; c++) {
      const v = Number(values[c]);
      if (!Number.isFinite(v)) fail(li + 1, `frame ${frame}, channel ${c + 1}: "${values[c]}" is not a finite number`);
      data[frame * channelCount + c] = v;
    }
    frame++;
  }
  if (frame < frameCount) fail(lines.length, `"Frames: ${frameCount}" but only ${frame} frame lines`);
  return data;
}

/** Local transform of one joint at one frame: translation (offset + position channels) and rotation. */
export function bvhLocalTransform(clip: BvhClip, joint: number, frame: number): { translation: Vec3; rotation: Quat } {
  const j = clip.joints[joint]!;
  const t: Vec3 = [j.offset[0], j.offset[1], j.offset[2]];
  let q: Quat = [0, 0, 0, 1];
  const row = frame * clip.channelCount + j.channelStart;
  for (let c = 0; c < j.channels.length; c++) {
    const ch = j.channels[c]!;
    const v = clip.data[row + c]!;
    const axisIndex = ch.charCodeAt(0) - 88; // 'X' → 0, 'Y' → 1, 'Z' → 2
    if (ch.endsWith('position')) {
      t[axisIndex] += v;
    } else {
      const axis: Vec3 = [0, 0, 0];
      axis[axisIndex] = 1;
      q = quatMultiply(q, quatFromAxisAngle(axis, (v * Math.PI) / 180));
    }
  }
  return { translation: t, rotation: q };
}

/** World positions (file units) and rotations of every joint (End Sites included) at one frame. */
export function bvhFramePose(clip: BvhClip, frame: number): { positions: Vec3[]; rotations: Quat[] } {
  const n = clip.joints.length;
  const positions: Vec3[] = new Array(n);
  const rotations: Quat[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const { translation, rotation } = bvhLocalTransform(clip, i, frame);
    const p = clip.joints[i]!.parent;
    if (p < 0) {
      positions[i] = translation;
      rotations[i] = rotation;
    } else {
      const d = quatRotate(rotations[p]!, translation);
      positions[i] = [positions[p]![0] + d[0], positions[p]![1] + d[1], positions[p]![2] + d[2]];
      rotations[i] = quatMultiply(rotations[p]!, rotation);
    }
  }
  return { positions, rotations };
}

/** World positions of every joint at every frame: frames × joints. */
export function bvhWorldPositions(clip: BvhClip): Vec3[][] {
  const out: Vec3[][] = new Array(clip.frameCount);
  for (let f = 0; f < clip.frameCount; f++) out[f] = bvhFramePose(clip, f).positions;
  return out;
}

/** World positions of the rest pose (offsets only, all channels zero). */
export function bvhRestPositions(clip: BvhClip): Vec3[] {
  const positions: Vec3[] = new Array(clip.joints.length);
  clip.joints.forEach((j, i) => {
    const p = j.parent < 0 ? [0, 0, 0] : positions[j.parent]!;
    positions[i] = [p[0]! + j.offset[0], p[1]! + j.offset[1], p[2]! + j.offset[2]];
  });
  return positions;
}

/** Index of a joint by name (End Sites by `<parent>_End`), −1 when absent. */
export function bvhJointIndex(clip: BvhClip, name: string): number {
  return clip.joints.findIndex((j) => j.name === name);
}
