/**
 * `npm run bench:batch`: 2 workers against 1 (one physics thread per clip), a worker killed
 * with kill -9 mid-batch, and Redis restarted mid-batch, on synthetic keypoints of short clips
 * (data/demo-squat.bvh and, when present, CMU clips from ../shared/data/mocap). Needs Debian's
 * redis-server. Reports the ratio (median of repeats), cores per worker, the load average, and
 * 2 workers × 1 physics thread against 1 worker × 2 physics threads. Options: --seconds S or
 * S1,S2,… (clip lengths: one clip per length, 1), --iterations N (physics, 1), --repeats N (speed
 * runs per split, 1), --copies K (clips per BVH and length, noise seeds 0…K−1, 3), --speed-only
 * (no kill -9 / Redis restart), --compare-order (also 2 workers with the clips queued in path
 * order instead of longest first), --json FILE.
 * Thin wrapper: src/batch/bench.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATCH_BENCH_DEFAULTS, runBatchBench } from '../src/batch/bench.ts';
import { median } from '../src/optimus/bench/summary.ts';
import { redisServerAvailable } from '../src/batch/redis-server.ts';
import { writeJsonAtomic } from '../src/formats/io.ts';
import { helpIfAsked } from './args.ts';

helpIfAsked(import.meta.url);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const value = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const num = (name: string, fallback: number): number => (value(name) === undefined ? fallback : Number(value(name)));

if (!redisServerAvailable()) {
  process.stderr.write('bench:batch needs redis-server (apt-get install redis-server)\n');
  process.exit(2);
}
const mocap = resolve(root, '../shared/data/mocap');
const clips = [join(root, 'data/demo-squat.bvh'), ...['cmu_02_01_walk.bvh', 'cmu_01_01_forward_jumps.bvh', 'cmu_22_14_squat.bvh'].map((f) => join(mocap, f)).filter(existsSync)];
const lengths = value('--seconds')?.split(',').map(Number);
if (lengths?.some((x) => !(x > 0))) { process.stderr.write(`--seconds: positive lengths in seconds, comma-separated, got ${value('--seconds')}\n`); process.exit(2); }
if (clips.length === 1) process.stderr.write(`[note] ${mocap} not found: the batch is the demo squat alone\n`);

const result = await runBatchBench({
  clips,
  seconds: lengths ?? BATCH_BENCH_DEFAULTS.seconds,
  iterations: num('--iterations', BATCH_BENCH_DEFAULTS.iterations),
  repeats: num('--repeats', BATCH_BENCH_DEFAULTS.repeats),
  copies: num('--copies', BATCH_BENCH_DEFAULTS.copies),
  speedOnly: args.includes('--speed-only'),
  compareOrder: args.includes('--compare-order'),
  log: (line) => process.stdout.write(`${line}\n`),
});
const med = (xs: number[]) => median(xs).toFixed(2);
const split = result.splitSpeedup >= 1 ? 'N workers (or clips) × 1 physics thread' : '1 worker × N physics threads';
process.stdout.write([
  `speed-up of 2 workers over 1 (median of ${result.oneWorker.length}): ${result.speedup.toFixed(2)}× (target ≥ 1.8×); ` +
    `at most ${result.speedupBound.toFixed(2)}× on 2 idle cores by CPU accounting`,
  `cores per worker (CPU / wall, median): 1 worker ${med(result.oneWorker.map((r) => r.coresPerWorker))}, 2 workers ${med(result.twoWorkers.map((r) => r.coresPerWorker))}; ` +
    `CPU per clip-thread second: ${med(result.twoWorkers.map((r) => r.cpuPerClipCpu))}`,
  `2 workers × 1 physics thread against 1 worker × 2 physics threads: ${result.splitSpeedup.toFixed(2)}× → default split: ${split}`,
  ...(result.twoWorkersPathOrder.length ? [`2 workers, clips queued longest first against path order: ${(median(result.twoWorkersPathOrder.map((r) => r.seconds)) / median(result.twoWorkers.map((r) => r.seconds))).toFixed(2)}× ` +
    `(path order: ${(median(result.oneWorker.map((r) => r.seconds)) / median(result.twoWorkersPathOrder.map((r) => r.seconds))).toFixed(2)}× over 1 worker)`] : []),
  `load average (1 min) per phase: ${Object.entries(result.load).map(([k, [x, y]]) => `${k} ${x.toFixed(2)}→${y.toFixed(2)}`).join(', ')}`,
].join('\n') + '\n');
const json = value('--json');
if (json) writeJsonAtomic(json, result, 2);
