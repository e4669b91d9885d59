import { Worker } from 'node:worker_threads';
import { typescriptThreadSource } from '../ts-thread.ts';
import type { JobData } from './job.ts';

/** What a clip thread is asked to do: one clip. */
export interface ClipRequest {
  job: JobData;
}

/** What a clip thread reports. */
export type ClipMessage =
  | { type: 'ready' }
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'done'; frames: number; seconds: number; cpuSeconds: number | null }
  | { type: 'error'; message: string; user: boolean };

export interface ClipResult {
  frames: number;
  /** Wall-clock seconds of this run of the clip. */
  seconds: number;
  /** CPU seconds of the clip's thread for this run (null where unknown). */
  cpuSeconds: number | null;
}

/** A clip that failed; `user` marks bad input (retrying cannot help). */
export class ClipError extends Error {
  constructor(message: string, readonly user: boolean) {
    super(message);
    this.name = 'ClipError';
  }
}

export interface RunningClip {
  result: Promise<ClipResult>;
  /** Stops the clip now (its checkpoints stay for the next attempt). */
  cancel(): Promise<void>;
}

export interface ClipThreadOptions {
  /**
   * Clips one thread runs before a fresh thread replaces it: bounds whatever memory clips leave
   * behind, at the price of one thread start (module loading, wasm, compiled code) per this many clips.
   */
  clipsPerThread: number;
}

export const CLIP_THREAD_DEFAULTS: ClipThreadOptions = { clipsPerThread: 25 };

/** The clips run in a TypeScript thread (clip-thread.ts). */
const BOOTSTRAP = typescriptThreadSource(new URL('./clip-thread.ts', import.meta.url));

interface Run {
  worker: Worker;
  onMessage(m: ClipMessage): void;
  onGone(reason: string): void;
}

/**
 * One clip at a time in a thread kept from clip to clip, so a clip pays for its work and not
 * for loading the pipeline again. A thread that failed, was cancelled or has run
 * `clipsPerThread` clips is ended; the next clip starts a fresh one.
 */
export class ClipThread {
  private worker: Worker | null = null;
  private runs = 0;
  private active: Run | null = null;
  private readonly o: ClipThreadOptions;

  constructor(options: Partial<ClipThreadOptions> = {}) {
    this.o = { ...CLIP_THREAD_DEFAULTS, ...options };
  }

  get busy(): boolean {
    return this.active !== null;
  }

  /** The thread that runs (or will run) the next clip; null until one is started. */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /**
   * Starts the thread now and resolves once it has loaded the pipeline (rejects if it cannot):
   * a long-running worker pays this at start instead of in its first clip.
   */
  start(): Promise<void> {
    const worker = this.thread();
    return new Promise<void>((resolve, reject) => {
      const done = () => { worker.off('message', onMessage); worker.off('exit', onExit); worker.unref(); };
      const onMessage = (m: ClipMessage) => { if (m.type === 'ready') { done(); resolve(); } };
      const onExit = (code: number) => { done(); reject(new Error(`clip thread exited (code ${code}) while starting`)); };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  }

  run(job: JobData, onProgress: (stage: string, done: number, total: number) => void = () => {}): RunningClip {
    if (this.active) throw new Error('clip thread: a clip is already running');
    const worker = this.thread();
    worker.ref();
    let settled = false;
    let cancelled: () => void = () => {};
    const result = new Promise<ClipResult>((resolve, reject) => {
      const finish = (keep: boolean, f: () => void) => {
        if (settled) return;
        settled = true;
        this.active = null;
        if (keep && ++this.runs < this.o.clipsPerThread) worker.unref();
        else void this.retire(worker);
        f();
      };
      cancelled = () => finish(false, () => reject(new ClipError('cancelled', false)));
      this.active = {
        worker,
        onMessage: (m) => {
          if (m.type === 'ready') return;
          if (m.type === 'progress') onProgress(m.stage, m.done, m.total);
          else if (m.type === 'done') finish(true, () => resolve({ frames: m.frames, seconds: m.seconds, cpuSeconds: m.cpuSeconds }));
          // Bad input leaves the thread as it was; any other failure may not have.
          else finish(m.user, () => reject(new ClipError(m.message, m.user)));
        },
        onGone: (reason) => finish(false, () => reject(new ClipError(reason, false))),
      };
    });
    worker.postMessage({ job } satisfies ClipRequest);
    return {
      result,
      cancel: async () => {
        cancelled();
        await this.retire(worker);
      },
    };
  }

  /** Ends the thread (a running clip is cancelled). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.active?.onGone('cancelled');
    if (worker) await this.retire(worker);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(BOOTSTRAP, { eval: true });
    // A retired thread's last events must not reach the next clip's run.
    const mine = () => (this.active?.worker === worker ? this.active : null);
    worker.on('message', (m: ClipMessage) => mine()?.onMessage(m));
    worker.on('error', (err) => { this.forget(worker); mine()?.onGone(err.message); });
    worker.on('exit', (code) => { this.forget(worker); mine()?.onGone(`clip thread exited (code ${code}) before finishing`); });
    this.worker = worker;
    this.runs = 0;
    return worker;
  }

  private forget(worker: Worker): void {
    if (this.worker === worker) this.worker = null;
  }

  private async retire(worker: Worker): Promise<void> {
    this.forget(worker);
    await worker.terminate();
  }
}

/** Clip threads for up to `concurrency` clips at once, each kept for the next clip. */
export class ClipThreadPool {
  private readonly idle: ClipThread[] = [];
  private readonly all = new Set<ClipThread>();

  constructor(private readonly options: Partial<ClipThreadOptions> = {}) {}

  /** Starts `count` threads (see ClipThread.start). */
  async start(count: number): Promise<void> {
    const threads = Array.from({ length: count }, () => new ClipThread(this.options));
    for (const t of threads) this.all.add(t);
    this.idle.push(...threads);
    await Promise.all(threads.map((t) => t.start()));
  }

  run(job: JobData, onProgress?: (stage: string, done: number, total: number) => void): RunningClip {
    const thread = this.idle.pop() ?? new ClipThread(this.options);
    this.all.add(thread);
    const running = thread.run(job, onProgress);
    void running.result.then(() => this.idle.push(thread), () => this.idle.push(thread));
    return running;
  }

  async close(): Promise<void> {
    await Promise.all([...this.all].map((t) => t.close()));
    this.all.clear();
    this.idle.length = 0;
  }
}
