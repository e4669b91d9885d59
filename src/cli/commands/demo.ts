import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the demo stage lands; replaced by its owner.
export function registerDemo(program: Command): void {
  program.command('demo').description('demo (not built yet)').action(() => {
    throw new UserError('demo is not built yet');
  });
}
