import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.ts';
import { COMMANDS } from './commands/index.ts';

/** Builds the `optimus-motion` program with every sub-command registered. */
export function buildProgram(): Command {
  const program = new Command('optimus-motion')
    .description('Physics-based 3D human motion reconstruction from video, driven by the Optimus learned optimizer')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI; every user error becomes one line on stderr and a non-zero exit code. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or help / version output).
    return err.exitCode;
  }
  if (err instanceof UserError) {
    process.stderr.write(`optimus-motion: error: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`optimus-motion: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.OPTIMUS_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return 1;
}
