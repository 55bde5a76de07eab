import { CommanderError } from '@commander-js/extra-typings';
import { createProgram, commanderExitCode } from './program.js';
import { HarnessError, ExitCode } from '../core/errors.js';
import { classifyOsError } from '../core/os-errors.js';
import { clearProgressLine } from '../core/progress.js';
import { withProcessRunContext, withRunContext, type RunContext } from '../core/run-context.js';
import type { CliIo } from './cli-io.js';

/**
 * Runs the CLI with `argv` (without node and the script) against `io` and returns the exit code. Never exits by
 * itself (only main() does), so tests run commands in-process with captured streams. `ownProcess`: the only run
 * this process makes (main()), whose context is the process's rather than one of several concurrent runs'.
 */
export async function runCli(argv: string[], io: CliIo, options: { ownProcess?: boolean } = {}): Promise<number> {
  const context: RunContext = { stdout: io.stdout, stderr: io.stderr, env: io.env, quiet: false, progress: true };
  return (options.ownProcess ? withProcessRunContext : withRunContext)(context, async () => {
    const program = await createProgram(io, context, argv);
    try {
      await program.parseAsync(argv, { from: 'user' });
      return ExitCode.ok;
    } catch (error) {
      if (error instanceof CommanderError) return commanderExitCode(error);
      // an operating-system condition (EACCES, ENOSPC, ...) that no caller classified is still not a bug
      const failure = error instanceof HarnessError ? error : classifyOsError(error);
      if (failure) {
        clearProgressLine();
        io.stderr.write(`error: ${failure.message}\n`);
        return failure.exitCode;
      }
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      io.stderr.write(`internal error: ${detail}\nThis is a bug in reasonir; please report it with the command you ran.\n`);
      return 70;
    }
  });
}
