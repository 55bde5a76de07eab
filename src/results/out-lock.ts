import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { usageError } from '../core/errors.js';

export const LOCK_FILE = '.reasonir.lock';
/** The lock and its temporary and stale copies: never part of the results. */
export const isLockFile = (name: string) => name.startsWith(LOCK_FILE);
/** A live holder touches its lock this often... */
const HEARTBEAT_MS = 10_000;
/** ...so a lock from another host untouched for this long belongs to a process that is gone. */
const STALE_MS = 120_000;

interface LockInfo {
  pid: number;
  hostname: string;
  started: string;
}

export interface OutLock {
  release(): Promise<void>;
}

/**
 * One writer per results folder. The lock file appears by hard link from a complete temporary file (atomic and
 * exclusive on local and NFS file systems). A lock whose holder is gone (same host: the process no longer exists;
 * another host: no heartbeat for STALE_MS) is taken over, so a requeued or killed job never blocks its rerun;
 * a live holder makes this process stop with exit 2 and a sentence saying who holds the folder.
 */
export async function acquireOutLock(dir: string): Promise<OutLock> {
  const lockPath = path.join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, hostname: os.hostname(), started: new Date().toISOString() };
  const content = `${JSON.stringify(info)}\n`;
  const temporary = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(temporary, content);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.link(temporary, lockPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (attempt >= 3) throw usageError('output_locked', `--out ${dir}: other reasonir processes keep taking its lock; run one writer per folder`);
      const holder = await readHolder(lockPath);
      if (holder === null) continue; // released meanwhile
      if (!(await isStale(lockPath, holder.info))) {
        throw usageError(
          'output_locked',
          `--out ${dir} is being written by another reasonir process (pid ${holder.info.pid} on ${holder.info.hostname}, since ${holder.info.started}); wait for it to finish or choose another --out`,
        );
      }
      await takeOver(lockPath, holder.text);
    }
  } finally {
    await fs.rm(temporary, { force: true });
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockPath, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      // only our own lock is removed: a holder that judged us stale may have replaced it
      const current = await readHolder(lockPath);
      if (current?.text === content) await fs.rm(lockPath, { force: true });
    },
  };
}

async function readHolder(lockPath: string): Promise<{ text: string; info: LockInfo } | null> {
  let text: string;
  try {
    text = await fs.readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return { text, info: JSON.parse(text) as LockInfo };
  } catch {
    // a lock file is linked whole, so an unreadable one was not written by reasonir: treat it as a dead holder
    return { text, info: { pid: -1, hostname: '?', started: '?' } };
  }
}

async function isStale(lockPath: string, holder: LockInfo): Promise<boolean> {
  if (holder.pid === -1) return true;
  if (holder.hostname === os.hostname()) {
    if (holder.pid === process.pid) return false;
    try {
      process.kill(holder.pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  const stat = await fs.stat(lockPath).catch(() => null);
  return stat !== null && Date.now() - stat.mtimeMs > STALE_MS;
}

/**
 * Moves the stale lock aside. Two processes may judge the same lock stale at once; the second could then move the
 * first one's fresh lock, so what was moved is compared with what was judged and put back when it differs.
 */
async function takeOver(lockPath: string, staleText: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await fs.readFile(aside, 'utf8');
  if (moved !== staleText) await fs.link(aside, lockPath).catch(() => undefined);
  await fs.rm(aside, { force: true });
}
