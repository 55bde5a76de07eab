/**
 * Running the CLI from tests.
 *
 * `runReasonir(args, { env, input, signal })` runs the command in-process through `runCli(argv, io)`: stdout and
 * stderr are captured as strings, `env` is merged over process.env for this run only (library code reads it with
 * runEnv()), `input` is stdin, and aborting `signal` is the user's Ctrl-C (the command stops at a safe point and
 * returns 130). It needs no build and costs no process start, so use it by default.
 *
 * `spawnReasonir(args, ...)` runs the built dist/cli/main.js as a child process. Keep it for what only a real
 * process shows: the exit status, signals (Ctrl-C), a working directory, or how stdout and stderr are piped.
 *
 * Both resolve to the same CliResult; relative paths are resolved against the repository root.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/cli-io.js';
import { runCli } from '../../src/cli/run-cli.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const fixturesRoot = path.join(repoRoot, 'test', 'fixtures');

export interface CliResult {
  code: number | null;
  /** The signal that ended the child process (spawnReasonir only). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string;
}

/** A string-collecting stream; `isTTY` false, so no progress bar is drawn into it. */
class Captured extends Writable {
  text = '';
  readonly isTTY = false;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

function mergedEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs `reasonir <args>` in this process; see the file comment. */
export async function runReasonir(args: string[], options: RunOptions & { signal?: AbortSignal } = {}): Promise<CliResult> {
  const stdout = new Captured();
  const stderr = new Captured();
  const io: CliIo = {
    stdout,
    stderr,
    stdin: Readable.from([options.input ?? '']),
    env: mergedEnv(options.env),
    signal: options.signal ?? new AbortController().signal,
  };
  const code = await runCli(args, io);
  return { code, signal: null, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the built CLI (`dist/cli/main.js`) as a child process, as a user would; see the file comment. */
export function spawnReasonir(args: string[], options: RunOptions & { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'cli', 'main.js'), ...args], {
      cwd: options.cwd ?? repoRoot,
      env: mergedEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
