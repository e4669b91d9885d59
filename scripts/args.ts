import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Command-line options of the bench scripts: `--name VALUE` and bare `--name` switches. */

/** The word after `--name`, else `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** Is the switch `--name` given? */
export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/**
 * `--help` / `-h`: prints the calling script's leading doc comment (its usage) and exits 0, so asking
 * a bench how to run it never starts a run of several minutes.
 */
export function helpIfAsked(scriptUrl: string): void {
  if (!process.argv.includes('--help') && !process.argv.includes('-h')) return;
  const source = readFileSync(fileURLToPath(scriptUrl), 'utf8');
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  console.log(comment.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n').trim());
  process.exit(0);
}
