import os from 'node:os';
import path from 'node:path';

/** The harness's own caches (BM25 indexes, embeddings): REASONIR_CACHE, else $XDG_CACHE_HOME/reasonir. */
export function reasonirCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REASONIR_CACHE) return path.resolve(env.REASONIR_CACHE);
  const xdg = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'reasonir');
}
