/**
 * `npx tsx scripts/probe-reference.ts DIR... [--lock on|off|both] [--seconds S] [--sigma FRAMES] [--lock-options JSON]`: what the physics
 * stage's reference (src/reconstruct/physics-reference.ts) does to the fully physical controller
 * ALONE (no search, one rollout, src/physics/tracking.ts trackPhysically). Each DIR is a
 * reconstruct output holding kinematic.json and truth.json (bench:reconstruct --work, demo
 * --no-physics), smoothed with σ FRAMES (default 2, the stage's), locked with FootLockOptions JSON. Prints, per reference: its own skating / float / penetration and MPJPE against
 * the truth, its contact agreement with the truth's feet, then the controller's seconds before
 * the first fall and the simulated frames' MPJPE / skating / float against the truth (the bench's
 * metrics, eval/evaluate.ts: position metrics in each file's camera frame).
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { landmarkPositions } from '../src/body/fk.ts';
import type { Pose } from '../src/body/pose.ts';
import { createSkeleton } from '../src/body/skeleton.ts';
import { FOOT_LANDMARKS } from '../src/eval/metrics.ts';
import { evaluate, readLandmarkSequence, type LandmarkSequence } from '../src/eval/evaluate.ts';
import { LANDMARK_INDEX } from '../src/formats/landmarks.ts';
import { readJsonFile } from '../src/formats/io.ts';
import type { Vec3 } from '../src/geometry/quaternion.ts';
import { trackPhysically } from '../src/physics/tracking.ts';
import { detectContacts } from '../src/reconstruct/foot-contact.ts';
import { FOOT_LOCK_DEFAULTS, type FootLockOptions } from '../src/reconstruct/foot-lock.ts';
import { physicalReference, smoothMotion } from '../src/reconstruct/physics-reference.ts';
import { arg, helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

const dirs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const variants = arg('lock', 'both') === 'both' ? [false, true] : [arg('lock', 'on') === 'on'];
const seconds = Number(arg('seconds', '0'));
const sigma = Number(arg('sigma', '2'));
const lockOptions = JSON.parse(arg('lock-options', '{}')) as Partial<FootLockOptions>;

/** The truth's contacts: a foot's lower landmark (heel, toe) within 3 cm of its stance level and slower than 0.3 m/s. */
function truthContacts(frames: Vec3[][], fps: number): Array<[boolean, boolean]> {
  const feet = [FOOT_LANDMARKS.left, FOOT_LANDMARKS.right].map((f) => f.map((n) => LANDMARK_INDEX[n]));
  const low = (f: Vec3[], foot: number[]): number => Math.min(...foot.map((i) => f[i]![1]));
  const level = feet.map((foot) => [...frames.map((f) => low(f, foot))].sort((a, b) => a - b)[Math.floor(0.05 * (frames.length - 1))]!);
  return frames.map((f, t) => feet.map((foot, s) => {
    const a = frames[Math.max(0, t - 1)]!, b = frames[Math.min(frames.length - 1, t + 1)]!;
    const span = Math.min(frames.length - 1, t + 1) - Math.max(0, t - 1);
    const c = (g: Vec3[]): [number, number] => [foot.reduce((s2, i) => s2 + g[i]![0], 0) / foot.length, foot.reduce((s2, i) => s2 + g[i]![2], 0) / foot.length];
    const v = (Math.hypot(c(b)[0] - c(a)[0], c(b)[1] - c(a)[1]) * fps) / span;
    return low(f, foot) < level[s]! + 0.03 && v < 0.3;
  }) as [boolean, boolean]);
}

const f1 = (x: number): string => x.toFixed(1);
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('| clip | reference | contacts agree % | ref MPJPE | ref skate % | ref float mm | ref pen mm | ref accel | tracked s / of | sim MPJPE | sim PA | sim skate % | sim float mm | sim accel |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const dir of dirs) {
  const kin = readJsonFile(join(dir, 'kinematic.json')) as { fps: number; frames: Array<{ root: { position: Vec3; rotation: [number, number, number, number] }; rotations: Array<[number, number, number, number]> }>; reconstruct: { subject: { heightOption: number; proportions: Record<string, number> } } };
  const skel = createSkeleton({ height: kin.reconstruct.subject.heightOption, proportions: kin.reconstruct.subject.proportions });
  const fps = kin.fps;
  const n = seconds > 0 ? Math.min(kin.frames.length, Math.round(seconds * fps) + 1) : kin.frames.length;
  const motion: Pose[] = kin.frames.slice(0, n).map((f) => ({ rootPosition: f.root.position, rootRotation: f.root.rotation, rotations: f.rotations }));
  const truthSeq = readLandmarkSequence(join(dir, 'truth.json'));
  const truth = truthSeq.frames.slice(0, n);
  const camera = readLandmarkSequence(join(dir, 'kinematic.json')).camera;
  // The bench's metrics (eval/evaluate.ts: position metrics in each file's camera frame).
  const score = (frames: Vec3[][], from: number): ReturnType<typeof evaluate> => evaluate(
    { source: 'reference', kind: 'motion', fps, frames, camera } as LandmarkSequence,
    { ...truthSeq, frames: truth.slice(from, from + frames.length) },
  );
  const truthC = truthContacts(truth, fps);
  for (const lock of variants) {
    const ref = physicalReference(skel, smoothMotion(skel, motion, sigma), fps, { footLock: lock, lock: { ...FOOT_LOCK_DEFAULTS, ...lockOptions } });
    const lm = ref.map((p) => landmarkPositions(skel, p));
    const c = detectContacts(skel, ref, fps);
    let agree = 0;
    c.forEach((x, t) => { agree += Number(x[0] === truthC[t]![0]) + Number(x[1] === truthC[t]![1]); });
    const r = await trackPhysically(skel, ref, fps, { sampling: null, stopOnFall: true, workers: 0 });
    const good = r.fallTime === null ? r.frames : Math.round(r.trackedSeconds * r.fps);
    const sim: Vec3[][] = [];
    for (let k = 0; k < good; k++) sim.push(Array.from({ length: 33 }, (_, l) => [r.simulated[k * 99 + l * 3]!, r.simulated[k * 99 + l * 3 + 1]!, r.simulated[k * 99 + l * 3 + 2]!] as Vec3));
    const a = score(lm, 0);
    const b = good > 2 ? score(sim, 1) : null;
    console.log(`| ${dir.split('/').pop()} | ${lock ? 'foot-locked' : 'smoothed + planted'} | ${f1((50 * agree) / c.length)} | ${f1(a.mpjpe)} | ${f1(a.footSkatePct)} | ${f1(a.floatMm ?? NaN)} | ${f1(a.penetrationMm)} | ${a.accelError.toFixed(2)} | ${r.trackedSeconds.toFixed(2)} / ${(r.expectedFrames / r.fps).toFixed(2)} | ${b ? f1(b.mpjpe) : '—'} | ${b ? f1(b.paMpjpe) : '—'} | ${b ? f1(b.footSkatePct) : '—'} | ${b ? f1(b.floatMm ?? NaN) : '—'} | ${b ? b.accelError.toFixed(2) : '—'} |`);
  }
}
