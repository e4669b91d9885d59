/**
 * `npm run bench:physics`: µs per simulation step, rollouts/s on 1 and 2 workers, and tracking
 * MPJPE (pure PD vs PD + residual root forces) on procedural motions and on every BVH clip in
 * ../shared/data/mocap when that folder and the BVH importer exist. Options: --json FILE, --quick,
 * --clip TEXT (track only the clips whose file name contains TEXT; skips the speed benchmarks),
 * --foot-lock (retarget with foot locking, see src/body/retarget.ts; off by default).
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

const step = clipFilter ? null : await benchStep();
if (step) console.log(`step: ${step.wallUs.toFixed(0)} µs wall, ${step.cpuUs.toFixed(0)} µs CPU per step (${step.bodies} bodies, ${step.motors} motor axes; target ≤ 300 µs)`);
const rollouts = clipFilter ? [] : await benchRollouts({ workers: [0, 1, 2], rollouts: quick ? 16 : 48 });
const one = rollouts.find((r) => r.workers === 1)?.rolloutsPerSecond ?? NaN;
for (const r of rollouts) {
  console.log(`rollouts (10 × 4 steps) on ${r.workers === 0 ? 'the main thread' : `${r.workers} worker(s)`}: ${r.rolloutsPerSecond.toFixed(1)} /s` +
    (r.workers > 1 ? `  (×${(r.rolloutsPerSecond / one).toFixed(2)} vs 1 worker; target ≥ 1.7)` : ''));
}

const rows: TrackingBenchRow[] = [];
const skel = createSkeleton();
if (!clipFilter) {
  rows.push(...await benchTracking('procedural standing', skel, standingMotion(skel, { seconds: 5 }), 30));
  rows.push(...await benchTracking('procedural squat', skel, squatMotion(skel, { seconds: 4 }), 30));
}

const mocap = resolve(root, '../shared/data/mocap');
const importer = join(root, 'src/body/bvh.ts');
const retarget = join(root, 'src/body/retarget.ts');
if (!existsSync(mocap)) {
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
