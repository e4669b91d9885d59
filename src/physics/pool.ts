/**
 * A pool of worker threads running independent rollouts from snapshots in parallel.
 * Workers are TypeScript files run through tsx (see workerBootstrap). Jobs go to whichever
 * worker is free; results come back in request order and are bit-identical to
 * `runRollout` on the main thread (test/physics/pool.test.ts).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
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

/**
 * Workers are TypeScript: `execArgv: ['--import', 'tsx']` does not register tsx's loader in a
 * worker on Node 20, so a tiny bootstrap registers it through tsx's API, then imports worker.ts.
 */
function workerBootstrap(): string {
  let api = 'tsx/esm/api';
  try {
    // require.resolve finds the CommonJS entry; the ESM one sits beside it.
    api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  } catch {
    // fall back to bare resolution from the working directory
  }
  const worker = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); })`;
}
const WORKER_BOOTSTRAP = workerBootstrap();

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  layouts: Set<number>;
  busy: boolean;
  failed?: Error;
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
    const worker = new Worker(WORKER_BOOTSTRAP, { eval: true });
    let markReady!: () => void;
    const slot: Slot = { worker, ready: new Promise<void>((r) => { markReady = r; }), layouts: new Set(), busy: false };
    worker.on('message', (msg: WorkerResponse) => {
      if (msg.ready) { markReady(); return; }
      const job = this.pending.get(msg.id);
      if (!job) return;
      this.pending.delete(msg.id);
      slot.busy = false;
      worker.unref(); // idle workers must not keep the process alive
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(msg.result!);
      this.queue.shift()?.();
    });
    const fail = (e: Error): void => {
      slot.failed = e;
      markReady();
      for (const [id, job] of this.pending) if (job.slot === slot) { this.pending.delete(id); job.reject(e); }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => { if (!this.closed) fail(new Error(`rollout worker exited with code ${code}`)); });
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
    slot.worker.ref();
    await slot.ready;
    if (slot.failed) throw slot.failed;
    const layoutId = this.layoutId(layout);
    if (!slot.layouts.has(layoutId)) {
      slot.worker.postMessage({ type: 'layout', layoutId, layout } satisfies WorkerRequest);
      slot.layouts.add(layoutId);
    }
    const id = this.nextJobId++;
    const chosen = slot;
    chosen.worker.ref();
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
