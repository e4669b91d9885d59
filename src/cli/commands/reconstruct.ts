import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the reconstruct stage lands; replaced by its owner.
export function registerReconstruct(program: Command): void {
  program.command('reconstruct').description('reconstruct (not built yet)').action(() => {
    throw new UserError('reconstruct is not built yet');
  });
}
