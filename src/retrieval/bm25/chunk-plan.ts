/**
 * How a corpus is cut into chunks for the analysis workers (parallel-analysis.ts), in a module of its own: the
 * retriever's prefetch sends the first chunks ahead (analysis-workers.ts) before the analysis modules load, and the
 * analysis must then cut the same chunks.
 */
import type { StoredTexts } from '../../core/types.js';
import type { ChunkSource, StoredChunk } from './analysis-worker.js';

/** Below this many UTF-16 units, starting workers costs more than it saves. */
export const INLINE_LIMIT = 256 * 1024;
const MAX_CHUNK_UNITS = 2 * 1024 * 1024;
const MIN_CHUNK_UNITS = 64 * 1024;
const CHUNKS_PER_THREAD = 4;

/** UTF-16 units per chunk for a corpus of `corpusUnits`: CHUNKS_PER_THREAD per thread, within the bounds above. */
export function chunkTarget(corpusUnits: number, threads: number): number {
  return Math.min(MAX_CHUNK_UNITS, Math.max(MIN_CHUNK_UNITS, Math.ceil(corpusUnits / (threads * CHUNKS_PER_THREAD))));
}

/** A chunk as a worker is sent it: its texts, or where it reads them itself. */
export interface WorkerChunk {
  documents: number;
  source: ChunkSource;
  /** UTF-16 units each worker should analyze in all, when known (sizes its token tables). */
  unitsPerWorker?: number;
}

/**
 * Consecutive row groups of the stored texts as worker chunks, sized as `chunksOf` sizes chunks of texts but from
 * the column's uncompressed bytes in the file's metadata (at least one byte per UTF-16 unit). Null when the texts
 * should rather go through `corpus.texts()`: a corpus small enough to analyze inline, or row groups too few for two
 * chunks per thread (chunks of texts split a row group; these cannot). Also used by the parquet bench,
 * which decodes a corpus as the analysis reads it, and by the analysis workers' requests sent ahead.
 */
export function storedChunks(stored: StoredTexts, threads: number): Array<WorkerChunk & { source: StoredChunk }> | null {
  let total = 0;
  for (const group of stored.groups) total += group.bytes;
  if (total < INLINE_LIMIT) return null;
  const target = chunkTarget(total, threads);
  const chunks: Array<WorkerChunk & { source: StoredChunk }> = [];
  let first = 0;
  let bytes = 0;
  let documents = 0;
  for (let group = 0; group < stored.groups.length; group++) {
    bytes += stored.groups[group]!.bytes;
    documents += stored.groups[group]!.rows;
    if (bytes >= target || group === stored.groups.length - 1) {
      chunks.push({ documents, source: { stored, first, end: group + 1 }, unitsPerWorker: Math.ceil(total / threads) });
      first = group + 1;
      bytes = 0;
      documents = 0;
    }
  }
  return chunks.length >= 2 * threads ? chunks : null;
}
