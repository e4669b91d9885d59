/**
 * `npm run bench:physics`: µs per simulation step, rollouts/s on 1 and 2 workers, and tracking of
 * procedural motions and of every BVH clip in ../shared/data/mocap from its truth with the physics
 * stage's own fully physical controller (no external force; PHYSICAL_DEFAULTS' layer and search, toe
 * segments): per clip the
 * seconds tracked before the first fall, MPJPE (global, 33 landmarks), residual % of body weight,
 * restarts, falls and compute per video second. Options: --json FILE, --quick (3 s of each clip,
 * smaller rollout batches), --seconds N (first N s of each clip), --clip TEXT (only clips whose
 * file name contains TEXT; skips the speed benchmarks), --workers N (2), --rollouts-only (speed
 * only), --pd (also the old pure-PD and residual-root tracking rows), --foot-lock (retarget with
 * foot locking), --bare (CONTROLLER_DEFAULTS, the search's own defaults and rigid feet instead of the
 * stage's controller), --rollouts N, --repeats N (rollout speed batches). Thin wrapper: the
 * measurements live in src/physics/bench.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSkeleton } from '../src/body/skeleton.ts';
import { squatMotion, standingMotion } from '../src/body/procedural.ts';
import {
  benchPhysicalTracking, benchRollouts, benchStep, benchTracking, type PhysicalTrackingRow, type TrackingBenchRow,
} from '../src/physics/bench.ts';
import { createSyncRolloutPool } from '../src/physics/pool.ts';
import { TOE_DEFAULTS } from '../src/physics/humanoid.ts';
import { PHYSICAL_DEFAULTS } from '../src/reconstruct/physics-options.ts';
import { writeJsonAtomic } from '../src/formats/io.ts';
import { helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const value = (name: string): string | undefined => (flag(name) ? args[args.indexOf(name) + 1] : undefined);
const numberArg = (name: string, fallback: number): number => (flag(name) ? Number(value(name)) : fallback);
const jsonPath = value('--json');
const quick = flag('--quick');
const clipFilter = value('--clip');
const footLock = flag('--foot-lock');
const bare = flag('--bare');
const rolloutsOnly = flag('--rollouts-only');
const seconds = numberArg('--seconds', quick ? 3 : 0) || undefined;
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const step = clipFilter ? null : await benchStep();
if (step) console.log(`step: ${step.wallUs.toFixed(0)} µs wall, ${step.cpuUs.toFixed(0)} µs CPU per step (${step.bodies} bodies, ${step.motors} motor axes; target ≤ 300 µs)`);
const batch = numberArg('--rollouts', quick ? 16 : 48);
const rollouts = clipFilter ? null : await benchRollouts({ rollouts: batch, repeats: numberArg('--repeats', quick ? 3 : 7) });
if (rollouts) {
  console.log(`\nrollouts per second (batches of ${batch} rollouts of 10 × 4 steps from one snapshot; configurations interleaved; ` +
    `load before: ${rollouts.loadBefore}, after: ${rollouts.loadAfter})`);
  for (const r of rollouts.rows) {
    const loads = r.batches.map((b) => b.load);
    console.log(`  ${r.name.padEnd(32)} ${r.rolloutsPerSecond.toFixed(1).padStart(6)} /s  ` +
      `load-corrected ${r.loadCorrectedPerSecond === null ? 'n/a' : r.loadCorrectedPerSecond.toFixed(1).padStart(6)} /s  ` +
      `run-queue wait ${r.runQueueWaitMs === null ? 'n/a' : r.runQueueWaitMs.toFixed(0).padStart(4)} ms/batch  ` +
      `CPU ${r.cpuMsPerRollout === null ? 'n/a' : r.cpuMsPerRollout.toFixed(1).padStart(5)} ms/rollout  ` +
      `other threads ${r.otherCpuMs === null ? 'n/a' : r.otherCpuMs.toFixed(0).padStart(3)} ms/batch  ` +
      `busy ${r.busyShare === null ? 'n/a' : (100 * r.busyShare).toFixed(1).padStart(5)} %  ` +
      `loadavg ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`);
  }
  if (rollouts.autogroup) {
    console.log('  (kernel autogroup scheduling is on: with other sessions busy, this process gets a fair share of the cores per session, ' +
      'not per thread, so a 2-worker pool gets little more CPU than a 1-worker one; the load-corrected rates remove the run-queue wait)');
  }
  for (const q of rollouts.ratios) {
    console.log(`  ${q.name}: ×${q.ratio.toFixed(2)} (median of back-to-back ratios)` +
      (q.loadCorrected === null ? '' : `, ×${q.loadCorrected.toFixed(2)} load-corrected (×${q.loadCorrectedPooled!.toFixed(2)} over all batches pooled)` +
        (q.fromThreadCpu === null ? '' : `, ×${q.fromThreadCpu.toFixed(2)} from thread CPU times and busy shares`)));
  }
}
if (rolloutsOnly) {
  if (jsonPath) writeJsonAtomic(jsonPath, { step, rollouts }, 2);
  process.exit(0);
}

// The motions: procedural ones, then every clip of ../shared/data/mocap retargeted from its truth.
const skel = createSkeleton();
const motions: Array<{ name: string; skeleton: typeof skel; poses: ReturnType<typeof standingMotion>; fps: number }> = [];
if (!clipFilter) {
  motions.push({ name: 'procedural standing (10 s)', skeleton: skel, poses: standingMotion(skel, { seconds: 10 }), fps: 30 });
  motions.push({ name: 'procedural squat', skeleton: skel, poses: squatMotion(skel, { seconds: 4 }), fps: 30 });
}
const mocap = resolve(root, '../shared/data/mocap');
if (!existsSync(mocap)) {
  console.log(`(no ${mocap}: CMU clips skipped)`);
} else {
  const { readBvh } = await import('../src/body/bvh.ts');
  const { retargetBvh } = await import('../src/body/retarget.ts');
  for (const file of readdirSync(mocap).filter((f) => f.endsWith('.bvh') && (!clipFilter || f.includes(clipFilter))).sort()) {
    const clip = retargetBvh(readBvh(join(mocap, file)), { fps: 30, footLock, ...(seconds ? { seconds } : {}) });
    motions.push({ name: file.replace(/\.bvh$/, ''), skeleton: clip.skeleton, poses: clip.poses, fps: clip.fps });
  }
}

// The stage's controller (feed-forward, search budget) and body (toes), tracking the truth instead of a fit.
const trackingOptions = bare ? {} : { controller: PHYSICAL_DEFAULTS.layer, sampling: PHYSICAL_DEFAULTS.sampling, physics: { toes: TOE_DEFAULTS } };
const pool = await createSyncRolloutPool({ workers: numberArg('--workers', 2) });
const physical: PhysicalTrackingRow[] = [];
console.log(`\nfully physical tracking from the truth (no external force; load before: ${loadavg()})`);
console.log(`${'clip'.padEnd(46)} ${'length'.padStart(7)} ${'tracked'.padStart(8)} ${'MPJPE'.padStart(7)} residual restarts falls  compute/video s`);
try {
  for (const m of motions) {
    const r = await benchPhysicalTracking(m.name, m.skeleton, m.poses, m.fps, trackingOptions, pool);
    physical.push(r);
    console.log(`${r.name.padEnd(46)} ${r.seconds.toFixed(2).padStart(6)}s ${r.trackedSeconds.toFixed(2).padStart(7)}s ${r.mpjpe.toFixed(1).padStart(6)}  ` +
      `${r.residualPct.toFixed(1).padStart(6)} % ${String(r.restarts).padStart(8)} ${String(r.falls).padStart(5)}  ${r.computePerSecond.toFixed(1).padStart(6)} s/s  (load ${loadavg()})`);
  }
} finally {
  await pool.close();
}
const tracked = physical.filter((r) => r.trackedSeconds >= r.seconds - 1e-9).length;
console.log(`tracked to the end: ${tracked} of ${physical.length}; load after: ${loadavg()}`);

const legacy: TrackingBenchRow[] = [];
if (flag('--pd')) {
  for (const m of motions) legacy.push(...await benchTracking(m.name, m.skeleton, m.poses, m.fps));
  console.log('\npure PD and residual-root tracking (MPJPE over the 33 landmarks, global, mm)');
  for (const r of legacy) {
    console.log(`${r.name.padEnd(46)} ${r.residual ? 'PD+residual' : 'pure PD    '} ${r.seconds.toFixed(1).padStart(5)} s  ` +
      `MPJPE ${r.mpjpe.toFixed(1).padStart(6)}  ${r.fell ? `FELL at ${r.fallTime!.toFixed(2)} s` : r.blowUp ? `BLEW UP: ${r.blowUp}` : 'no fall'}  ` +
      (r.residual ? `residual |F| ${r.residualForce.toFixed(0)} N` : ''));
  }
}
if (jsonPath) writeJsonAtomic(jsonPath, { step, rollouts, physical, tracking: legacy }, 2);
