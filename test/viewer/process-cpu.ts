import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds used so far by the processes this Node process started (the
 * headless chromium of a benchmark), by chromium process type (browser,
 * renderer, gpu-process, utility). Linux only (/proc); null elsewhere.
 * Frames per second depend on what else the machine runs; CPU per frame does
 * much less, so benchmarks report both.
 */
export function childCpuSeconds(root = process.pid): Record<string, number> | null {
  if (!existsSync('/proc/self/stat')) return null;
  const tick = 100; // USER_HZ on Linux
  const procs = new Map<number, { cpu: number; type: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after "(comm) ": state ppid … utime (14th field overall) stime (15th).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!/chrom/i.test(cmd)) continue;
      const type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
      procs.set(Number(name), { cpu: (Number(f[11]) + Number(f[12])) / tick, type });
    } catch {
      // The process ended while we read it.
    }
  }
  // Parents of every process, chromium or not, to walk up to `root`.
  const parent = (pid: number): number | undefined => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  };
  const isDescendant = (pid: number): boolean => {
    for (let p = parent(pid), hops = 0; p !== undefined && p > 1 && hops < 16; p = parent(p), hops++) if (p === root) return true;
    return false;
  };
  const out: Record<string, number> = {};
  for (const [pid, p] of procs) if (isDescendant(pid)) out[p.type] = (out[p.type] ?? 0) + p.cpu;
  return out;
}
