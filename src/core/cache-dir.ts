/**
 * The cache-directory protocol shared by the HF blob cache, the BM25 index cache and the embedding cache:
 * files appear only by rename from a temporary name in the same folder (`<target>.<pid>.<random>.tmp`), so a
 * reader sees a complete file or none; a temporary name whose process is gone is litter from a killed run, and
 * the next run that works in that folder removes it.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expandPath, joinPath } from './python-path.js';
import { runEnv } from './run-context.js';

/**
 * The harness's own caches (BM25 indexes, embeddings): REASONIR_CACHE, else $XDG_CACHE_HOME/reasonir, else
 * ~/.cache/reasonir; `~` and `$VAR` expanded like the Hugging Face cache paths beside it.
 */
export function reasonirCacheDir(env: NodeJS.ProcessEnv = runEnv()): string {
  if (env.REASONIR_CACHE) return path.resolve(expandPath(env.REASONIR_CACHE, env));
  return path.resolve(expandPath(joinPath(env.XDG_CACHE_HOME || '~/.cache', 'reasonir'), env));
}

const TEMPORARY = /\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** Temporary files this process is writing now: never litter, even if a previous container had our PID. */
const ours = new Set<string>();

// node:crypto (~8 ms of loading) is required when a first temporary file is named, not with this module: eval checks
// the cache folder (analysis-workers.ts startWorkerAhead) before anything else of a run needs node:crypto
const require = createRequire(import.meta.url);

/** A fresh temporary name beside `target`; release it with `forgetTemporary` once renamed or removed. */
export function temporaryPath(target: string): string {
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  ours.add(temporary);
  return temporary;
}

export function forgetTemporary(temporary: string): void {
  ours.delete(temporary);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `file` is a temporary name (`temporaryPath`) whose writer is gone, as `removeStaleTemporaries` judges it. */
export function isStaleTemporary(file: string): boolean {
  const match = TEMPORARY.exec(path.basename(file));
  if (!match) return false;
  const pid = Number(match[1]);
  return pid === process.pid ? !ours.has(file) : !processAlive(pid);
}

/**
 * Removes temporary files in `dir` left by processes that no longer run (a killed `eval`, a power cut). A live
 * PID's files are kept (it may still be writing them), except our own PID's that we did not create: those come
 * from an earlier life of this PID (a restarted container). Returns the removed paths. Never throws: cleaning
 * is a courtesy, and a folder we cannot list is reported by whoever uses it next.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (!isStaleTemporary(file)) continue;
    try {
      await fs.rm(file, { force: true });
      removed.push(file);
    } catch {
      // someone else removed or renamed it meanwhile
    }
  }
  return removed;
}
