import { clearProgressLine } from './progress.js';

/**
 * Ctrl-C handling. The first SIGINT aborts the shared signal so the running stage can stop at a safe point
 * (no half-written file is ever left where a later run would trust it); main() then exits 130.
 */
const controller = new AbortController();
let installed = false;

export function interruptSignal(): AbortSignal {
  if (!installed) {
    installed = true;
    const onSignal = () => {
      if (controller.signal.aborted) return;
      // on a line of its own, not over the status line
      clearProgressLine();
      process.stderr.write('interrupted: finishing the current step safely (press Ctrl-C again to force)\n');
      controller.abort();
      process.once('SIGINT', () => process.kill(process.pid, 'SIGKILL'));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return controller.signal;
}
