/**
 * The Hugging Face hub cache layout, shared with Python huggingface_hub so each side's downloads are the
 * other's cache hits: <cache>/<type>s--<owner>--<name>/{blobs/<etag>, snapshots/<commit>/<path> -> blob, refs/<branch>}.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { throwIfAborted } from '../core/errors.js';
import { expandPath, expandUser, joinPath } from '../core/python-path.js';
import { runEnv } from '../core/run-context.js';

export type RepoType = 'dataset' | 'model';

/**
 * huggingface_hub's constants module, in its order: HF_HOME defaults to $XDG_CACHE_HOME/huggingface (XDG_CACHE_HOME
 * defaulting to ~/.cache); the hub cache is HF_HUB_CACHE, else the legacy HUGGINGFACE_HUB_CACHE, else HF_HOME/hub.
 * Each is passed through expanduser then expandvars as Python does, and a variable set to the empty string counts as
 * set (os.getenv returns it), so both sides agree on every environment.
 */
export function hfHome(env: NodeJS.ProcessEnv = runEnv()): string {
  const defaultHome = joinPath(expandUser('~', env), '.cache');
  return expandPath(env.HF_HOME ?? joinPath(env.XDG_CACHE_HOME ?? defaultHome, 'huggingface'), env);
}

export function hubCacheDir(env: NodeJS.ProcessEnv = runEnv()): string {
  const legacy = env.HUGGINGFACE_HUB_CACHE ?? joinPath(hfHome(env), 'hub');
  return path.resolve(expandPath(env.HF_HUB_CACHE ?? legacy, env));
}

export class RepoCache {
  readonly root: string;

  constructor(cacheDir: string, readonly repoType: RepoType, readonly repo: string) {
    this.root = path.join(cacheDir, `${repoType}s--${repo.split('/').join('--')}`);
  }

  blob(etag: string): string {
    return path.join(this.root, 'blobs', etag);
  }

  snapshot(commit: string, filePath: string): string {
    return path.join(this.root, 'snapshots', commit, ...filePath.split('/'));
  }

  ref(branch: string): string {
    return path.join(this.root, 'refs', ...branch.split('/'));
  }

  async readRef(branch: string): Promise<string | undefined> {
    try {
      const commit = (await fs.readFile(this.ref(branch), 'utf8')).trim();
      return /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  async writeRef(branch: string, commit: string): Promise<void> {
    // Python writes the bare hash without a newline
    if ((await this.readRef(branch)) !== commit) await writeFileAtomic(this.ref(branch), commit);
  }

  /** Points snapshots/<commit>/<path> at the blob: a relative symlink like Python's, a copy where links fail. */
  async linkSnapshot(blobPath: string, snapshotPath: string): Promise<void> {
    await fs.mkdir(path.dirname(snapshotPath), { recursive: true });
    const temporary = `${snapshotPath}.${process.pid}.${Date.now()}.tmp`;
    try {
      await fs.symlink(path.relative(path.dirname(snapshotPath), blobPath), temporary);
    } catch {
      await fs.copyFile(blobPath, temporary);
    }
    await fs.rename(temporary, snapshotPath);
  }

  /**
   * An exclusive lock per blob (O_EXCL create), so two processes never write the same `.incomplete` file. A lock
   * whose owner process is gone is taken over. Our own file name: Python's filelock leaves its lock files behind.
   */
  async lock(etag: string, signal: AbortSignal | undefined, whileWaiting: () => Promise<boolean>): Promise<(() => Promise<void>) | undefined> {
    const lockPath = path.join(path.dirname(this.root), '.locks', path.basename(this.root), `${etag}.reasonir.lock`);
    await fs.mkdir(path.dirname(lockPath), { recursive: true });
    for (;;) {
      throwIfAborted(signal);
      try {
        await fs.writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });
        return () => fs.rm(lockPath, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await whileWaiting()) return undefined;
      if (await isStale(lockPath)) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function isStale(lockPath: string): Promise<boolean> {
  try {
    const pid = Number.parseInt(await fs.readFile(lockPath, 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 0) {
      // being written right now, or garbage: stale once it is old
      const { mtimeMs } = await fs.stat(lockPath);
      return Date.now() - mtimeMs > 10_000;
    }
    process.kill(pid, 0);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ESRCH';
  }
}

export async function exists(filePath: string): Promise<boolean> {
  try {
    await fs.stat(filePath);
    return true;
  } catch {
    return false;
  }
}
