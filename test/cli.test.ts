import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.ts';

describe('cli', () => {
  it('every sub-command has a description for --help', () => {
    const program = buildProgram();
    for (const cmd of program.commands) expect(cmd.description().length).toBeGreaterThan(0);
  });
});

describe('reconstruct --controller', () => {
  it('names the controllers it knows when given another, with a non-zero exit and no output folder', async () => {
    const { spawnSync } = await import('node:child_process');
    const { existsSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const out = join(mkdtempSync(join(tmpdir(), 'om-controller-')), 'out');
    const r = spawnSync(process.execPath, ['bin/optimus-motion.mjs', 'reconstruct', 'data/demo-squat.bvh', '--out', out, '--controller', 'hand-of-god'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--controller must be one of puppet, physical/);
    expect(existsSync(out)).toBe(false);
  });
});
