import type { ChunkAnalysis } from './chunk-analysis.js';
import { narrowCounts, type NarrowCounts } from './narrow-counts.js';

/**
 * A chunk's bags laid out by term on the analyzing thread, so that the main thread folds each of the chunk's
 * distinct terms in once (its df, its gensim id) and copies its postings as one run, instead of visiting every
 * posting of every document. Term strings travel as in `ChunkAnalysis` (new terms of the numbering only).
 */
export interface ChunkPostings extends Pick<ChunkAnalysis, 'numbering' | 'firstNewTerm' | 'newTermUnits' | 'newTermEnds'> {
  /** Documents in the chunk. */
  docs: number;
  /** Tokens of each document (every term counted). */
  docLengths: Uint32Array;
  /**
   * The chunk's distinct terms (numbers of `numbering`) in order of first appearance: document by document, and
   * within a document in the order of its bag.
   */
  terms: Uint32Array;
  /** Postings of `terms[i]`: `postingDocs/postingTfs[termOffsets[i] .. termOffsets[i + 1])`, documents ascending. */
  termOffsets: Uint32Array;
  /** Documents numbered from 0 within the chunk. */
  postingDocs: NarrowCounts;
  postingTfs: NarrowCounts;
  largestTf: number;
}

/**
 * Lays a chunk's document-major bags out by term (a counting sort over the chunk's own distinct terms). The analysis
 * workers have the WebAssembly analyzer do this (ChunkAnalyzer.postings), which the tests hold to this: the
 * reference, and the layout of chunks bagged from token lists (bagChunk).
 */
export function chunkPostings(analysis: ChunkAnalysis): ChunkPostings {
  const { docOffsets, terms, tfs } = analysis;
  const docs = docOffsets.length - 1;
  const nnz = terms.length;
  const localOfTerm = new Map<number, number>();
  const order: number[] = [];
  const counts: number[] = [];
  const local = new Uint32Array(nnz);
  let largestTf = 0;
  const docLengths = new Uint32Array(docs);
  for (let doc = 0; doc < docs; doc++) {
    let length = 0;
    for (let p = docOffsets[doc]!; p < docOffsets[doc + 1]!; p++) {
      const term = terms[p]!;
      let index = localOfTerm.get(term);
      if (index === undefined) {
        index = order.length;
        localOfTerm.set(term, index);
        order.push(term);
        counts.push(0);
      }
      counts[index]!++;
      local[p] = index;
      const tf = tfs[p]!;
      length += tf;
      if (tf > largestTf) largestTf = tf;
    }
    docLengths[doc] = length;
  }
  const termOffsets = new Uint32Array(order.length + 1);
  for (let i = 0; i < order.length; i++) {
    termOffsets[i + 1] = termOffsets[i]! + counts[i]!;
    counts[i] = termOffsets[i]!;
  }
  const postingDocs = narrowCounts(nnz, docs - 1);
  const postingTfs = narrowCounts(nnz, largestTf);
  for (let doc = 0; doc < docs; doc++) {
    for (let p = docOffsets[doc]!; p < docOffsets[doc + 1]!; p++) {
      const at = counts[local[p]!]!++;
      postingDocs[at] = doc;
      postingTfs[at] = tfs[p]!;
    }
  }
  return {
    numbering: analysis.numbering,
    firstNewTerm: analysis.firstNewTerm,
    newTermUnits: analysis.newTermUnits,
    newTermEnds: analysis.newTermEnds,
    docs,
    docLengths,
    terms: Uint32Array.from(order),
    termOffsets,
    postingDocs,
    postingTfs,
    largestTf,
  };
}
