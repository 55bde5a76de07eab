import path from 'node:path';

/**
 * The folder of the BM25 index cache files under the harness's cache folder (index-cache.ts names the files in it), in
 * a module of its own: a run checks for it before the index cache's modules load (analysis-workers.ts).
 */
export function indexCacheFolder(cacheDir: string): string {
  return path.join(cacheDir, 'bm25');
}
