import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the eval stage lands; replaced by its owner.
export function registerEval(program: Command): void {
  program.command('eval').description('eval (not built yet)').action(() => {
    throw new UserError('eval is not built yet');
  });
}
