import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the train stage lands; replaced by its owner.
export function registerTrain(program: Command): void {
  program.command('train').description('train (not built yet)').action(() => {
    throw new UserError('train is not built yet');
  });
}
