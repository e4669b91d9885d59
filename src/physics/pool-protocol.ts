/**
 * How the rollout pool (pool.ts) and its workers (worker.ts) talk. Batches, not single jobs:
 * the main thread posts one message per worker per batch (layout the first time, the snapshot,
 * every spec), then bumps a generation counter in shared memory and wakes the workers. Workers
 * claim task indices from one shared atomic counter (work stealing: whoever is free takes the
 * next task, so a slow or descheduled worker never holds the batch up by more than one task),
 * post each result with its buffers transferred, and count it in a shared `done` counter that
 * the main thread waits on — with `Atomics.wait` (synchronous callers) or `Atomics.waitAsync`.
 */
import { readlinkSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import type { HumanoidLayout } from './humanoid.ts';
import type { PoolResult, PoolSpec } from './run-spec.ts';

/** Slots of the shared Int32Array `control`. */
export const CTL = {
  /** Batch generation; workers sleep on it between batches. */
  gen: 0,
  /** Tasks of the current batch finished (results posted). */
  done: 1,
  /** Workers that loaded Rapier and wait for batches. */
  ready: 2,
  /** A worker failed to start (its port holds `{ bootError }`). */
  failed: 3,
  /** Workers leave their loop. */
  stop: 4,
  /** Workers that exited (the main thread stops waiting for them). */
  exited: 5,
} as const;
export const CTL_SLOTS = 8;

/**
 * The claim counter is a BigInt64 holding (generation << 32) | next task index: a worker that
 * wakes late and still holds an old generation cannot take a task of the next batch.
 */
export const claimWord = (gen: number, index: number): bigint => (BigInt(gen) << 32n) | BigInt(index);

export interface WorkerInit {
  /** SharedArrayBuffer of CTL_SLOTS Int32 slots. */
  control: SharedArrayBuffer;
  /** SharedArrayBuffer of one BigInt64 (see claimWord). */
  claim: SharedArrayBuffer;
  /** SharedArrayBuffer of one Int32 per worker: its Linux thread id, written at start (0 elsewhere). */
  threadIds: SharedArrayBuffer;
  index: number;
  /** This worker's end of its channel to the pool (batches in, results out; transferred). */
  port: MessagePort;
}

export interface BatchMessage {
  gen: number;
  layoutId: number;
  /** Sent the first time a worker sees this layout id. */
  layout?: HumanoidLayout;
  snapshot: Uint8Array;
  specs: PoolSpec[];
}

/** This thread's Linux thread id (from /proc/thread-self), or 0 where there is none. */
export function linuxThreadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || 0;
  } catch {
    return 0;
  }
}

export type WorkerReply =
  | { gen: number; index: number; result: PoolResult }
  | { gen: number; index: number; error: string }
  | { bootError: string };
