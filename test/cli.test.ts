import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.ts';

describe('cli', () => {
  it('every sub-command has a description for --help', () => {
    const program = buildProgram();
    for (const cmd of program.commands) expect(cmd.description().length).toBeGreaterThan(0);
  });
});
