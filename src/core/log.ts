import { runContext } from './run-context.js';

/** Logs and warnings go to the run's stderr; stdout is reserved for results. --quiet keeps only warnings. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const log: Logger = {
  info(message) {
    const context = runContext();
    if (!context.quiet) context.stderr.write(`${message}\n`);
  },
  warn(message) {
    runContext().stderr.write(`warning: ${message}\n`);
  },
};
