import { Redis } from 'ioredis';
import { UserError } from '../errors.ts';
import { maskUrl, parseRedisUrl, redact } from './redis-url.ts';

/** How the batch talks to Redis. */
export interface ConnectionOptions {
  /** Give up reaching Redis at start after this long, ms: an unreachable server is an error, not a hang. */
  connectTimeoutMs: number;
  /** Longest pause between reconnection attempts once running, ms (a restarted Redis is found again). */
  maxReconnectDelayMs: number;
}

export const CONNECTION_DEFAULTS: ConnectionOptions = { connectTimeoutMs: 5000, maxReconnectDelayMs: 2000 };

/**
 * Connects once, pings and reads INFO, failing within the timeout with one line naming the
 * (masked) URL: unreachable, wrong password, or an ACL user without the commands BullMQ needs. Queues and workers then get `connect`'s clients, which reconnect forever: a Redis
 * restart during a batch is waited out, not fatal.
 */
export async function probeRedis(url: string, options: Partial<ConnectionOptions> = {}): Promise<void> {
  const o = { ...CONNECTION_DEFAULTS, ...options };
  parseRedisUrl(url);
  const client = new Redis(url, {
    lazyConnect: true, connectTimeout: o.connectTimeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false,
    retryStrategy: () => null, enableReadyCheck: false,
  });
  let lastError = '';
  client.on('error', (e: Error) => { lastError = e.message; });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${o.connectTimeoutMs / 1000} s`)), o.connectTimeoutMs);
    });
    // BullMQ reads INFO (the server version): an ACL user without it fails here, in one line.
    await Promise.race([client.connect().then(() => client.ping()).then(() => client.info('server')), timeout]);
  } catch (err) {
    // The client's own error (e.g. WRONGPASS) says more than the "Connection is closed" that follows it.
    const reason = redact(lastError || (err as Error).message || String(err), url);
    throw new UserError(`${/NOPERM|WRONGPASS|NOAUTH/.test(reason) ? 'cannot use' : 'cannot reach'} Redis at ${maskUrl(url)}: ${reason}`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * A client for BullMQ (which needs `maxRetriesPerRequest: null`). Errors while Redis is away
 * go to `onError`, masked, instead of ioredis' unhandled-error output.
 */
export function connect(url: string, onError: (message: string) => void, options: Partial<ConnectionOptions> = {}): Redis {
  const o = { ...CONNECTION_DEFAULTS, ...options };
  const client = new Redis(url, {
    maxRetriesPerRequest: null, connectTimeout: o.connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(100 * times, o.maxReconnectDelayMs),
  });
  client.on('error', (e: Error) => onError(redact(e.message, url)));
  return client;
}
