import { createReadStream, existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';

/**
 * The static server behind `optimus-motion view`: the built viewer at `/`, the
 * result folder under `/data/`, the source video at `/video`, and a manifest of
 * what the folder holds at `/api/manifest`. Loopback only; nothing outside the
 * folder (no `..`, no symlink leading out) is ever served, except the one source video
 * that keypoints.json records.
 */
export interface ViewServerOptions {
  /** Port; 0 picks a free one. */
  port?: number;
  /** Loopback address to bind: 127.0.0.1, ::1 or localhost. */
  host?: string;
  /** Folder holding the built viewer (index.html + assets). */
  viewerDir?: string;
  /** Source video to show; default: the keypoints.json source (a copy inside the folder, else where it was recorded), else the folder's only video file. */
  video?: string;
}

export const VIEW_DEFAULTS = {
  port: 8173,
  host: '127.0.0.1',
  viewerDir: resolve(dirname(fileURLToPath(import.meta.url)), '../../viewer/dist'),
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const RESULT_FILES = ['motion.json', 'keypoints.json', 'kinematic.json', 'truth.json', 'report.json', 'metrics.json'];
const VIDEO_EXT = new Set(['.mp4', '.webm', '.mov', '.m4v', '.ogv', '.mkv']);

export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.map': 'application/json; charset=utf-8',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
  '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8',
  '.bvh': 'text/plain; charset=utf-8', '.glb': 'model/gltf-binary',
  '.mp4': 'video/mp4', '.m4v': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime', '.ogv': 'video/ogg', '.mkv': 'video/x-matroska',
};

export interface ViewServer {
  url: string;
  port: number;
  server: Server;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

export async function startViewServer(dir: string, options: ViewServerOptions = {}): Promise<ViewServer> {
  const o = { ...VIEW_DEFAULTS, ...options };
  if (!LOOPBACK.has(o.host)) throw new UserError(`--host ${o.host}: the viewer serves your files on this machine only (use 127.0.0.1, ::1 or localhost)`);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: not a folder (give the output folder of reconstruct or synth)`);
  if (!existsSync(join(o.viewerDir, 'index.html'))) {
    throw new UserError(`the viewer is not built (${o.viewerDir}/index.html missing): run \`npm run build:viewer\``);
  }
  const root = realpathSync(dir);
  const viewerRoot = realpathSync(o.viewerDir);
  const video = findVideo(root, o.video);
  const manifest = {
    name: basename(root),
    files: RESULT_FILES.filter((f) => existsSync(join(root, f))),
    video: video ? { url: 'video', name: basename(video.path) } : null,
    videoExpected: video ? null : expectedVideoName(root),
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      send(res, 500, 'internal error');
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    // Refuse pages of other sites that resolve their name to 127.0.0.1 (DNS rebinding).
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (!LOOPBACK.has(host)) return send(res, 403, 'forbidden host');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(res, 400, 'bad path');
    }
    if (path.includes('\0')) return send(res, 400, 'bad path');
    if (path === '/api/manifest') return send(res, 200, JSON.stringify(manifest), { 'Content-Type': MIME_TYPES['.json']!, 'Cache-Control': 'no-store' });
    if (path === '/video') return video ? sendFile(req, res, video.path, video.path) : send(res, 404, 'no video');
    if (path.startsWith('/data/')) return serveInside(req, res, root, path.slice('/data/'.length), true);
    return serveInside(req, res, viewerRoot, path === '/' ? 'index.html' : path.slice(1), false);
  }

  function serveInside(req: IncomingMessage, res: ServerResponse, base: string, rel: string, noStore: boolean): void {
    const target = resolve(base, rel);
    if (!isInside(base, target)) return send(res, 403, 'outside the served folder');
    let real: string;
    try {
      real = realpathSync(target);
    } catch {
      return send(res, 404, 'not found');
    }
    if (!isInside(base, real)) return send(res, 403, 'outside the served folder');
    if (!statSync(real).isFile()) return send(res, 404, 'not found');
    sendFile(req, res, real, target, noStore ? { 'Cache-Control': 'no-store' } : {});
  }

  await listen(server, o.port, o.host, options.port !== undefined);
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = o.host === '::1' ? '[::1]' : o.host;
  return {
    url: `http://${hostInUrl}:${port}/`,
    port,
    server,
    close: () => new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}

/** Listens on the port; when the default port is busy, tries the next few. */
async function listen(server: Server, port: number, host: string, explicit: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(port + attempt, host, () => { server.off('error', fail); ok(); });
      });
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && !explicit && port !== 0 && attempt < 20) continue;
      if (code === 'EADDRINUSE') throw new UserError(`port ${port + attempt} is in use: choose another with --port`);
      throw new UserError(`cannot listen on ${host}:${port + attempt} (${code ?? (err as Error).message})`);
    }
  }
}

function isInside(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..'));
}

/** keypoints.json's record of its source: the path as given and, from newer ingests, resolved. */
function recordedSource(root: string): { path: string; resolvedPath?: string } | null {
  try {
    const kp = JSON.parse(readFileSync(join(root, 'keypoints.json'), 'utf8')) as { source?: { path?: unknown; resolvedPath?: unknown } };
    if (typeof kp.source?.path !== 'string') return null;
    return { path: kp.source.path, ...(typeof kp.source.resolvedPath === 'string' ? { resolvedPath: kp.source.resolvedPath } : {}) };
  } catch {
    return null;
  }
}

function expectedVideoName(root: string): string | null {
  const source = recordedSource(root);
  return source ? basename(source.path) : null;
}

/**
 * The video to show: the one given; else a copy of the keypoints' source inside the folder;
 * else that source where keypoints.json recorded it (its resolved path, or the path as given,
 * absolute or relative to the folder or to where `view` runs): that one video file, nothing
 * else outside the folder; else the folder's only video.
 */
function findVideo(root: string, explicit?: string): { path: string } | null {
  if (explicit) {
    if (!existsSync(explicit) || !statSync(explicit).isFile()) throw new UserError(`--video ${explicit}: file not found`);
    return { path: resolve(explicit) };
  }
  const source = recordedSource(root);
  const inside = source ? [join(root, basename(source.path))] : [];
  const videos = readdirSync(root).filter((f) => VIDEO_EXT.has(extname(f).toLowerCase()));
  const recorded = source && VIDEO_EXT.has(extname(source.path).toLowerCase())
    ? [source.resolvedPath, isAbsolute(source.path) ? source.path : null, resolve(root, source.path), resolve(source.path)]
    : [];
  const candidates: Array<{ path: string | null | undefined; mustBeInside: boolean }> = [
    ...inside.map((path) => ({ path, mustBeInside: true })),
    ...recorded.map((path) => ({ path, mustBeInside: false })),
    ...(videos.length === 1 ? [{ path: join(root, videos[0]!), mustBeInside: true }] : []),
  ];
  for (const c of candidates) {
    if (!c.path) continue;
    try {
      const real = realpathSync(c.path);
      if ((!c.mustBeInside || isInside(root, real)) && VIDEO_EXT.has(extname(real).toLowerCase()) && statSync(real).isFile()) return { path: real };
    } catch { /* not there */ }
  }
  return null;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

/** Sends a file, honouring a single `Range: bytes=…` (videos seek with these). */
function sendFile(req: IncomingMessage, res: ServerResponse, path: string, name: string, extra: Record<string, string> = {}): void {
  const size = statSync(path).size;
  const headers: Record<string, string | number> = {
    'Content-Type': MIME_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes', 'X-Content-Type-Options': 'nosniff', ...extra,
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!m || (m[1] === '' && m[2] === '')) return send(res, 416, 'bad range', { 'Content-Range': `bytes */${size}` });
    if (m[1] === '') {
      start = Math.max(0, size - Number(m[2]));
    } else {
      start = Number(m[1]);
      if (m[2] !== '') end = Math.min(end, Number(m[2]));
    }
    if (start >= size || start > end) return send(res, 416, 'range not satisfiable', { 'Content-Range': `bytes */${size}` });
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) return void res.end();
  createReadStream(path, { start, end }).on('error', () => res.destroy()).pipe(res);
}
