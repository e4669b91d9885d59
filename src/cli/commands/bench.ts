import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the bench stage lands; replaced by its owner.
export function registerBench(program: Command): void {
  program.command('bench').description('bench (not built yet)').action(() => {
    throw new UserError('bench is not built yet');
  });
}
