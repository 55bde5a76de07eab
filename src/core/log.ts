import { clearProgressLine } from './progress.js';
import { runContext } from './run-context.js';

/** Logs and warnings go to the run's stderr; stdout is reserved for results. --quiet drops both (errors still print). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const log: Logger = {
  info(message) {
    const context = runContext();
    if (context.quiet) return;
    clearProgressLine();
    context.stderr.write(`${message}\n`);
  },
  warn(message) {
    const context = runContext();
    // a run's data warnings stay in its manifest.json
    if (context.quiet) return;
    clearProgressLine();
    context.stderr.write(`warning: ${message}\n`);
  },
};
