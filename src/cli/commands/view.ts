import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { positiveInt } from '../parse.ts';
import { startViewServer, VIEW_DEFAULTS } from '../view-server.ts';

export function registerView(program: Command): void {
  program
    .command('view')
    .description('open a result folder (motion.json, keypoints.json, truth.json, kinematic.json, video) in the 3D viewer on localhost')
    .argument('<dir>', 'result folder written by reconstruct or synth')
    .option('-p, --port <port>', `port (default ${VIEW_DEFAULTS.port}, or the next free one)`, positiveInt('--port'))
    .option('--host <host>', 'loopback address to bind (127.0.0.1, ::1, localhost)', VIEW_DEFAULTS.host)
    .option('--video <file>', 'source video to show beside the 3D view (default: the keypoints source found in DIR)')
    .option('--open', 'open the viewer in the default browser')
    .action(async (dir: string, opts: { port?: number; host: string; video?: string; open?: boolean }) => {
      const server = await startViewServer(dir, { port: opts.port, host: opts.host, video: opts.video });
      process.stdout.write(`optimus-motion viewer: ${server.url}  (serving ${dir}; Ctrl-C to stop)\n`);
      if (opts.open) openBrowser(server.url);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(() => { process.stdout.write('viewer stopped\n'); done(); });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  try {
    spawn(cmd, args, { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  } catch { /* no browser opener: the URL is printed */ }
}
