import { CommanderError } from '@commander-js/extra-typings';
import { createProgram, commanderExitCode } from './program.js';
import { HarnessError, ExitCode } from '../core/errors.js';

/** Runs the CLI and returns the exit code; never exits by itself (only main() does). */
export async function runCli(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    if (error instanceof HarnessError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`internal error: ${detail}\nThis is a bug in reasonir; please report it with the command you ran.\n`);
    return 70;
  }
}
