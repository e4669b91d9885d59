import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the ingest stage lands; replaced by its owner.
export function registerIngest(program: Command): void {
  program.command('ingest').description('ingest (not built yet)').action(() => {
    throw new UserError('ingest is not built yet');
  });
}
