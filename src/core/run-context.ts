import { AsyncLocalStorage } from 'node:async_hooks';

/** A stream a run writes to; `isTTY` decides whether progress bars are drawn. */
export interface OutputStream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

/**
 * What one CLI run writes to and reads its settings from. runCli() enters it for the whole run, so two runs in one
 * process (the in-process tests) never share streams, environment, --quiet or --no-progress; main()'s run is the
 * process's own. Library code reaches
 * it through log, startProgress and runEnv(); outside a run it is the process's own streams and environment.
 */
export interface RunContext {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  quiet: boolean;
  progress: boolean;
}

const storage = new AsyncLocalStorage<RunContext>();
let processContext: RunContext | undefined;

export function runContext(): RunContext {
  return storage.getStore() ?? (processContext ??= { stdout: process.stdout, stderr: process.stderr, env: process.env, quiet: false, progress: true });
}

/** The environment variables of the current run (process.env outside a run). */
export function runEnv(): NodeJS.ProcessEnv {
  return runContext().env;
}

export function withRunContext<T>(context: RunContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Makes `context` the process's own (runContext() outside any withRunContext) and runs `fn`: for main(), whose
 * process runs one command. AsyncLocalStorage, once a run enters it, hooks every promise the process creates
 * (Node 20), which cost a cached BM25 eval ~30 ms of its main thread.
 */
export function withProcessRunContext<T>(context: RunContext, fn: () => T): T {
  processContext = context;
  return fn();
}
