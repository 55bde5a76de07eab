import type { OutputStream } from '../core/run-context.js';
import { interruptSignal } from '../core/interrupt.js';

/**
 * Everything a command touches outside its arguments: results go to stdout, logs and progress to stderr, input
 * comes from stdin, settings from env, and `signal` aborts when the user interrupts (the run then exits 130).
 * main() passes the process's own; tests pass strings-backed streams and their own AbortController.
 */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // made on first use: process.stdin builds a stream (and loads its modules) that only `analyze` reads
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    // installed on first use, so commands that never check it keep Node's immediate exit on Ctrl-C
    get signal() {
      return interruptSignal();
    },
  };
}
