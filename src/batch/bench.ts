import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthToDirectory } from '../eval/synth.ts';
import { median } from '../optimus/bench/summary.ts';
import { connect } from './connection.ts';
import { findInputs } from './inputs.ts';
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
  /** BVH clips made into synthetic keypoints, `seconds` of each. */
  clips: string[];
  seconds: number;
  /** Physics iterations per window (small: the queue is measured, not the optimizer). */
  iterations: number;
  /** Speed runs of each worker count (the median is reported). */
  repeats: number;
  log: (line: string) => void;
}

export const BATCH_BENCH_DEFAULTS = { seconds: 1, iterations: 1, repeats: 1 };

export interface BatchBenchResult {
  clips: string[];
  seconds: number;
  iterations: number;
  localSeconds: number;
  oneWorkerSeconds: number[];
  twoWorkerSeconds: number[];
  speedup: number;
  /** CPU seconds the worker processes used per run: on a machine busy with other work, wall time follows the CPU share, not the cores. */
  cpuSeconds: { one: number[]; two: number[] };
  kill: { seconds: number; completed: number; finishedRuns: number; identical: number };
  restart: { seconds: number; completed: number; finishedRuns: number; identical: number };
  /** 1-minute load average at the start and end of each phase. */
  load: Record<string, [number, number]>;
}

const BIN = fileURLToPath(new URL('../../bin/optimus-motion.mjs', import.meta.url));

export async function runBatchBench(options: Partial<BatchBenchOptions> & { clips: string[] }): Promise<BatchBenchResult> {
  const o = { ...BATCH_BENCH_DEFAULTS, log: () => {}, ...options };
  const dir = mkdtempSync(join(tmpdir(), 'om-bench-batch-'));
  const redis = await startLocalRedis();
  try {
    for (const clip of o.clips) synthToDirectory(clip, join(dir, 'in', basename(clip, '.bvh')), { seconds: o.seconds });
    const inputs = findInputs([join(dir, 'in')], join(dir, 'out'));
    const clip: ClipOptions = { ...CLIP_DEFAULTS, iterations: o.iterations, exports: [], checkSheet: false, workers: 0 };
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

    const queueRun = async (name: string, workers: number, disturb?: (procs: WorkerProc[], out: string) => Promise<void>) => {
      const out = join(dir, name);
      mkdirSync(out, { recursive: true });
      const conn = connect(redis.url, () => {});
      try {
        // Workers are long-running: the batch is timed from its submission to workers already
        // waiting, so their start-up (seconds of module loading) is not counted against it.
        const procs = Array.from({ length: workers }, () => startWorkerProcess(redis, name));
        await until(() => procs.every((p) => /waiting for clips/.test(p.log())));
        const started = Date.now();
        await submitJobs(conn, out, inputs.map((i) => makeJob(i, out, clip)), { queue: name });
        const disturbed = disturb?.(procs, out);
        const s = await waitForJobs(conn, name, undefined, () => {}, 250);
        const seconds = (Date.now() - started) / 1000;
        await disturbed;
        const cpuSeconds = procs.reduce((t, p) => t + cpuTime(p.proc.pid), 0);
        await Promise.all(procs.map((p) => stop(p.proc)));
        const finishedRuns = procs.reduce((n, p) => n + (p.log().match(/\] done /g)?.length ?? 0), 0);
        const identical = inputs.filter((i) => sameMotion(join(out, i.rel), join(reference, i.rel))).length;
        return { seconds, cpuSeconds, completed: s.done, failed: s.failed, finishedRuns, identical, procs };
      } finally {
        conn.disconnect();
      }
    };

    const oneWorkerSeconds: number[] = [];
    const twoWorkerSeconds: number[] = [];
    const cpu = { one: [] as number[], two: [] as number[] };
    for (let r = 0; r < o.repeats; r++) {
      const one = await phase(`one-worker-${r}`, () => queueRun(`one-${r}`, 1));
      oneWorkerSeconds.push(one.seconds);
      cpu.one.push(one.cpuSeconds);
      o.log(`1 worker: ${one.seconds.toFixed(1)} s wall, ${one.cpuSeconds.toFixed(1)} s CPU`);
      const two = await phase(`two-workers-${r}`, () => queueRun(`two-${r}`, 2));
      twoWorkerSeconds.push(two.seconds);
      cpu.two.push(two.cpuSeconds);
      o.log(`2 workers: ${two.seconds.toFixed(1)} s wall, ${two.cpuSeconds.toFixed(1)} s CPU`);
    }
    const speedup = median(oneWorkerSeconds) / median(twoWorkerSeconds);

    // kill -9 one of two workers once it holds a clip past its first checkpoint; a third takes over.
    const kill = await phase('kill', () => queueRun('kill', 2, async (procs, out) => {
      await until(() => midClip(procs[0]!.log(), out));
      procs[0]!.proc.kill('SIGKILL');
      o.log('killed worker 1 with SIGKILL mid-clip; starting another');
      procs.push(startWorkerProcess(redis, 'kill'));
    }));
    o.log(`kill -9: ${kill.completed}/${inputs.length} completed, ${kill.finishedRuns} finished runs, ${kill.identical} motion.json identical, ${kill.seconds.toFixed(1)} s`);

    // Redis stopped (its append-only file kept) and started again once the first clip is done.
    const restart = await phase('restart', () => queueRun('restart', 2, async (procs) => {
      await until(() => procs.some((p) => /\] done /.test(p.log())));
      await redis.restart(2000);
      o.log('restarted redis-server (data kept)');
    }));
    o.log(`Redis restart: ${restart.completed}/${inputs.length} completed, ${restart.finishedRuns} finished runs, ${restart.identical} motion.json identical, ${restart.seconds.toFixed(1)} s`);

    const strip = (r: typeof kill) => ({ seconds: r.seconds, completed: r.completed, finishedRuns: r.finishedRuns, identical: r.identical });
    return {
      clips: o.clips.map((c) => basename(c)), seconds: o.seconds, iterations: o.iterations,
      localSeconds, oneWorkerSeconds, twoWorkerSeconds, speedup, cpuSeconds: cpu, kill: strip(kill), restart: strip(restart), load,
    };
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface WorkerProc {
  proc: ChildProcess;
  log: () => string;
}

function startWorkerProcess(redis: LocalRedis, queue: string): WorkerProc {
  // A short lock so a killed worker's clip is handed over within seconds. Each worker is its own
  // session, as workers started from two terminals or services are: Linux' autogroup scheduler
  // shares the CPU between sessions, so workers of one session would share one session's part.
  const proc = spawn(process.execPath, [BIN, 'worker', '--redis', redis.url, '--queue', queue, '--concurrency', '1', '--workers', '0', '--lock-seconds', '5'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  return { proc, log: () => out };
}

/** User + system CPU seconds of a live process and its threads (Linux /proc), 0 elsewhere. */
function cpuTime(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
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
