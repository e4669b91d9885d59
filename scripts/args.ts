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
