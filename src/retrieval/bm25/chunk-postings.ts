import type { ChunkAnalysis } from './chunk-analysis.js';
import { narrowCounts, type NarrowCounts } from './narrow-counts.js';

/**
 * A chunk's bags laid out by term on the analyzing thread, so that the main thread folds each of the chunk's
 * distinct terms in once (its df, its gensim id) and copies its postings as one run, instead of visiting every
 * posting of every document. Term strings travel as in `ChunkAnalysis` (new terms of the numbering only).
 */
export interface ChunkPostings extends Pick<ChunkAnalysis, 'numbering' | 'firstNewTerm' | 'newTerms' | 'newTermEnds'> {
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
 * Lays a chunk's document-major bags out by term (a counting sort over the chunk's own distinct terms, a table that
 * stays in cache). `scratch` is reused from chunk to chunk by the thread that makes them.
 */
export function chunkPostings(analysis: ChunkAnalysis, scratch: PostingsScratch = new PostingsScratch()): ChunkPostings {
  const { docOffsets, terms, tfs } = analysis;
  const docs = docOffsets.length - 1;
  const nnz = terms.length;
  const local = scratch.localOf(nnz);
  let localOfTerm = scratch.localOfTerm;
  let distinct = 0;
  let counts = scratch.counts;
  let order = scratch.order;
  let largestTf = 0;
  const docLengths = new Uint32Array(docs);
  for (let doc = 0; doc < docs; doc++) {
    const end = docOffsets[doc + 1]!;
    let length = 0;
    for (let p = docOffsets[doc]!; p < end; p++) {
      const term = terms[p]!;
      if (term >= localOfTerm.length) localOfTerm = scratch.growLocalOfTerm(term + 1);
      let index = localOfTerm[term]! - 1;
      if (index < 0) {
        index = distinct++;
        if (index === counts.length) {
          counts = scratch.growCounts(index + 1);
          order = scratch.order;
        }
        localOfTerm[term] = index + 1;
        order[index] = term;
        counts[index] = 0;
      }
      counts[index]!++;
      local[p] = index;
      const tf = tfs[p]!;
      length += tf;
      if (tf > largestTf) largestTf = tf;
    }
    docLengths[doc] = length;
  }
  const termOffsets = new Uint32Array(distinct + 1);
  for (let i = 0; i < distinct; i++) {
    termOffsets[i + 1] = termOffsets[i]! + counts[i]!;
    counts[i] = termOffsets[i]!;
    localOfTerm[order[i]!] = 0;
  }
  const postingDocs = narrowCounts(nnz, docs - 1);
  const postingTfs = narrowCounts(nnz, largestTf);
  for (let doc = 0; doc < docs; doc++) {
    const end = docOffsets[doc + 1]!;
    for (let p = docOffsets[doc]!; p < end; p++) {
      const at = counts[local[p]!]!++;
      postingDocs[at] = doc;
      postingTfs[at] = tfs[p]!;
    }
  }
  return {
    numbering: analysis.numbering,
    firstNewTerm: analysis.firstNewTerm,
    newTerms: analysis.newTerms,
    newTermEnds: analysis.newTermEnds,
    docs,
    docLengths,
    terms: order.slice(0, distinct),
    termOffsets,
    postingDocs,
    postingTfs,
    largestTf,
  };
}

/** Working arrays of `chunkPostings`, kept between chunks (fresh memory costs more than the sort itself here). */
export class PostingsScratch {
  /** Per term number: its index among the chunk's distinct terms + 1, 0 when absent (all 0 between chunks). */
  localOfTerm = new Uint32Array(1 << 16);
  /** Per distinct term: its postings so far, then where the next one goes. */
  counts = new Uint32Array(1 << 14);
  /** Per distinct term: its term number. */
  order = new Uint32Array(1 << 14);
  private local = new Uint32Array(1 << 16);

  /** Per posting: its term's index among the chunk's distinct terms. */
  localOf(postings: number): Uint32Array {
    if (postings > this.local.length) this.local = new Uint32Array(Math.max(postings, 2 * this.local.length));
    return this.local;
  }

  growLocalOfTerm(minimum: number): Uint32Array<ArrayBuffer> {
    const grown = new Uint32Array(Math.max(minimum, 2 * this.localOfTerm.length));
    grown.set(this.localOfTerm);
    return (this.localOfTerm = grown);
  }

  growCounts(minimum: number): Uint32Array<ArrayBuffer> {
    const length = Math.max(minimum, 2 * this.counts.length);
    const counts = new Uint32Array(length);
    counts.set(this.counts);
    const order = new Uint32Array(length);
    order.set(this.order);
    this.order = order;
    return (this.counts = counts);
  }
}
