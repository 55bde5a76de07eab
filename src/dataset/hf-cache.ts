/**
 * The Hugging Face hub cache layout, shared with Python huggingface_hub so each side's downloads are the
 * other's cache hits: <cache>/<type>s--<owner>--<name>/{blobs/<etag>, snapshots/<commit>/<path> -> blob, refs/<branch>}.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { temporaryPath } from '../core/cache-dir.js';
import { makeDirectory } from '../core/directories.js';
import { dataError, HarnessError } from '../core/errors.js';
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

const COMMIT = /^[0-9a-f]{40}$/;
/** What a blob may be called: a git blob sha1 (small files) or a sha256 (LFS files), as the Hub's ETags are. */
const BLOB_NAME = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** One path component of a repository id, branch or file: no traversal, no separators, no control characters. */
const SAFE_COMPONENT = /^(?!\.{1,2}$)[^/\\\x00-\x1f]+$/;

export function isBlobName(etag: string): boolean {
  return BLOB_NAME.test(etag);
}

function components(value: string, what: string): string[] {
  const parts = value.split('/');
  if (value === '' || !parts.every((part) => SAFE_COMPONENT.test(part))) {
    throw dataError('unsafe_cache_path', `${what} ${JSON.stringify(value)} cannot name a cache path (empty, ".", ".." or control characters in a component); nothing was written`);
  }
  return parts;
}

/**
 * Paths in one repository's cache folder. Every component comes from the command line or a server, so each is
 * validated here, and the joined path is checked to stay inside the folder: no server answer or revision name can
 * make us write elsewhere.
 */
export class RepoCache {
  readonly root: string;

  constructor(readonly cacheDir: string, readonly repoType: RepoType, readonly repo: string) {
    const parts = components(repo, 'repository id');
    if (parts.length !== 2) throw dataError('unsafe_cache_path', `repository id ${JSON.stringify(repo)} is not "owner/name"`);
    this.root = path.join(cacheDir, `${repoType}s--${parts.join('--')}`);
  }

  private inside(base: string, target: string, what: string): string {
    const relative = path.relative(base, target);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw dataError('unsafe_cache_path', `${what} would leave the cache folder ${base}; nothing was written`);
    }
    return target;
  }

  /** `etag` must already be a blob name (isBlobName): anything else is refused. */
  blob(etag: string): string {
    if (!isBlobName(etag)) throw dataError('unsafe_etag', `ETag ${JSON.stringify(etag)} is neither a sha256 nor a git object id; refusing to use it as a cache file name`);
    return path.join(this.root, 'blobs', etag);
  }

  /** huggingface_hub's lock file for a blob: <cache>/.locks/<repo folder>/<etag>.lock. */
  blobLock(etag: string): string {
    this.blob(etag);
    return path.join(this.cacheDir, '.locks', path.basename(this.root), `${etag}.lock`);
  }

  snapshot(commit: string, filePath: string): string {
    if (!COMMIT.test(commit)) throw dataError('unsafe_revision', `revision ${JSON.stringify(commit)} is not a 40-hex commit; refusing to use it as a cache folder name`);
    return this.inside(this.root, path.join(this.root, 'snapshots', commit, ...components(filePath, 'file path')), `file path ${JSON.stringify(filePath)}`);
  }

  ref(branch: string): string {
    return this.inside(this.root, path.join(this.root, 'refs', ...components(branch, 'revision')), `revision ${JSON.stringify(branch)}`);
  }

  async readRef(branch: string): Promise<string | undefined> {
    try {
      const commit = (await fs.readFile(this.ref(branch), 'utf8')).trim();
      return COMMIT.test(commit) ? commit : undefined;
    } catch (error) {
      if (error instanceof HarnessError) throw error;
      return undefined;
    }
  }

  async writeRef(branch: string, commit: string): Promise<void> {
    // Python writes the bare hash without a newline
    if ((await this.readRef(branch)) !== commit) await writeFileAtomic(this.ref(branch), commit);
  }

  /** Points snapshots/<commit>/<path> at the blob: a relative symlink like Python's, a copy where links fail. */
  async linkSnapshot(blobPath: string, snapshotPath: string): Promise<void> {
    await makeDirectory(path.dirname(snapshotPath));
    const temporary = temporaryPath(snapshotPath);
    try {
      await fs.symlink(path.relative(path.dirname(snapshotPath), blobPath), temporary);
    } catch {
      await fs.copyFile(blobPath, temporary);
    }
    await fs.rename(temporary, snapshotPath);
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
