import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { digest } from '../reconstruct/stage-stamp.ts';

/** How long a writer may hold the index (ms) before another may take it over. */
const LOCK_MS = 30_000;
/** Give up waiting after this long and write anyway: a late index beats none. */
const WAIT_MS = 60_000;

/** Deletes the lock only if it is still ours. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Workers on several machines rebuild the same OUT/index.json; a lock in Redis (keyed by
 * OUT) makes them take turns, so the last rebuild sees every finished clip.
 */
export async function withIndexLock<T>(redis: Redis, out: string, fn: () => T): Promise<T> {
  const key = `optimus-motion:index-lock:${digest(out)}`;
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + WAIT_MS;
  while ((await redis.set(key, token, 'PX', LOCK_MS, 'NX')) !== 'OK' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    return fn();
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
