import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { writeIndex } from './batch-index.ts';
import { writeClipStatus } from './clip-status.ts';
import { connect, probeRedis, type ConnectionOptions } from './connection.ts';
import { redact } from './redis-url.ts';
import { defaultConcurrency, physicsThreads } from './cores.ts';
import { withIndexLock } from './index-lock.ts';
import { clipOut, jobData, type JobData } from './job.ts';
import { recordFailure } from './local.ts';
import { removeStaleTemps } from './out-dir.ts';
import { QUEUE_DEFAULTS } from './queue.ts';
import { ClipError, ClipThreadPool, type ClipResult, type RunningClip } from './run-clip.ts';

export interface BatchWorkerOptions {
  queue: string;
  /** Clips this worker runs at the same time. */
  concurrency: number;
  /** Physics threads per clip on this machine (speed only, never the result). */
  physicsWorkers: number;
  /**
   * A job whose worker stops renewing its lock for this long (ms) is taken to have died and is
   * given to another worker, which continues from the clip's checkpoints.
   */
  lockMs: number;
  /** Times a job may be found stalled (its worker died) before it is failed. */
  maxStalledCount: number;
  connection?: Partial<ConnectionOptions>;
}

export const WORKER_DEFAULTS: BatchWorkerOptions = {
  queue: QUEUE_DEFAULTS.queue, concurrency: defaultConcurrency(), physicsWorkers: physicsThreads(defaultConcurrency()), lockMs: 30_000, maxStalledCount: 2,
};

/** How long a stopping worker waits for Redis to take back its jobs. */
const CLOSE_TIMEOUT_MS = 10_000;

export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'start'; clip: string; jobId: string; attempt: number }
  | { type: 'progress'; clip: string; stage: string; done: number; total: number }
  | { type: 'done'; clip: string; jobId: string; seconds: number; cpuSeconds: number | null }
  | { type: 'failed'; clip: string; jobId: string; error: string; final: boolean }
  | { type: 'redis-error'; message: string }
  | { type: 'warning'; message: string };

export interface RunningWorker {
  /** Stops taking jobs; clips still running go back to the queue for another worker. */
  close(): Promise<void>;
}

/**
 * A BullMQ worker that reconstructs clips in clip threads kept from clip to clip (run-clip.ts), with the
 * pipeline's resume: a retried or stalled job continues from its last finished stage or
 * window. Every clip that ends is recorded in OUT/.batch-status/ and OUT/index.json.
 */
export async function startWorker(url: string, options: Partial<BatchWorkerOptions>, onEvent: (e: WorkerEvent) => void = () => {}): Promise<RunningWorker> {
  const o = { ...WORKER_DEFAULTS, physicsWorkers: physicsThreads(options.concurrency ?? WORKER_DEFAULTS.concurrency), ...options };
  await probeRedis(url, o.connection);
  // The clip threads load the pipeline before the worker takes its first clip.
  const threads = new ClipThreadPool();
  try {
    await threads.start(o.concurrency);
  } catch (err) {
    await threads.close();
    throw err;
  }
  const redis = connect(url, (message) => onEvent({ type: 'redis-error', message }), o.connection);
  const running = new Map<string, RunningClip>();
  let closing = false;

  const processor = async (job: Job, token?: string): Promise<ClipResult> => {
    const parsed = jobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`not an optimus-motion batch job: ${parsed.error.issues[0]?.message}`);
    // The submitter's thread count was for its machine; this machine's split applies here.
    const data: JobData = { ...parsed.data, options: { ...parsed.data.options, workers: o.physicsWorkers } };
    const id = job.id!;
    onEvent({ type: 'start', clip: data.rel, jobId: id, attempt: job.attemptsMade + 1 });
    removeStaleTemps(clipOut(data));
    const clip = threads.run(data, (stage, done, total) => onEvent({ type: 'progress', clip: data.rel, stage, done, total }));
    running.set(id, clip);
    try {
      const r = await clip.result;
      await withIndexLock(redis, data.out, () => {
        writeClipStatus(data.out, { jobId: id, status: 'done', error: null, computeSeconds: r.seconds, attempts: job.attemptsMade + 1 });
        writeIndex(data.out);
      });
      onEvent({ type: 'done', clip: data.rel, jobId: id, seconds: r.seconds, cpuSeconds: r.cpuSeconds });
      return r;
    } catch (err) {
      if (closing) {
        // Shutting down is not the clip's fault: back to the queue without using an attempt.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const message = err instanceof Error ? err.message : String(err);
      throw err instanceof ClipError && err.user ? new UnrecoverableError(message) : new Error(message);
    } finally {
      running.delete(id);
    }
  };

  const worker = new Worker(o.queue, processor, {
    connection: redis, concurrency: o.concurrency, lockDuration: o.lockMs,
    stalledInterval: Math.max(1000, Math.round(o.lockMs / 2)), maxStalledCount: o.maxStalledCount,
    autorun: false,
  });
  worker.on('error', (e) => onEvent({ type: 'redis-error', message: redact(e.message, url) }));
  worker.on('failed', (job, err) => {
    if (!job || closing) return;
    finalFailure(job, err.message).catch(() => {});
  });
  const finalFailure = async (job: Job, error: string) => {
    const data = jobData.safeParse(job.data);
    if (!data.success) return;
    const final = (await job.getState()) === 'failed';
    onEvent({ type: 'failed', clip: data.data.rel, jobId: job.id!, error, final });
    if (!final) return;
    try {
      await withIndexLock(redis, data.data.out, () => {
        recordFailure(data.data, job.id!, error, job.attemptsMade);
        writeIndex(data.data.out);
      });
    } catch (err) {
      // OUT itself may be what failed: the error stays in the failed set.
      onEvent({ type: 'warning', message: `could not update ${data.data.out}/index.json: ${redact((err as Error).message, url)}` });
    }
  };
  void worker.run();
  await worker.waitUntilReady();
  onEvent({ type: 'ready' });

  return {
    close: async () => {
      closing = true;
      await Promise.all([...running.values()].map((c) => c.cancel()));
      // With Redis gone, close() would wait for it forever: the jobs' locks lapse anyway.
      await Promise.race([worker.close(), new Promise((r) => setTimeout(r, CLOSE_TIMEOUT_MS))]);
      await threads.close();
      redis.disconnect();
    },
  };
}
