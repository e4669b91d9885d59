/**
 * `npx tsx scripts/probe-gap.ts DIR... [--physics JSON]`: where the physics stage's MPJPE over the
 * kinematic fit comes from. Each DIR is a reconstruct output holding kinematic.json, motion.json and
 * truth.json (bench:reconstruct --work). Rebuilds the stage's reference from kinematic.json exactly
 * as the stage does (physics-stage.ts stageReference, with the `--physics` options the run used)
 * and its steps one by one (low-pass, floor, depth anchor, foot lock, balance), then prints the
 * bench's metrics (eval/evaluate.ts: camera frame, root-aligned MPJPE) of each against the truth,
 * of the reference against the kinematic fit (what the reference moves) and of the simulated
 * motion against the reference (tracking), with the root-aligned error per landmark group; and
 * the simulated body's world rotation error against the reference's (deg, total and tilt); where the
 * simulated motion's acceleration error sits (by frame of its window, at contact changes, worst frames);
 * and how far the fit's world "up" (its ground plane, which the reference's floor and locks follow) is
 * from the truth's, both seen from their cameras.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { forwardKinematics, landmarkPositions } from '../src/body/fk.ts';
import type { Pose } from '../src/body/pose.ts';
import { createSkeleton, type Skeleton } from '../src/body/skeleton.ts';
import { evaluate, readLandmarkSequence, type LandmarkSequence } from '../src/eval/evaluate.ts';
import { accelError, perLandmarkErrors } from '../src/eval/metrics.ts';
import { readJsonFile } from '../src/formats/io.ts';
import { worldToCamera } from '../src/geometry/camera.ts';
import { quatConjugate, quatMultiply, quatRotate, type Quat, type Vec3 } from '../src/geometry/quaternion.ts';
import { FOOT_LOCK_DEFAULTS } from '../src/reconstruct/foot-lock.ts';
import { parsePhysicsStageJson, resolvePhysicsOptions } from '../src/reconstruct/physics-options.ts';
import { physicalReference, smoothMotion, type ReferenceOptions } from '../src/reconstruct/physics-reference.ts';
import { stageReference } from '../src/reconstruct/physics-stage.ts';
import { arg, helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

const dirs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const o = resolvePhysicsOptions(parsePhysicsStageJson(arg('physics', '{}')));
const GROUPS = ['nose', 'shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle', 'heel', 'foot_index'];
const ROTATED = ['pelvis', 'chest', 'head', 'left_thigh', 'left_shin', 'left_foot'];

type FrameFile = { fps: number; frames: Array<{ root: { position: Vec3; rotation: Quat }; rotations: Quat[]; contacts?: { leftFoot: boolean; rightFoot: boolean } }>; reconstruct: { subject: { heightOption: number; proportions: Record<string, number> } } };
const posesOf = (f: FrameFile): Pose[] => f.frames.map((x) => ({ rootPosition: x.root.position, rootRotation: x.root.rotation, rotations: x.rotations }));

/** Root-aligned error (mm) per landmark group, left and right averaged, in each file's camera frame. */
function groupErrors(a: LandmarkSequence, b: LandmarkSequence): string {
  const inCam = (s: LandmarkSequence) => s.frames.map((f) => f.map((p) => worldToCamera(s.camera!, p)));
  const rows = perLandmarkErrors(inCam(a), inCam(b));
  return GROUPS.map((g) => {
    const m = rows.filter((r) => r.landmark === g || r.landmark === `left_${g}` || r.landmark === `right_${g}`);
    return (m.reduce((s, r) => s + r.mpjpe, 0) / Math.max(1, m.length)).toFixed(0);
  }).join(' | ');
}

/** Mean world rotation error (deg) of some bodies, simulated against reference, and of their up axes (tilt). */
function rotationErrors(skel: Skeleton, sim: Pose[], ref: Pose[]): string {
  const deg = 180 / Math.PI;
  const idx = ROTATED.map((n) => skel.joints.findIndex((j) => j.name === n));
  const sum = ROTATED.map(() => [0, 0]);
  sim.forEach((p, t) => {
    const ws = forwardKinematics(skel, p), wr = forwardKinematics(skel, ref[t]!);
    idx.forEach((j, i) => {
      const d = quatMultiply(ws.rotations[j]!, quatConjugate(wr.rotations[j]!));
      const u = quatRotate(ws.rotations[j]!, [0, 1, 0]), v = quatRotate(wr.rotations[j]!, [0, 1, 0]);
      sum[i]![0]! += (2 * Math.acos(Math.min(1, Math.abs(d[3]))) * deg) / sim.length;
      sum[i]![1]! += (Math.acos(Math.min(1, u[0] * v[0] + u[1] * v[1] + u[2] * v[2])) * deg) / sim.length;
    });
  });
  return ROTATED.map((n, i) => `${n} ${sum[i]![0]!.toFixed(1)} / ${sum[i]![1]!.toFixed(1)}`).join(', ');
}

/** Acceleration error (mm/f², the metric's) of each frame t (1 … n − 2) of a against b, in each file's camera frame. */
function frameAccel(a: LandmarkSequence, b: LandmarkSequence): number[] {
  const inCam = (s: LandmarkSequence) => s.frames.map((f) => f.map((p) => worldToCamera(s.camera!, p)));
  const A = inCam(a), B = inCam(b);
  return A.slice(1, -1).map((_, i) => accelError(A.slice(i, i + 3), B.slice(i, i + 3)));
}

/**
 * Where the simulated motion's acceleration error sits: its mean by the frame's place in its
 * physics window (windows of `size` frames; the search's segments start at 0, 3, 6, 9), on frames
 * where a foot's contact changes against the others, and on the 10 % worst frames.
 */
function accelBreakdown(name: string, sim: number[], ref: number[], kin: number[], contacts: boolean[][], size: number): string[] {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const byPhase = Array.from({ length: size }, (_, ph) => mean(sim.filter((_, i) => (i + 1) % size === ph)).toFixed(1));
  const switched = (t: number) => [0, 1].some((f) => contacts[t]?.[f] !== contacts[t - 1]?.[f] || contacts[t + 1]?.[f] !== contacts[t]?.[f]);
  const sw = sim.filter((_, i) => switched(i + 1)), still = sim.filter((_, i) => !switched(i + 1));
  const sorted = [...sim].sort((x, y) => y - x);
  const top = sorted.slice(0, Math.max(1, Math.round(sim.length / 10)));
  return [
    `${name}: accel err simulated ${mean(sim).toFixed(2)}, reference ${mean(ref).toFixed(2)}, kinematic ${mean(kin).toFixed(2)} mm/f² (vs truth)`,
    `  by frame of window (frame t: t mod ${size} = 0 … ${size - 1}): ${byPhase.join(' / ')}`,
    `  contact changes (${sw.length} frames) ${mean(sw).toFixed(2)}, others (${still.length}) ${mean(still).toFixed(2)}; worst 10 % of frames ${mean(top).toFixed(1)} (${((100 * top.reduce((s, x) => s + x, 0)) / Math.max(1e-9, sim.reduce((s, x) => s + x, 0))).toFixed(0)} % of the sum)`,
  ];
}

console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`| clip | what | MPJPE | PA-MPJPE | accel | ${GROUPS.join(' | ')} |`);
console.log(`|---|---|---|---|---|${GROUPS.map(() => '---').join('|')}|`);
const rotations: string[] = [];
const accels: string[] = [];
const grounds: string[] = [];

/** World up as a camera sees it (unit vector in camera coordinates). */
function upSeen(s: LandmarkSequence): Vec3 {
  const o = worldToCamera(s.camera!, [0, 0, 0]), u = worldToCamera(s.camera!, [0, 1, 0]);
  return [u[0] - o[0], u[1] - o[1], u[2] - o[2]];
}

/** The angle (deg) between the fit's world up and the truth's, both in their cameras' frames, and its pitch part. */
function groundTilt(name: string, fit: LandmarkSequence, truth: LandmarkSequence): string {
  const a = upSeen(truth), b = upSeen(fit);
  const deg = 180 / Math.PI;
  const angle = Math.acos(Math.min(1, a[0] * b[0] + a[1] * b[1] + a[2] * b[2])) * deg;
  const pitch = (Math.atan2(b[2], b[1]) - Math.atan2(a[2], a[1])) * deg;
  return `${name}: fit's ground ${angle.toFixed(1)}° off the truth's (pitch ${pitch >= 0 ? '+' : ''}${pitch.toFixed(1)}°)`;
}
for (const dir of dirs) {
  const kin = readJsonFile(join(dir, 'kinematic.json')) as FrameFile;
  const skel = createSkeleton({ height: kin.reconstruct.subject.heightOption, proportions: kin.reconstruct.subject.proportions });
  const fps = kin.fps;
  const K = readLandmarkSequence(join(dir, 'kinematic.json'));
  const T = readLandmarkSequence(join(dir, 'truth.json'));
  const S = readLandmarkSequence(join(dir, 'motion.json'));
  const camera = K.camera!;
  const p = o.controller.physical;
  const smooth = smoothMotion(skel, posesOf(kin), Math.max(o.controller.smoothing, (o.controller.smoothing * fps) / 30));
  const lock = { ...FOOT_LOCK_DEFAULTS, maxTilt: p?.lockTilt ?? FOOT_LOCK_DEFAULTS.maxTilt, kneeOverToes: p?.lockKneeOverToes ?? FOOT_LOCK_DEFAULTS.kneeOverToes };
  const steps: Array<[string, Partial<ReferenceOptions> | null]> = [
    ['low-passed', null], ['+ floor', {}], ['+ depth anchor', { anchor: true }], ['+ foot lock', { anchor: true, footLock: true, lock }],
  ];
  const seq = (poses: Pose[]): LandmarkSequence => ({ source: dir, kind: 'motion', fps, frames: poses.map((q) => landmarkPositions(skel, q)), camera });
  const row = (what: string, a: LandmarkSequence, b: LandmarkSequence) => {
    const e = evaluate(a, { ...b, kind: 'truth' });
    console.log(`| ${dir.split('/').pop()} | ${what} | ${e.mpjpe.toFixed(1)} | ${e.paMpjpe.toFixed(1)} | ${e.accelError.toFixed(2)} | ${groupErrors(a, b)} |`);
  };
  row('kinematic → truth', K, T);
  for (const [name, options] of steps) row(`${name} → truth`, seq(options ? physicalReference(skel, smooth, fps, { camera: camera.position, ...options }) : smooth), T);
  const refPoses = stageReference(skel, posesOf(kin), fps, camera.position, o.controller);
  const ref = seq(refPoses);
  row('reference (stage) → truth', ref, T);
  row('simulated → truth', S, T);
  row('reference → kinematic', ref, K);
  row('simulated → reference', S, ref);
  grounds.push(groundTilt(dir.split('/').pop()!, K, T));
  const motion = readJsonFile(join(dir, 'motion.json')) as FrameFile;
  rotations.push(`${dir.split('/').pop()}: ${rotationErrors(skel, posesOf(motion), refPoses)}`);
  const contacts = motion.frames.map((f) => [f.contacts?.leftFoot ?? false, f.contacts?.rightFoot ?? false]);
  accels.push(...accelBreakdown(dir.split('/').pop()!, frameAccel(S, T), frameAccel(ref, T), frameAccel(K, T), contacts, o.windows.size));
}
console.log('\nWorld rotation error, simulated against reference (deg, total / tilt of the up axis):');
for (const r of rotations) console.log(`- ${r}`);
console.log('\nThe fit\'s ground against the truth\'s (the reference stands on the fit\'s):');
for (const g of grounds) console.log(`- ${g}`);
console.log('\nAcceleration error of the simulated motion, where it sits:');
for (const a of accels) console.log(a);
