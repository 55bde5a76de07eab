import { runContext } from '../core/run-context.js';

/**
 * The width text tables must fit: the run's stdout columns when it is a terminal, otherwise $COLUMNS when set (so a
 * piped run can ask for a layout); undefined, meaning no limit, for a file or a pipe without it.
 */
export function terminalWidth(): number | undefined {
  const { stdout, env } = runContext();
  const columns = (stdout as { columns?: number }).columns;
  if (stdout.isTTY && columns !== undefined && columns > 0) return columns;
  const fromEnv = Number(env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined;
}
