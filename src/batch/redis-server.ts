import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { maskUrl } from './redis-url.ts';

/**
 * A private redis-server (Debian's package) on a free loopback port with its data in a
 * temporary folder: the batch benchmark and tests run against it, and it can be restarted
 * with its data kept (append-only file), as an operator's restart would.
 */
export interface LocalRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM: it saves its data) and starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function startLocalRedis(options: { password?: string } = {}): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'om-redis-'));
  const port = await freePort();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const url = `redis://${auth}127.0.0.1:${port}`;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no',
    ...(options.password ? ['--requirepass', options.password] : [])];
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForPing(url, 10_000);
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url, port,
    restart: async (downMs = 1000) => {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${maskUrl(url)}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      c.disconnect();
    }
  }
}
