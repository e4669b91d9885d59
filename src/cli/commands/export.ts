import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the export stage lands; replaced by its owner.
export function registerExport(program: Command): void {
  program.command('export').description('export (not built yet)').action(() => {
    throw new UserError('export is not built yet');
  });
}
