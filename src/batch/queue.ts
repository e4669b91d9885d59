import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { clipOut, jobData, jobId, type JobData } from './job.ts';
import { updateManifest } from './manifest.ts';
import { writeIndex } from './batch-index.ts';

/** Where and how jobs are queued. */
export interface QueueOptions {
  /** BullMQ queue name: workers and submitters meet on it. */
  queue: string;
  /** Runs of a job before it lands in the failed set (bad input fails on the first). */
  attempts: number;
  /** First pause before a retry, ms (doubles each time). */
  backoffMs: number;
  /** Resubmitting a failed job runs it again (otherwise it stays failed). */
  retryFailed: boolean;
}

export const QUEUE_DEFAULTS: QueueOptions = { queue: 'optimus-motion', attempts: 3, backoffMs: 2000, retryFailed: false };

/** A queue whose errors (Redis away) are left to the connection's own masked handler. */
function openQueue(connection: Redis, name: string): Queue {
  const queue = new Queue(name, { connection });
  queue.on('error', () => {});
  return queue;
}

export type ClipState = 'queued' | 'active' | 'done' | 'failed';

/** BullMQ's states as the batch names them. */
export function clipState(state: string): ClipState {
  if (state === 'completed') return 'done';
  if (state === 'failed') return 'failed';
  if (state === 'active') return 'active';
  return 'queued';
}

export interface SubmitResult {
  added: number;
  /** Jobs already there (done, queued or running): not added again. */
  existing: number;
  retried: number;
}

/**
 * Enqueues one job per clip, with the job id of job.ts: a job already in Redis (in any state)
 * is left alone, so submitting a batch twice does no work twice.
 */
export async function submitJobs(connection: Redis, out: string, jobs: JobData[], options: Partial<QueueOptions> = {}): Promise<SubmitResult> {
  const o = { ...QUEUE_DEFAULTS, ...options };
  const ids = jobs.map(jobId);
  updateManifest(out, jobs.map((j, i) => ({ rel: j.rel, input: j.input, truth: j.truth, jobId: ids[i]! })));
  writeIndex(out);
  const queue = openQueue(connection, o.queue);
  const result: SubmitResult = { added: 0, existing: 0, retried: 0 };
  try {
    for (const [i, job] of jobs.entries()) {
      const id = ids[i]!;
      const state = await queue.getJobState(id);
      if (state === 'failed' && o.retryFailed) {
        await (await Job.fromId(queue, id))?.retry('failed');
        result.retried++;
      } else if (state !== 'unknown') {
        result.existing++;
      } else {
        await queue.add('reconstruct', job, {
          jobId: id, attempts: o.attempts, backoff: { type: 'exponential', delay: o.backoffMs },
          removeOnComplete: false, removeOnFail: false,
        });
        result.added++;
      }
    }
  } finally {
    await queue.close();
  }
  return result;
}

/** The shape `status --json` prints. */
export interface QueueStatus {
  queued: number;
  active: number;
  done: number;
  failed: number;
  jobs: Array<{ input: string; state: ClipState; out: string; error: string | null }>;
}

const QUEUED_TYPES = ['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;

/** Every job of the queue (optionally only these ids) and its state. */
export async function queueStatus(connection: Redis, queueName: string, only?: Set<string>): Promise<QueueStatus> {
  const queue = openQueue(connection, queueName);
  try {
    const status: QueueStatus = { queued: 0, active: 0, done: 0, failed: 0, jobs: [] };
    const groups: Array<[ClipState, readonly string[]]> = [['active', ['active']], ['queued', QUEUED_TYPES], ['failed', ['failed']], ['done', ['completed']]];
    for (const [state, types] of groups) {
      const jobs = (await queue.getJobs([...types] as Parameters<Queue['getJobs']>[0], 0, -1, true)) as Job[];
      for (const job of jobs) {
        if (!job?.id || (only && !only.has(job.id))) continue;
        const data = jobData.safeParse(job.data);
        if (!data.success) continue; // not a batch job
        status[state]++;
        status.jobs.push({
          input: data.data.input, state, out: clipOut(data.data),
          error: state === 'failed' ? job.failedReason ?? 'failed' : null,
        });
      }
    }
    return status;
  } finally {
    await queue.close();
  }
}

/** Polls until none of the jobs is queued or active; `onStatus` sees every poll. */
export async function waitForJobs(connection: Redis, queueName: string, only: Set<string> | undefined, onStatus: (s: QueueStatus) => void, pollMs = 1000): Promise<QueueStatus> {
  for (;;) {
    const s = await queueStatus(connection, queueName, only);
    onStatus(s);
    if (s.queued === 0 && s.active === 0) return s;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
