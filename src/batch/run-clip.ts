import { Worker } from 'node:worker_threads';
import { typescriptThreadSource } from '../ts-thread.ts';
import type { JobData } from './job.ts';

/** What a clip thread reports. */
export type ClipMessage =
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'done'; frames: number; seconds: number }
  | { type: 'error'; message: string; user: boolean };

export interface ClipResult {
  frames: number;
  /** Wall-clock seconds of this run of the clip. */
  seconds: number;
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

/** The clip runs in a TypeScript thread (clip-thread.ts). */
const BOOTSTRAP = typescriptThreadSource(new URL('./clip-thread.ts', import.meta.url));

/** Runs one clip's reconstruction in a worker thread. */
export function runClip(job: JobData, onProgress: (stage: string, done: number, total: number) => void = () => {}): RunningClip {
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { job } });
  let settled = false;
  let cancelled: () => void = () => {};
  const result = new Promise<ClipResult>((resolve, reject) => {
    cancelled = () => reject(new ClipError('cancelled', false));
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      // The pipeline may leave timers or pools behind; the result is on disk, end the thread.
      void worker.terminate();
    };
    worker.on('message', (m: ClipMessage) => {
      if (m.type === 'progress') onProgress(m.stage, m.done, m.total);
      else if (m.type === 'done') finish(() => resolve({ frames: m.frames, seconds: m.seconds }));
      else finish(() => reject(new ClipError(m.message, m.user)));
    });
    worker.on('error', (err) => finish(() => reject(new ClipError(err.message, false))));
    worker.on('exit', (code) => finish(() => reject(new ClipError(`clip thread exited (code ${code}) before finishing`, false))));
  });
  return {
    result,
    cancel: async () => {
      if (!settled) {
        settled = true;
        cancelled();
      }
      await worker.terminate();
    },
  };
}
