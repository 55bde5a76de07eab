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
