import { bagChunk, type ChunkAnalysis } from '../../src/retrieval/bm25/chunk-analysis.js';
import { chunkPostings } from '../../src/retrieval/bm25/chunk-postings.js';
import { buildAnalyzedIndex, type AnalyzedIndex } from '../../src/retrieval/bm25/gensim-dictionary.js';

/** Indexes built from already-analyzed documents, shared by the BM25 test files. */

/** An index's contents without the vocabulary's lookup table, which scoring builds on first use. */
export function comparable(index: AnalyzedIndex): Omit<AnalyzedIndex, 'vocabulary'> & { units: Uint8Array | Uint16Array; offsets: Uint32Array } {
  const { vocabulary, ...rest } = index;
  return { ...rest, units: vocabulary.units, offsets: vocabulary.offsets };
}

/**
 * Each id's tfs summed from the laid-out postings, as a list: gensim's cfs when nothing was pruned (the index carries
 * only their total, `cfSum`).
 */
export function postingCfs({ termOffsets, postingTfs }: AnalyzedIndex): number[] {
  return Array.from({ length: termOffsets.length - 1 }, (_, id) => {
    let sum = 0;
    for (let p = termOffsets[id]!; p < termOffsets[id + 1]!; p++) sum += postingTfs[p]!;
    return sum;
  });
}

/** The float64 sum in list order, as gensim's `sum(dictionary.cfs.values())` adds the cfs (ids in order). */
export function sumInOrder(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0);
}

/** Builds the index from already-analyzed documents, as one chunk. */
export function indexOfTokens(documents: string[][], pruneAt?: number): AnalyzedIndex {
  return indexOfChunks([bagChunk(documents.length, (doc) => documents[doc]!)], pruneAt);
}

/** Builds the index from document-major chunks, each laid out by term first (as the workers send them). */
export function indexOfChunks(chunks: readonly ChunkAnalysis[], pruneAt?: number): AnalyzedIndex {
  return buildAnalyzedIndex(chunks.map((chunk) => chunkPostings(chunk)), pruneAt);
}

/** The documents as chunks of `size` documents, each chunk numbered on its own. */
export function chunksOfTokens(documents: string[][], size: number): ChunkAnalysis[] {
  return Array.from({ length: Math.ceil(documents.length / size) }, (_, c) => {
    const part = documents.slice(c * size, (c + 1) * size);
    return bagChunk(part.length, (doc) => part[doc]!);
  });
}
