import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeRedis } from '../../src/batch/connection.ts';

// A TCP server that accepts and never answers: the case a refused port cannot show, where only
// the probe's own timeout stops a hang. Needs no redis-server.
let silent: Server;
const sockets: Socket[] = [];
let port = 0;

beforeAll(async () => {
  silent = createServer((s) => { sockets.push(s); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe('probeRedis', () => {
  it('gives up on a server that never answers within its timeout, in one line with the URL masked', async () => {
    const started = Date.now();
    const err = await probeRedis(`redis://ops:Hidden-Pass-7@127.0.0.1:${port}`, { connectTimeoutMs: 800 }).catch((e: Error) => e);
    const ms = Date.now() - started;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`^cannot reach Redis at redis://\\*\\*\\*:\\*\\*\\*@127\\.0\\.0\\.1:${port}/?: .+$`));
    expect((err as Error).message).not.toContain('Hidden-Pass-7');
    expect(ms).toBeGreaterThanOrEqual(700);
    // The timeout, not the load of the machine, bounds it: a generous margin above 0.8 s.
    expect(ms).toBeLessThan(5_000);
  });

  it('refuses a URL that is not a Redis URL before connecting', async () => {
    await expect(probeRedis('http://127.0.0.1:6379')).rejects.toThrow(/redis/i);
  });
});
