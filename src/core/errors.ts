/** Process exit codes; stable, documented in the README. */
export const ExitCode = {
  ok: 0,
  regression: 1,
  usage: 2,
  dataOrEnvironment: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Every failure the harness anticipates. `code` is a stable machine-readable id (`data.checksum_mismatch`),
 * the message says what was wrong and what to do, and only `main()` turns `exitCode` into a process exit.
 */
export class HarnessError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(code: string, exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad flags, names or arguments: exit 2. */
export function usageError(code: string, message: string): HarnessError {
  return new HarnessError(`usage.${code}`, ExitCode.usage, message);
}

/** Missing, corrupt or unreadable data, or an unusable environment (model, device, network): exit 3. */
export function dataError(code: string, message: string, cause?: unknown): HarnessError {
  return new HarnessError(`data.${code}`, ExitCode.dataOrEnvironment, message, { cause });
}

export function environmentError(code: string, message: string, cause?: unknown): HarnessError {
  return new HarnessError(`env.${code}`, ExitCode.dataOrEnvironment, message, { cause });
}

export function interruptedError(message = 'interrupted'): HarnessError {
  return new HarnessError('interrupted', ExitCode.interrupted, message);
}

/** Throws when the signal has fired; long loops call this between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interruptedError();
}

/** A check found a regression: exit 1, after the results were printed. */
export function regressionError(message: string): HarnessError {
  return new HarnessError('regression.failed', ExitCode.regression, message);
}
