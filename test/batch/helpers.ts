import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthToDirectory } from '../../src/eval/synth.ts';
import { redisServerAvailable } from '../../src/batch/redis-server.ts';
import { PROJECT_ROOT } from '../helpers/shared-data.ts';

const BIN = join(PROJECT_ROOT, 'bin/optimus-motion.mjs');

/** Debian's redis-server is installed by .ci/run; without it the Redis tests say so and skip. */
export const HAVE_REDIS = redisServerAvailable();
if (!HAVE_REDIS) console.warn('[skip] redis-server not found (apt-get install redis-server): batch tests against Redis are skipped');

/** A synthetic clip (keypoints.json + truth.json) of the project's own demo squat. */
export function synthClip(dir: string, seconds: number, seed = 0): string {
  mkdirSync(dir, { recursive: true });
  return synthToDirectory(join(PROJECT_ROOT, 'data/demo-squat.bvh'), dir, { seconds, seed }).keypointsPath;
}

/** A keypoints file that is valid JSON with the right tag but no content: reconstruct refuses it. */
export function badClip(path: string): string {
  writeFileSync(path, JSON.stringify({ format: 'optimus-motion/keypoints@1', frames: [] }));
  return path;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI to its end. */
export function cli(args: string[], timeoutMs = 120_000): Promise<CliRun> {
  const started = Date.now();
  const p = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => { stdout += d; });
  p.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => p.on('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr, ms: Date.now() - started });
  }));
}

/** A CLI process left running (a worker); its output accumulates in `log`. */
export function spawnCli(args: string[]): { proc: ChildProcess; log: () => string } {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  return { proc, log: () => out };
}

export async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  return exited;
}

/** Quick settings: the queue is under test here, not the reconstruction. */
export const FAST = ['--no-physics', '--kinematic-iterations', '20', '--exports', 'none', '--no-check-sheet', '--quiet'];
