import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthToDirectory } from '../eval/synth.ts';
import { median } from '../optimus/bench/summary.ts';
import { connect } from './connection.ts';
import { processCpuSeconds } from './cpu.ts';
import { findInputs } from './inputs.ts';
import { longestFirst } from './order.ts';
import { CLIP_DEFAULTS, makeJob, type ClipOptions } from './job.ts';
import { runLocalBatch } from './local.ts';
import { submitJobs, waitForJobs } from './queue.ts';
import { startLocalRedis, type LocalRedis } from './redis-server.ts';

/**
 * `npm run bench:batch`: the batch's three targets on this machine, against a private
 * redis-server — 2 workers against 1 (physics on one thread per clip), a worker killed with
 * SIGKILL mid-batch, and Redis restarted mid-batch — each batch's motion.json compared with an
 * undisturbed local batch (timings aside). Workers are real `optimus-motion worker` processes.
 */
export interface BatchBenchOptions {
  /** BVH clips made into synthetic keypoints, one clip per length in `seconds` (and per copy). */
  clips: string[];
  /** Clip lengths, s: several make a batch of unequal clips, as a user's folder is. */
  seconds: number[];
  /** Physics iterations per window (small: the queue is measured, not the optimizer). */
  iterations: number;
  /** Speed runs of each worker count (the median is reported). */
  repeats: number;
  /** Clips made of each BVH (noise seeds 0, 1, …): a longer batch weighs each worker's start less. */
  copies: number;
  /** Only the speed runs (no kill -9 and Redis restart). */
  speedOnly: boolean;
  /** Also time 2 workers with the clips queued in path order instead of longest first. */
  compareOrder: boolean;
  log: (line: string) => void;
}

export const BATCH_BENCH_DEFAULTS = { seconds: [1], iterations: 1, repeats: 1, copies: 3, speedOnly: false, compareOrder: false };

/** One timed run of the batch on the queue. */
export interface SpeedRun {
  /** From submission to the last clip done (workers already waiting). */
  seconds: number;
  /** CPU seconds of the worker processes over the same span. */
  cpuSeconds: number;
  /** CPU seconds of the clip threads alone (their own work), from the workers' logs. */
  clipThreadCpuSeconds: number;
  /** cpuSeconds / seconds / workers: cores each worker kept busy (other load lowers it). */
  coresPerWorker: number;
  /** cpuSeconds / clipThreadCpuSeconds: a worker's CPU per second of clip work, whatever the load. */
  cpuPerClipCpu: number;
}

export interface FaultRun {
  seconds: number;
  completed: number;
  finishedRuns: number;
  identical: number;
}

export interface BatchBenchResult {
  clips: string[];
  copies: number;
  seconds: number[];
  iterations: number;
  localSeconds: number;
  /** `worker --concurrency 1 --workers 1`: one physics thread (run inline) per clip. */
  oneWorker: SpeedRun[];
  /** Two such workers. */
  twoWorkers: SpeedRun[];
  /** Two such workers, clips queued in path order (with `compareOrder`; else empty). */
  twoWorkersPathOrder: SpeedRun[];
  /** One worker, one clip at a time, two physics threads: the other way to split two cores. */
  oneWorkerTwoThreads: SpeedRun[];
  speedup: number;
  /** Median wall time of 2 workers × 1 physics thread against 1 worker × 2 physics threads. */
  splitSpeedup: number;
  /**
   * The most 2 workers can gain over 1 on 2 idle cores, from CPU accounting alone (other load
   * does not change it): one worker takes at least its clip threads' CPU time, two at least
   * half their CPU time, all threads together.
   */
  speedupBound: number;
  kill: FaultRun | null;
  restart: FaultRun | null;
  /** 1-minute load average at the start and end of each phase. */
  load: Record<string, [number, number]>;
}

const BIN = fileURLToPath(new URL('../../bin/optimus-motion.mjs', import.meta.url));

export async function runBatchBench(options: Partial<BatchBenchOptions> & { clips: string[] }): Promise<BatchBenchResult> {
  const o = { ...BATCH_BENCH_DEFAULTS, log: () => {}, ...options };
  const dir = mkdtempSync(join(tmpdir(), 'om-bench-batch-'));
  const redis = await startLocalRedis();
  try {
    for (const clip of o.clips) {
      for (const seconds of o.seconds) {
        const name = `${basename(clip, '.bvh')}${o.seconds.length > 1 ? `-${seconds}s` : ''}`;
        for (let seed = 0; seed < o.copies; seed++) synthToDirectory(clip, join(dir, 'in', `${name}${seed ? `-${seed}` : ''}`), { seconds, seed });
      }
    }
    // Queued as `batch` queues them (longest first); path order only for the comparison.
    const pathOrder = findInputs([join(dir, 'in')], join(dir, 'out'));
    const inputs = await longestFirst(pathOrder);
    const clip: ClipOptions = { ...CLIP_DEFAULTS, iterations: o.iterations, exports: [], checkSheet: false, workers: 1 };
    const load: BatchBenchResult['load'] = {};
    const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
      const before = loadavg()[0]!;
      const r = await f();
      load[name] = [before, loadavg()[0]!];
      return r;
    };

    const reference = join(dir, 'reference');
    const localSeconds = await phase('local', () => timed(() => runLocalBatch(inputs, reference, clip, { concurrency: 2 })));
    o.log(`local batch (2 at a time, 1 physics thread each): ${localSeconds.toFixed(1)} s`);

    const queueRun = async (name: string, workers: number, physicsThreads: number, disturb?: (procs: WorkerProc[], out: string) => Promise<void>, queued = inputs) => {
      const out = join(dir, name);
      mkdirSync(out, { recursive: true });
      const conn = connect(redis.url, () => {});
      try {
        // Workers are long-running: the batch is timed from its submission to workers already
        // waiting, so their start-up (seconds of module loading) is not counted against it.
        const procs = Array.from({ length: workers }, () => startWorkerProcess(redis, name, physicsThreads));
        await until(() => procs.every((p) => /waiting for clips/.test(p.log())));
        const cpuAtStart = procs.reduce((t, p) => t + (processCpuSeconds(p.proc.pid!) ?? 0), 0);
        const started = Date.now();
        await submitJobs(conn, out, queued.map((i) => makeJob(i, out, clip)), { queue: name });
        const disturbed = disturb?.(procs, out);
        const s = await waitForJobs(conn, name, undefined, () => {}, 250);
        const seconds = (Date.now() - started) / 1000;
        await disturbed;
        const cpuSeconds = procs.reduce((t, p) => t + (processCpuSeconds(p.proc.pid!) ?? 0), 0) - cpuAtStart;
        await Promise.all(procs.map((p) => stop(p.proc)));
        const finishedRuns = procs.reduce((n, p) => n + (p.log().match(/\] done /g)?.length ?? 0), 0);
        const clipThreadCpuSeconds = procs.reduce((t, p) => t + [...p.log().matchAll(/clip thread CPU ([0-9.]+)s/g)].reduce((a, m) => a + Number(m[1]), 0), 0);
        const identical = inputs.filter((i) => sameMotion(join(out, i.rel), join(reference, i.rel))).length;
        const speed: SpeedRun = { seconds, cpuSeconds, clipThreadCpuSeconds, coresPerWorker: cpuSeconds / seconds / workers, cpuPerClipCpu: cpuSeconds / clipThreadCpuSeconds };
        return { ...speed, completed: s.done, failed: s.failed, finishedRuns, identical, procs };
      } finally {
        conn.disconnect();
      }
    };
    const speedRun = async (name: string, label: string, workers: number, physicsThreads: number, queued = inputs): Promise<SpeedRun> => {
      const r = await phase(name, () => queueRun(name, workers, physicsThreads, undefined, queued));
      if (r.identical !== inputs.length) o.log(`WARNING ${label}: only ${r.identical} of ${inputs.length} motion.json identical to the local batch`);
      o.log(`${label}: ${r.seconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} s CPU (clip threads ${r.clipThreadCpuSeconds.toFixed(1)} s), ` +
        `${r.coresPerWorker.toFixed(2)} cores per worker, ${r.cpuPerClipCpu.toFixed(2)} s CPU per clip-thread second, load ${load[name]!.map((l) => l.toFixed(2)).join('→')}`);
      return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, clipThreadCpuSeconds: r.clipThreadCpuSeconds, coresPerWorker: r.coresPerWorker, cpuPerClipCpu: r.cpuPerClipCpu };
    };

    const oneWorker: SpeedRun[] = [];
    const twoWorkers: SpeedRun[] = [];
    const oneWorkerTwoThreads: SpeedRun[] = [];
    const twoWorkersPathOrder: SpeedRun[] = [];
    for (let r = 0; r < o.repeats; r++) {
      oneWorker.push(await speedRun(`one-worker-${r}`, '1 worker × 1 physics thread', 1, 1));
      twoWorkers.push(await speedRun(`two-workers-${r}`, '2 workers × 1 physics thread', 2, 1));
      if (o.compareOrder) twoWorkersPathOrder.push(await speedRun(`two-workers-path-order-${r}`, '2 workers × 1 physics thread, path order', 2, 1, pathOrder));
      oneWorkerTwoThreads.push(await speedRun(`one-worker-two-threads-${r}`, '1 worker × 2 physics threads', 1, 2));
    }
    const wall = (runs: SpeedRun[]) => median(runs.map((x) => x.seconds));
    const speedup = wall(oneWorker) / wall(twoWorkers);
    const splitSpeedup = wall(oneWorkerTwoThreads) / wall(twoWorkers);
    const speedupBound = median(oneWorker.map((x) => x.clipThreadCpuSeconds)) / (median(twoWorkers.map((x) => x.cpuSeconds)) / 2);
    const result = { clips: o.clips.map((c) => basename(c)), copies: o.copies, seconds: o.seconds, iterations: o.iterations, localSeconds, oneWorker, twoWorkers, twoWorkersPathOrder, oneWorkerTwoThreads, speedup, splitSpeedup, speedupBound };
    if (o.speedOnly) return { ...result, kill: null, restart: null, load };

    // kill -9 one of two workers once it holds a clip past its first checkpoint; a third takes over.
    const kill = await phase('kill', () => queueRun('kill', 2, 1, async (procs, out) => {
      await until(() => midClip(procs[0]!.log(), out));
      procs[0]!.proc.kill('SIGKILL');
      o.log('killed worker 1 with SIGKILL mid-clip; starting another');
      procs.push(startWorkerProcess(redis, 'kill', 1));
    }));
    o.log(`kill -9: ${kill.completed}/${inputs.length} completed, ${kill.finishedRuns} finished runs, ${kill.identical} motion.json identical, ${kill.seconds.toFixed(1)} s`);

    // Redis stopped (its append-only file kept) and started again once the first clip is done.
    const restart = await phase('restart', () => queueRun('restart', 2, 1, async (procs) => {
      await until(() => procs.some((p) => /\] done /.test(p.log())));
      await redis.restart(2000);
      o.log('restarted redis-server (data kept)');
    }));
    o.log(`Redis restart: ${restart.completed}/${inputs.length} completed, ${restart.finishedRuns} finished runs, ${restart.identical} motion.json identical, ${restart.seconds.toFixed(1)} s`);

    const strip = (r: typeof kill): FaultRun => ({ seconds: r.seconds, completed: r.completed, finishedRuns: r.finishedRuns, identical: r.identical });
    return { ...result, kill: strip(kill), restart: strip(restart), load };
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface WorkerProc {
  proc: ChildProcess;
  log: () => string;
}

function startWorkerProcess(redis: LocalRedis, queue: string, physicsThreads: number): WorkerProc {
  // A short lock so a killed worker's clip is handed over within seconds. Each worker is its own
  // session, as workers started from two terminals or services are: Linux' autogroup scheduler
  // shares the CPU between sessions, so workers of one session would share one session's part.
  const proc = spawn(process.execPath, [BIN, 'worker', '--redis', redis.url, '--queue', queue, '--concurrency', '1', '--workers', String(physicsThreads), '--lock-seconds', '5'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  return { proc, log: () => out };
}

function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  return exited;
}

/**
 * motion.json text with its wall-clock timings (`ms`, `…Ms`) set to 0: the only fields in which
 * two runs of the same clip may differ (motion.json records what each stage cost).
 */
export function withoutTimings(motionJson: string): string {
  return motionJson.replace(/"(ms|[A-Za-z]+Ms)":[0-9.e+-]+/g, '"$1":0');
}

/** motion.json of two runs, equal byte for byte once wall-clock timings are set aside. */
function sameMotion(a: string, b: string): boolean {
  const read = (d: string) => existsSync(join(d, 'motion.json')) ? withoutTimings(readFileSync(join(d, 'motion.json'), 'utf8')) : null;
  const x = read(a);
  return x !== null && x === read(b);
}

/** The worker's current clip (its last "start" line) has finished a physics window. */
function midClip(log: string, out: string): boolean {
  const starts = [...log.matchAll(/\] start (\S+) /g)];
  const current = starts.at(-1)?.[1];
  return current !== undefined && !new RegExp(`\\] done ${current} `).test(log) && existsSync(join(out, current, '.physics.checkpoint.json'));
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = Date.now();
  await f();
  return (Date.now() - t) / 1000;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 100));
}
