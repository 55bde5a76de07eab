/**
 * An OS-level exclusive lock on a file, taken the way Python's filelock takes it (flock(2) on the open file), so
 * reasonir and huggingface_hub exclude each other on the same `.locks/.../<etag>.lock`. Node has no flock binding
 * and the npm ones are native addons that would need a compiler at install, so the lock is held by util-linux's
 * flock(1) in a child process whose stdin is our pipe: when we release, or die in any way, the pipe closes, the
 * child exits and the kernel drops the lock. No lock file is ever deleted (deleting a flock'ed file lets two
 * processes lock two different inodes), and a lock can never outlive its owner, so there are no stale locks to
 * break: a waiter waits only while the owner shows progress, and says every few seconds whom it is waiting for.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { makeDirectory } from './directories.js';
import { throwIfAborted } from './errors.js';
import { log } from './log.js';

export type LockOutcome =
  | { kind: 'held'; release: () => Promise<void> }
  /** `isDone` turned true while waiting: the owner finished the work. */
  | { kind: 'done' }
  /** No lock: the owner made no progress for `stallMs`, or flock(1) is not installed. `reason` says which. */
  | { kind: 'unavailable'; reason: string };

export interface LockOptions {
  signal?: AbortSignal;
  /** Checked while waiting: the work the lock guards is already done. */
  isDone: () => Promise<boolean>;
  /** A number that changes while the owner works (the size of its partial file). */
  progress: () => Promise<number>;
  /** Stop waiting when progress has not changed for this long. */
  stallMs: number;
  /** How often to say what we are waiting for. */
  noticeMs: number;
  /** What the lock guards, for the waiting message. */
  what: string;
}

const HELPER_SCRIPT = 'echo locked; exec cat >/dev/null';

async function commandLine(pid: string): Promise<string> {
  return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ');
}

/**
 * "pid 123 (python3 -m …)" for the process holding a flock on `file`, from /proc/locks; undefined elsewhere.
 * `self`: our own flock(1) helper, which may have taken the lock a moment before we read its "locked".
 */
export async function lockHolder(file: string, self?: number): Promise<string | undefined> {
  try {
    const fileId = await procLocksId(file);
    const locks = await fs.readFile('/proc/locks', 'utf8');
    for (const line of locks.split('\n')) {
      const fields = line.trim().split(/\s+/);
      // "1: FLOCK  ADVISORY  WRITE 4242 00:2e:123456 0 EOF"
      if (fields[1] !== 'FLOCK' || fields[5] !== fileId || fields[4] === String(self)) continue;
      let pid = fields[4]!;
      let command = await commandLine(pid);
      // another reasonir holds it through its flock(1) helper: name the reasonir process
      if (command.includes(HELPER_SCRIPT)) {
        const parent = /^PPid:\s+(\d+)/m.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1];
        if (parent) {
          pid = parent;
          command = await commandLine(pid);
        }
      }
      return `pid ${pid}${command ? ` (${command.length > 80 ? `${command.slice(0, 77)}...` : command})` : ''}`;
    }
  } catch {
    // no /proc (macOS) or the file went away: the holder stays unknown
  }
  return undefined;
}

/**
 * How /proc/locks names `file`: its device's major and minor numbers (hex, as the kernel prints them) and its inode.
 * The inode alone is not enough: inode numbers repeat across filesystems (a tmpfs's are small and reused).
 */
async function procLocksId(file: string): Promise<string> {
  const { dev, ino } = await fs.stat(file, { bigint: true });
  // glibc's major()/minor() of a 64-bit dev_t
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  const hex = (value: bigint) => value.toString(16).padStart(2, '0');
  return `${hex(major)}:${hex(minor)}:${ino}`;
}

async function startLocker(file: string): Promise<{ child: ChildProcess; acquired: Promise<boolean> }> {
  // loaded when a lock is taken (a download), not by every command that may download: a run served from the
  // caches then loads no child_process (~10 ms with net and dgram)
  const { spawn } = await import('node:child_process');
  // `exec cat`: holds the lock until our end of stdin closes
  const child = spawn('flock', ['--exclusive', file, '-c', HELPER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  const acquired = new Promise<boolean>((resolve, reject) => {
    let stderr = '';
    child.stdout!.setEncoding('utf8').once('data', () => resolve(true));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? resolve(false) : reject(error)));
    child.once('exit', (code) => reject(new Error(`flock ${file} exited with ${code}: ${stderr.trim()}`)));
  });
  return { child, acquired };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.end();
  child.kill('SIGTERM');
  await exited;
}

/**
 * Takes the lock on `file` (created if missing, never deleted). Resolves when it is held, when the guarded work
 * was done by its owner meanwhile, or when waiting is pointless (see LockOutcome).
 */
export async function acquireFileLock(file: string, options: LockOptions): Promise<LockOutcome> {
  await makeDirectory(path.dirname(file));
  // create it ourselves first, so a read-only or foreign folder fails here with a plain EACCES/EROFS
  await (await fs.open(file, 'a')).close();
  const { child, acquired } = await startLocker(file);
  let settled: boolean | Error | undefined;
  acquired.then(
    (value) => (settled = value),
    (error: Error) => (settled = error),
  );
  const started = Date.now();
  let lastProgress = await options.progress();
  let lastChange = started;
  let lastNotice = started;
  try {
    for (;;) {
      if (settled === true) {
        const release = async () => stop(child);
        return { kind: 'held', release };
      }
      if (settled === false) return { kind: 'unavailable', reason: 'flock(1) from util-linux is not installed, so no lock can be shared with other processes' };
      if (settled instanceof Error) throw settled;
      throwIfAborted(options.signal);
      if (await options.isDone()) {
        await stop(child);
        return { kind: 'done' };
      }
      const now = Date.now();
      const progress = await options.progress();
      if (progress !== lastProgress) {
        lastProgress = progress;
        lastChange = now;
      }
      if (now - lastChange >= options.stallMs) {
        const holder = (await lockHolder(file, child.pid)) ?? 'an unknown process';
        await stop(child);
        return { kind: 'unavailable', reason: `${file} is held by ${holder}, which made no progress on ${options.what} for ${Math.round((now - lastChange) / 1000)} s` };
      }
      if (now - lastNotice >= options.noticeMs) {
        lastNotice = now;
        const holder = await lockHolder(file, child.pid);
        // where /proc/locks shows no other holder, nobody else has it: our own flock(1) is still starting (seconds
        // on a loaded machine) or has just taken it, and there is nobody to wait for
        if (holder !== undefined || !existsSync('/proc/locks')) {
          log.info(`waiting for ${options.what}: ${file} is held by ${holder ?? 'an unknown process'} (${Math.round((now - started) / 1000)} s so far)`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop(child);
    throw error;
  }
}
