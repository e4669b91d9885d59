import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

// Placeholder registration until the synth stage lands; replaced by its owner.
export function registerSynth(program: Command): void {
  program.command('synth').description('synth (not built yet)').action(() => {
    throw new UserError('synth is not built yet');
  });
}
