import { readFileSync } from 'node:fs';

/**
 * CPU time from Linux /proc, for the batch's accounting: how many cores a worker keeps busy is
 * its CPU seconds over its wall-clock seconds, a measure that other load on the machine does
 * not change (wall time alone does). null where /proc is not there.
 */
function statCpuSeconds(path: string): number | null {
  try {
    const stat = readFileSync(path, 'utf8');
    // utime and stime: fields 14 and 15, counted after the parenthesised command name; 100 ticks a second on Linux.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** User + system CPU seconds of the calling thread. */
export function threadCpuSeconds(): number | null {
  return statCpuSeconds('/proc/thread-self/stat');
}

/** User + system CPU seconds of a live process, all its threads together. */
export function processCpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/stat`);
}
