import { threadId } from 'node:worker_threads';
import { TokenTable } from '../analyzer/analyze.js';
import { tokenize } from '../analyzer/standard-tokenizer.js';
import { narrowCounts, type NarrowCounts } from './narrow-counts.js';

/**
 * The analyzed form of a run of consecutive documents, compact enough to cross a worker boundary by transfer:
 * each document is a bag of words over term numbers of the analyzing thread's token table. A term's string
 * crosses only once per numbering, in the first chunk that uses it, so a chunk carries typed arrays and the few
 * terms that are new to its numbering instead of its whole vocabulary.
 */
export interface ChunkAnalysis {
  /** The numbering `terms` uses; chunks of one numbering must be consumed in the order they were made. */
  numbering: string;
  /**
   * Term number `firstNewTerm + i` is `newTerms.slice(newTermEnds[i - 1] ?? 0, newTermEnds[i])`; lower numbers came
   * with earlier chunks of the numbering. One string rather than one per term: cheaper to copy across threads,
   * and the receiver interns the terms from it without a string per term it already knows.
   */
  firstNewTerm: number;
  newTerms: string;
  newTermEnds: Uint32Array;
  /** Document i's terms are `terms[docOffsets[i] .. docOffsets[i + 1])`. */
  docOffsets: Uint32Array;
  /** Term numbers, each document's distinct terms in order of first appearance. */
  terms: Uint32Array;
  /** Term frequency of the matching entry of `terms`. */
  tfs: NarrowCounts;
}

let analyzers = 0;

/**
 * Analyzes one corpus, chunk after chunk, on one thread: equivalent to bagging `analyze(text)` of each document,
 * but tokens are numbered straight from the text by the analyzer's own token table, so no token becomes a string
 * of its own. The table starts afresh (a new numbering) when it grows past its limit.
 */
export class ChunkAnalyzer {
  private readonly id = `${threadId}:${analyzers++}`;
  private generation = 0;
  /** Made on the first call, which may know how much text is to come. */
  private table: TokenTable | undefined;
  /** UTF-16 units analyzed so far. */
  private units = 0;
  /** Terms of the table already sent with a chunk. */
  private sent = 0;
  /** Bag of the current document: occurrences of each term number, and the numbers with a nonzero count. */
  private counts = new Uint32Array(1024);
  private distinct = new Uint32Array(1024);
  /** The chunk's bags so far, reused from chunk to chunk (results are copied out at their exact size). */
  private terms = new Uint32Array(1 << 16);
  private tfs = new Uint32Array(1 << 16);
  private docOffsets = new Uint32Array(1024);

  /** `rawTokenLimit`: distinct raw tokens the token table holds before it starts afresh (default: the analyzer's). */
  constructor(private readonly rawTokenLimit?: number) {}

  /** The analysis of `texts`, in arrays of its own. */
  analyze(texts: readonly string[], expectedUnits?: number): ChunkAnalysis {
    const { docOffsets, terms, tfs: reused, largestTf, ...rest } = this.analyzeTransient(texts, expectedUnits);
    const tfs = narrowCounts(terms.length, largestTf);
    tfs.set(reused);
    return { ...rest, docOffsets: docOffsets.slice(), terms: terms.slice(), tfs };
  }

  /**
   * The analysis of `texts` with `docOffsets`, `terms` and `tfs` left in buffers this analyzer reuses: valid until
   * its next call, for a caller that reads them at once (a worker lays them out by term and lets them go), which
   * saves copying them into fresh memory per chunk.
   * `expectedUnits`: UTF-16 units this analyzer is expected to analyze in all, this chunk and the others, when the
   * caller knows; a token table that starts then is sized for the rest of them. The analysis is the same either way.
   */
  analyzeTransient(texts: readonly string[], expectedUnits = 0): ChunkAnalysis & { tfs: Uint32Array; largestTf: number } {
    if (this.table === undefined || this.table.full) {
      if (this.table !== undefined) {
        this.generation++;
        this.sent = 0;
      }
      this.table = new TokenTable(this.rawTokenLimit, expectedUnits - this.units);
    }
    const table = this.table;
    if (texts.length + 1 > this.docOffsets.length) this.docOffsets = grow(this.docOffsets, texts.length + 1);
    const docOffsets = this.docOffsets;
    let nnz = 0;
    let largestTf = 0;
    let distinctCount = 0;
    let text = '';
    const onToken = (start: number, end: number) => {
      const term = table.termOf(text, start, end);
      if (term < 0) return;
      if (term >= this.counts.length) this.counts = grow(this.counts, term + 1);
      if (this.counts[term]!++ === 0) {
        if (distinctCount === this.distinct.length) this.distinct = grow(this.distinct, distinctCount + 1);
        this.distinct[distinctCount++] = term;
      }
    };
    for (let doc = 0; doc < texts.length; doc++) {
      text = texts[doc]!;
      this.units += text.length;
      tokenize(text, onToken);
      if (nnz + distinctCount > this.terms.length) {
        this.terms = grow(this.terms, nnz + distinctCount);
        this.tfs = grow(this.tfs, nnz + distinctCount);
      }
      const { counts, distinct, terms, tfs } = this;
      for (let i = 0; i < distinctCount; i++) {
        const term = distinct[i]!;
        const tf = counts[term]!;
        terms[nnz] = term;
        tfs[nnz++] = tf;
        counts[term] = 0;
        if (tf > largestTf) largestTf = tf;
      }
      distinctCount = 0;
      docOffsets[doc + 1] = nnz;
    }
    const firstNewTerm = this.sent;
    this.sent = table.size;
    const { text: newTerms, ends: newTermEnds } = table.joinedTerms(firstNewTerm);
    return {
      numbering: `${this.id}:${this.generation}`,
      firstNewTerm,
      newTerms,
      newTermEnds,
      docOffsets: docOffsets.subarray(0, texts.length + 1),
      terms: this.terms.subarray(0, nnz),
      tfs: this.tfs.subarray(0, nnz),
      largestTf,
    };
  }
}

let bags = 0;

/** The chunk of `count` documents whose tokens `tokensOf(doc)` gives (already analyzed), in a numbering of its own. */
export function bagChunk(count: number, tokensOf: (doc: number) => readonly string[]): ChunkAnalysis {
  const numberOf = new Map<string, number>();
  const newTerms: string[] = [];
  const docOffsets = new Uint32Array(count + 1);
  const terms: number[] = [];
  const tfs: number[] = [];
  for (let doc = 0; doc < count; doc++) {
    const bag = new Map<number, number>();
    for (const token of tokensOf(doc)) {
      let term = numberOf.get(token);
      if (term === undefined) {
        term = newTerms.length;
        numberOf.set(token, term);
        newTerms.push(token);
      }
      bag.set(term, (bag.get(term) ?? 0) + 1);
    }
    for (const [term, tf] of bag) {
      terms.push(term);
      tfs.push(tf);
    }
    docOffsets[doc + 1] = terms.length;
  }
  const newTermEnds = new Uint32Array(newTerms.length);
  let end = 0;
  for (let i = 0; i < newTerms.length; i++) newTermEnds[i] = end += newTerms[i]!.length;
  return {
    numbering: `bag:${bags++}`,
    firstNewTerm: 0,
    newTerms: newTerms.join(''),
    newTermEnds,
    docOffsets,
    terms: Uint32Array.from(terms),
    tfs: Uint32Array.from(tfs),
  };
}

function grow(array: Uint32Array, minimum: number): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(Math.max(minimum, array.length * 2));
  grown.set(array);
  return grown;
}
