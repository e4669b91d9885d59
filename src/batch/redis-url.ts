import { UserError } from '../errors.ts';

/**
 * Redis URLs carry credentials (`redis://user:pass@host:port/db`, `rediss://` for TLS).
 * Everything the batch prints or writes names a URL through `maskUrl`, and error texts
 * from the client pass through `redact`, so a password never reaches a log or a file.
 */

/** Checks the scheme and returns the URL unchanged; anything else is one clear line. */
export function parseRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--redis: not a URL: ${maskUrl(url)} (expected redis://[user:pass@]host:port[/db] or rediss://…)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UserError(`--redis: unsupported scheme "${u.protocol}" in ${maskUrl(url)} (use redis:// or rediss:// for TLS)`);
  }
  return url;
}

/** The URL with its user name and password replaced by `***`. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '***';
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not a URL: hide anything between "//" and "@" that could be credentials.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** A text with the URL's credentials (raw and percent-decoded) and the URL itself masked. */
export function redact(text: string, url: string): string {
  let out = text.split(url).join(maskUrl(url));
  try {
    const u = new URL(url);
    for (const secret of [u.password, decodeURIComponent(u.password), u.username, decodeURIComponent(u.username)]) {
      // Very short secrets would mask ordinary words; they are masked in the URL form above.
      if (secret.length >= 4) out = out.split(secret).join('***');
    }
  } catch {
    // not a URL: nothing more to hide than the URL itself
  }
  return out;
}
