/**
 * A pool of worker threads running batches of independent rollouts from one snapshot in
 * parallel, deterministically: results come back in input order and are bit-identical to
 * running the same rollouts on the calling thread (test/physics/pool.test.ts).
 *
 * Two ways to wait for a batch, same workers, same results:
 * - `await pool.runBatch(layout, snapshot, specs)` from async code;
 * - `pool.runBatchSync(layout, snapshot, specs)` from synchronous code — e.g. a
 *   finite-difference gradient inside a synchronous `Objective.valueAndGrad` — blocking the
 *   calling thread in `Atomics.wait` (allowed on Node's main thread) until the workers are done.
 *   Create such a pool with `await createSyncRolloutPool({ workers })` (it waits for the workers
 *   to load Rapier, so the first batch does not pay for it).
 * Protocol (message per worker per batch, shared claim counter, shared done counter): pool-protocol.ts.
 * Free the workers with `await pool.close()` or `pool.free()`; idle workers never keep the process alive.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { typescriptThreadSource } from '../ts-thread.ts';
import type { HumanoidLayout } from './humanoid.ts';
import { loadRapier, type Rapier } from './rapier.ts';
import type { RolloutResult, RolloutSpec } from './rollout.ts';
import type { ControlledResult, ControlledSpec } from './controller.ts';
import { runSpec, type PoolResult, type PoolSpec } from './run-spec.ts';
import { CTL, CTL_SLOTS, claimWord, linuxThreadId, type BatchMessage, type WorkerInit, type WorkerReply } from './pool-protocol.ts';

export interface PoolOptions {
  /** Number of worker threads; 0 runs rollouts on the calling thread. */
  workers: number;
  /** Give up on a batch (or on starting the workers) after this long, ms: a stuck worker becomes an error, not a hang. */
  timeoutMs: number;
}

export const POOL_DEFAULTS: PoolOptions = { workers: availableParallelism(), timeoutMs: 10 * 60_000 };

/** Workers are TypeScript (worker.ts); a failed start is reported through shared memory, because the main thread may be blocked. */
const WORKER_BOOTSTRAP = typescriptThreadSource(new URL('./worker.ts', import.meta.url),
  `.catch((e) => import('node:worker_threads').then(({ workerData: d }) => {` +
  ` d.port.postMessage({ bootError: String((e && e.stack) || e) });` +
  ` const c = new Int32Array(d.control); Atomics.add(c, ${CTL.failed}, 1); Atomics.notify(c, ${CTL.ready}); }))`);

interface Slot {
  worker: Worker;
  port: MessagePort;
  layouts: Set<number>;
}

export class RolloutPool {
  private readonly slots: Slot[];
  private readonly control = new Int32Array(new SharedArrayBuffer(CTL_SLOTS * 4));
  private readonly claim = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly tids: Int32Array;
  private readonly layoutIds = new WeakMap<HumanoidLayout, number>();
  private readonly timeoutMs: number;
  private nextLayoutId = 1;
  private gen = 0;
  /** Main-thread Rapier, for pools of 0 workers. */
  private R: Rapier | null = null;
  private started = false;
  private busy = false;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: Partial<PoolOptions> = {}) {
    const o = { ...POOL_DEFAULTS, ...options };
    this.timeoutMs = o.timeoutMs;
    this.tids = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, Math.floor(o.workers))));
    this.slots = Array.from({ length: Math.max(0, Math.floor(o.workers)) }, (_, i) => this.spawn(i));
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Linux thread ids of the threads that run this pool's rollouts (the workers once started, or
   * the calling thread for 0 workers), for per-thread accounting in /proc; 0 where unknown.
   */
  threadIds(): number[] {
    return this.slots.length === 0 ? [linuxThreadId()] : Array.from(this.tids.slice(0, this.slots.length));
  }

  private spawn(index: number): Slot {
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = { control: this.control.buffer as SharedArrayBuffer, claim: this.claim.buffer as SharedArrayBuffer,
      threadIds: this.tids.buffer as SharedArrayBuffer, index, port: port2 };
    const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: init, transferList: [port2] });
    // Errors reach the main thread through shared memory (CTL.failed / CTL.exited); keep Node from throwing them here too.
    worker.on('error', () => {});
    worker.unref();
    port1.unref();
    return { worker, port: port1, layouts: new Set() };
  }

  private checkWorkers(): void {
    if (this.closed) throw new Error('rollout pool was closed while waiting for its workers');
    if (Atomics.load(this.control, CTL.failed) > 0) {
      for (const s of this.slots) {
        for (let m = receiveMessageOnPort(s.port); m; m = receiveMessageOnPort(s.port)) {
          const reply = m.message as WorkerReply;
          if ('bootError' in reply) throw new Error(`rollout worker failed to start: ${reply.bootError}`);
        }
      }
      throw new Error('rollout worker failed to start');
    }
    if (Atomics.load(this.control, CTL.exited) > 0) throw new Error('a rollout worker exited unexpectedly');
  }

  /** Sleeps on control[index] until it reaches `target`, checking worker health and the timeout. */
  private waitUntilSync(index: number, target: number, what: string): void {
    const t0 = performance.now();
    for (let v = Atomics.load(this.control, index); v < target; v = Atomics.load(this.control, index)) {
      this.checkWorkers();
      if (performance.now() - t0 > this.timeoutMs) throw new Error(`rollout pool: ${what} timed out after ${this.timeoutMs} ms`);
      Atomics.wait(this.control, index, v, 200);
    }
    this.checkWorkers();
  }

  private async waitUntil(index: number, target: number, what: string): Promise<void> {
    const t0 = performance.now();
    const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;
    for (let v = Atomics.load(this.control, index); v < target; v = Atomics.load(this.control, index)) {
      this.checkWorkers();
      if (performance.now() - t0 > this.timeoutMs) throw new Error(`rollout pool: ${what} timed out after ${this.timeoutMs} ms`);
      const r = waitAsync(this.control, index, v, 200);
      if (r.async) await r.value;
    }
    this.checkWorkers();
  }

  /** Resolves when every worker has loaded Rapier (for 0 workers: when this thread has). */
  async ready(): Promise<void> {
    if (this.started) return;
    if (this.slots.length === 0) this.R = await loadRapier();
    else {
      for (const s of this.slots) s.worker.ref();
      try {
        await this.waitUntil(CTL.ready, this.slots.length, 'worker start-up');
      } finally {
        for (const s of this.slots) s.worker.unref();
      }
    }
    this.started = true;
  }

  private layoutId(layout: HumanoidLayout): number {
    let id = this.layoutIds.get(layout);
    if (id === undefined) { id = this.nextLayoutId++; this.layoutIds.set(layout, id); }
    return id;
  }

  /** Posts the batch to every worker and wakes them; returns its generation. */
  private post(layout: HumanoidLayout, snapshot: Uint8Array, specs: PoolSpec[]): number {
    const gen = ++this.gen;
    const layoutId = this.layoutId(layout);
    for (const s of this.slots) {
      const first = !s.layouts.has(layoutId);
      const msg: BatchMessage = { gen, layoutId, snapshot, specs, ...(first ? { layout } : {}) };
      s.port.postMessage(msg);
      s.layouts.add(layoutId);
    }
    // Counters first, generation last: a worker that sees the new generation sees a fresh batch.
    Atomics.store(this.control, CTL.done, 0);
    Atomics.store(this.claim, 0, claimWord(gen, 0));
    Atomics.store(this.control, CTL.gen, gen);
    Atomics.notify(this.control, CTL.gen);
    return gen;
  }

  /** Reads the batch's results off the worker ports (all are posted before `done` counts them). */
  private collect(gen: number, count: number): PoolResult[] {
    const results: Array<PoolResult | undefined> = new Array(count);
    const errors: string[] = [];
    let got = 0;
    for (let spins = 0; got < count; spins++) {
      for (const s of this.slots) {
        for (let m = receiveMessageOnPort(s.port); m; m = receiveMessageOnPort(s.port)) {
          const reply = m.message as WorkerReply;
          if ('bootError' in reply || reply.gen !== gen) continue;
          got++;
          if ('error' in reply) errors.push(`rollout ${reply.index}: ${reply.error}`);
          else results[reply.index] = reply.result;
        }
      }
      if (got < count) {
        if (spins > 10_000) throw new Error(`rollout pool: ${count - got} results of batch ${gen} never arrived`);
        Atomics.wait(this.control, CTL.stop, 0, 1);
      }
    }
    if (errors.length) throw new Error(errors.length === 1 ? errors[0]! : `${errors.length} rollouts failed; first: ${errors[0]}`);
    return results as PoolResult[];
  }

  private checkUsable(): void {
    if (this.closed) throw new Error('rollout pool is closed');
    if (this.busy) throw new Error('rollout pool: a batch is already running (batches of one pool run one at a time)');
  }

  /**
   * Runs rollouts from one snapshot, blocking this thread until they are done; results in input
   * order. Needs a started pool (`createSyncRolloutPool`, or `await pool.ready()`).
   */
  runBatchSync(layout: HumanoidLayout, snapshot: Uint8Array, specs: RolloutSpec[]): RolloutResult[];
  runBatchSync(layout: HumanoidLayout, snapshot: Uint8Array, specs: ControlledSpec[]): ControlledResult[];
  runBatchSync(layout: HumanoidLayout, snapshot: Uint8Array, specs: PoolSpec[]): PoolResult[];
  runBatchSync(layout: HumanoidLayout, snapshot: Uint8Array, specs: PoolSpec[]): PoolResult[] {
    this.checkUsable();
    if (specs.length === 0) return [];
    if (this.slots.length === 0) {
      if (!this.R) throw new Error('rollout pool: not started (await pool.ready() or use createSyncRolloutPool)');
      return specs.map((s) => runSpec(this.R!, layout, snapshot, s));
    }
    this.busy = true;
    try {
      this.waitUntilSync(CTL.ready, this.slots.length, 'worker start-up');
      this.started = true;
      const gen = this.post(layout, snapshot, specs);
      this.waitUntilSync(CTL.done, specs.length, `batch of ${specs.length} rollouts`);
      return this.collect(gen, specs.length);
    } finally {
      this.busy = false;
    }
  }

  /** Runs rollouts from one snapshot in parallel; results in input order. Concurrent calls queue. */
  runBatch(layout: HumanoidLayout, snapshot: Uint8Array, specs: RolloutSpec[]): Promise<RolloutResult[]>;
  runBatch(layout: HumanoidLayout, snapshot: Uint8Array, specs: ControlledSpec[]): Promise<ControlledResult[]>;
  runBatch(layout: HumanoidLayout, snapshot: Uint8Array, specs: PoolSpec[]): Promise<PoolResult[]>;
  runBatch(layout: HumanoidLayout, snapshot: Uint8Array, specs: PoolSpec[]): Promise<PoolResult[]> {
    const run = async (): Promise<PoolResult[]> => {
      if (this.closed) throw new Error('rollout pool is closed');
      await this.ready();
      if (specs.length === 0) return [];
      if (this.slots.length === 0) return specs.map((s) => runSpec(this.R!, layout, snapshot, s));
      this.checkUsable();
      this.busy = true;
      for (const s of this.slots) s.worker.ref(); // a running batch keeps the process alive
      try {
        const gen = this.post(layout, snapshot, specs);
        await this.waitUntil(CTL.done, specs.length, `batch of ${specs.length} rollouts`);
        return this.collect(gen, specs.length);
      } finally {
        for (const s of this.slots) s.worker.unref();
        this.busy = false;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Runs one rollout (a batch of one). */
  async run(layout: HumanoidLayout, snapshot: Uint8Array, spec: RolloutSpec): Promise<RolloutResult> {
    return (await this.runBatch(layout, snapshot, [spec]))[0]!;
  }

  /** Stops the workers without waiting for them to exit. */
  free(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, CTL.stop, 1);
    Atomics.add(this.control, CTL.gen, 1);
    Atomics.notify(this.control, CTL.gen);
    for (const s of this.slots) { s.port.close(); void s.worker.terminate(); }
  }

  /** Stops the workers and waits until they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    const exits = this.slots.map((s) => new Promise<void>((r) => {
      if (s.worker.threadId < 0) r(); else s.worker.once('exit', () => r());
    }));
    this.free();
    await Promise.all(exits);
  }
}

/** A pool whose workers have started, ready for `runBatchSync` (and `runBatch`). */
export async function createSyncRolloutPool(options: Partial<PoolOptions> = {}): Promise<RolloutPool> {
  const pool = new RolloutPool(options);
  try {
    await pool.ready();
  } catch (e) {
    pool.free();
    throw e;
  }
  return pool;
}
