/**
 * `npm run bench:physics`: µs per simulation step, rollouts/s on 1 and 2 workers, and tracking
 * MPJPE (pure PD vs PD + residual root forces) on procedural motions and on every BVH clip in
 * ../shared/data/mocap when that folder and the BVH importer exist. Options: --json FILE, --quick,
 * --clip TEXT (track only the clips whose file name contains TEXT; skips the speed benchmarks),
 * --foot-lock (retarget with foot locking, see src/body/retarget.ts; off by default), --rollouts-only
 * (step and rollout speed only, no tracking), --rollouts N (per batch; 48, --quick 16), --repeats N
 * (timed batches per configuration; 7, --quick 3). Rollout speed (the physics stage's rollouts: PD
 * targets and the closed-loop root): the async and the synchronous pool on 1 and 2 workers and the main thread,
 * interleaved batch by batch, with load averages and a load-corrected rate (see src/physics/bench.ts).
 * Thin wrapper: the measurements live in src/physics/bench.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSkeleton } from '../src/body/skeleton.ts';
import { squatMotion, standingMotion } from '../src/body/procedural.ts';
import { benchRollouts, benchStep, benchTracking, type TrackingBenchRow } from '../src/physics/bench.ts';
import { writeJsonAtomic } from '../src/formats/io.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const quick = args.includes('--quick');
const clipFilter = args.includes('--clip') ? args[args.indexOf('--clip') + 1] : undefined;
const footLock = args.includes('--foot-lock');

const rolloutsOnly = args.includes('--rollouts-only');
const step = clipFilter ? null : await benchStep();
if (step) console.log(`step: ${step.wallUs.toFixed(0)} µs wall, ${step.cpuUs.toFixed(0)} µs CPU per step (${step.bodies} bodies, ${step.motors} motor axes; target ≤ 300 µs)`);
const numberArg = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
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
const rows: TrackingBenchRow[] = [];
const skel = createSkeleton();
if (!clipFilter && !rolloutsOnly) {
  rows.push(...await benchTracking('procedural standing', skel, standingMotion(skel, { seconds: 5 }), 30));
  rows.push(...await benchTracking('procedural squat', skel, squatMotion(skel, { seconds: 4 }), 30));
}

const mocap = resolve(root, '../shared/data/mocap');
const importer = join(root, 'src/body/bvh.ts');
const retarget = join(root, 'src/body/retarget.ts');
if (rolloutsOnly) {
  // speed benchmarks only
} else if (!existsSync(mocap)) {
  console.log(`(no ${mocap}: CMU clips skipped)`);
} else if (!existsSync(importer) || !existsSync(retarget)) {
  console.log('(no BVH importer in src/body/bvh.ts + retarget.ts: CMU clips skipped)');
} else {
  const { readBvh } = await import('../src/body/bvh.ts');
  const { retargetBvh } = await import('../src/body/retarget.ts');
  for (const file of readdirSync(mocap).filter((f) => f.endsWith('.bvh') && (!clipFilter || f.includes(clipFilter))).sort()) {
    const clip = retargetBvh(readBvh(join(mocap, file)), { fps: 30, footLock, ...(quick ? { seconds: 3 } : {}) });
    rows.push(...await benchTracking(file, clip.skeleton, clip.poses, clip.fps));
  }
}
console.log(`\ntracking${footLock ? ' (foot-locked references)' : ''} (MPJPE over the 33 landmarks, global, mm; target ≤ 40 mm with residuals, no fall)`);
for (const r of rows) {
  console.log(`${r.name.padEnd(44)} ${r.residual ? 'PD+residual' : 'pure PD    '} ${r.seconds.toFixed(1).padStart(5)} s  ` +
    `MPJPE ${r.mpjpe.toFixed(1).padStart(6)}  max ${r.maxFrameError.toFixed(0).padStart(5)}  ` +
    `${r.fell ? `FELL at ${r.fallTime!.toFixed(2)} s` : r.blowUp ? `BLEW UP: ${r.blowUp}` : 'no fall'}  ` +
    `frames ${r.framesTracked}/${r.framesExpected}  ${r.usPerStep.toFixed(0)} µs/step` +
    (r.residual ? `  residual |F| ${r.residualForce.toFixed(0)} N, |τ| ${r.residualTorque.toFixed(0)} N·m` : ''));
}
if (jsonPath) writeJsonAtomic(jsonPath, { step, rollouts, tracking: rows }, 2);
