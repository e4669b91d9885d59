import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the view stage lands; replaced by its owner.
export function registerView(program: Command): void {
  program.command('view').description('view (not built yet)').action(() => {
    throw new UserError('view is not built yet');
  });
}
