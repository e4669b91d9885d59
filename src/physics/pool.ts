/**
 * A pool of worker threads running independent rollouts from snapshots in parallel.
 * Workers are TypeScript files, so they start with `--import tsx`. Jobs go to whichever
 * worker is free; results come back in request order and are bit-identical to
 * `runRollout` on the main thread (test/physics/pool.test.ts).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { HumanoidLayout } from './humanoid.ts';
import { runRollout, type RolloutResult, type RolloutSpec } from './rollout.ts';

export type WorkerRequest =
  | { type: 'layout'; layoutId: number; layout: HumanoidLayout }
  | { type: 'run'; id: number; layoutId: number; snapshot: Uint8Array; spec: RolloutSpec };
export type WorkerResponse = { id: number; result?: RolloutResult; error?: string; ready?: boolean };

export interface PoolOptions {
  /** Number of worker threads; 0 runs rollouts on the calling thread. */
  workers: number;
}

export const POOL_DEFAULTS: PoolOptions = { workers: availableParallelism() };

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  layouts: Set<number>;
  busy: boolean;
}

export class RolloutPool {
  private readonly slots: Slot[];
  private readonly layoutIds = new WeakMap<HumanoidLayout, number>();
  private nextLayoutId = 1;
  private nextJobId = 1;
  private readonly pending = new Map<number, { resolve: (r: RolloutResult) => void; reject: (e: Error) => void; slot: Slot }>();
  private readonly queue: Array<() => void> = [];
  private closed = false;

  constructor(options: Partial<PoolOptions> = {}) {
    const n = options.workers ?? POOL_DEFAULTS.workers;
    this.slots = Array.from({ length: Math.max(0, n) }, () => this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
    let markReady!: () => void;
    const slot: Slot = { worker, ready: new Promise<void>((r) => { markReady = r; }), layouts: new Set(), busy: false };
    worker.on('message', (msg: WorkerResponse) => {
      if (msg.ready) { markReady(); return; }
      const job = this.pending.get(msg.id);
      if (!job) return;
      this.pending.delete(msg.id);
      slot.busy = false;
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(msg.result!);
      this.queue.shift()?.();
    });
    worker.on('error', (e) => {
      for (const [id, job] of this.pending) if (job.slot === slot) { this.pending.delete(id); job.reject(e); }
    });
    worker.unref();
    return slot;
  }

  private layoutId(layout: HumanoidLayout): number {
    let id = this.layoutIds.get(layout);
    if (id === undefined) { id = this.nextLayoutId++; this.layoutIds.set(layout, id); }
    return id;
  }

  /** Runs one rollout on the first free worker. */
  async run(layout: HumanoidLayout, snapshot: Uint8Array, spec: RolloutSpec): Promise<RolloutResult> {
    if (this.closed) throw new Error('rollout pool is closed');
    if (this.slots.length === 0) return runRollout(layout, snapshot, spec);
    let slot = this.slots.find((s) => !s.busy);
    while (!slot) {
      await new Promise<void>((r) => this.queue.push(r));
      slot = this.slots.find((s) => !s.busy);
    }
    slot.busy = true;
    await slot.ready;
    const layoutId = this.layoutId(layout);
    if (!slot.layouts.has(layoutId)) {
      slot.worker.postMessage({ type: 'layout', layoutId, layout } satisfies WorkerRequest);
      slot.layouts.add(layoutId);
    }
    const id = this.nextJobId++;
    const chosen = slot;
    return new Promise<RolloutResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot: chosen });
      chosen.worker.postMessage({ type: 'run', id, layoutId, snapshot, spec } satisfies WorkerRequest);
    });
  }

  /** Runs many rollouts from one snapshot in parallel; results in input order. */
  runMany(layout: HumanoidLayout, snapshot: Uint8Array, specs: RolloutSpec[]): Promise<RolloutResult[]> {
    return Promise.all(specs.map((s) => this.run(layout, snapshot, s)));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
