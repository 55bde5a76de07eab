import { threadId } from 'node:worker_threads';
import type { WasmMemory } from '../../core/wasm-module.js';
import { RAW_TOKEN_LIMIT, tokenTableSizes } from '../analyzer/analyze.js';
import { TokenBags, type ChunkBags } from '../analyzer/token-bags.js';
import { countBytes, narrowCounts, type NarrowCounts } from './narrow-counts.js';
import type { ChunkPostings } from './chunk-postings.js';

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
   * Term number `firstNewTerm + i` is the UTF-16 units `newTermUnits[newTermEnds[i - 1] ?? 0 .. newTermEnds[i])`;
   * lower numbers came with earlier chunks of the numbering. Units in one array, not strings: it crosses threads
   * by transfer, and the receiver interns the terms from it without making a string of any (a string there would
   * be garbage on its heap, and a chunk's joined terms past 128 KB a large object of its old generation).
   */
  firstNewTerm: number;
  newTermUnits: Uint16Array<ArrayBuffer>;
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
 * but tokens are numbered straight from the text by the analyzer's WebAssembly chain (TokenBags), so no token
 * becomes a string of its own. One numbering for all its chunks: each term string is sent once.
 */
export class ChunkAnalyzer {
  private readonly numbering = `${threadId}:${analyzers++}`;
  /** Made on the first call, which may know how much text is to come. */
  private bags: TokenBags | undefined;
  /** Terms already sent with a chunk. */
  private sent = 0;

  /** `rawTokenLimit`: distinct raw tokens remembered at a time, which bounds memory (default: the analyzer's). */
  constructor(private readonly rawTokenLimit = RAW_TOKEN_LIMIT) {}

  /** Its analyzer's WebAssembly memory (none before the first chunk), for the thread to reuse once done with it. */
  get memory(): WasmMemory | undefined {
    return this.bags?.memory;
  }

  /** The analysis of `texts`, in arrays of its own. */
  analyze(texts: readonly string[], expectedUnits?: number): ChunkAnalysis {
    const { docOffsets, terms, tfs: reused, largestTf, ...rest } = this.analyzeTransient(texts, expectedUnits);
    const tfs = narrowCounts(terms.length, largestTf);
    tfs.set(reused);
    return { ...rest, docOffsets: docOffsets.slice(), terms: terms.slice(), tfs };
  }

  /**
   * The analysis of `texts` with `docOffsets`, `terms` and `tfs` left in memory this analyzer reuses: valid until
   * its next call, for a caller that reads them at once, which saves copying them into fresh memory per chunk. The
   * workers call `postings`/`postingsUtf8` instead; this document-order analysis, laid out by chunkPostings in
   * JavaScript, is what the tests hold the module's own layout to.
   * `expectedUnits`: UTF-16 units this analyzer is expected to analyze in all, this chunk and the others, when the
   * caller knows; the first call sizes the tables for them. The analysis is the same either way.
   */
  analyzeTransient(texts: readonly string[], expectedUnits = 0): ChunkAnalysis & { tfs: Uint32Array; largestTf: number } {
    const { docOffsets, terms, tfs, largestTf } = this.tokenBags(expectedUnits).bag(texts);
    return { ...this.newTerms(), docOffsets, terms, tfs, largestTf };
  }

  /**
   * `chunkPostings(analyzeTransient(texts))`, laid out by the module itself, in arrays of their own (what a worker
   * transfers): the worker's JavaScript then only copies the layout out.
   */
  postings(texts: readonly string[], expectedUnits = 0): ChunkPostings {
    return this.laidOut(this.tokenBags(expectedUnits).bag(texts));
  }

  /**
   * `postings` of the documents in `bytes` as UTF-8 (document i is bytes [offsets[i], offsets[i + 1])), decoded as
   * Node's UTF-8 decoder does (a BOM is not dropped) inside the module: no string is made per document.
   * `expectedUnits` may be told in bytes: it only sizes tables.
   */
  postingsUtf8(bytes: Uint8Array, offsets: Uint32Array, expectedUnits = 0): ChunkPostings {
    return this.laidOut(this.tokenBags(expectedUnits).bagUtf8(bytes, offsets));
  }

  private tokenBags(expectedUnits: number): TokenBags {
    if (this.bags === undefined) {
      const { rawTokens, terms } = tokenTableSizes(this.rawTokenLimit, expectedUnits);
      this.bags = new TokenBags(this.rawTokenLimit, rawTokens, terms);
    }
    return this.bags;
  }

  /** The terms new to this numbering since the last chunk, which go with the chunk just bagged. */
  private newTerms(): Pick<ChunkAnalysis, 'numbering' | 'firstNewTerm' | 'newTermUnits' | 'newTermEnds'> {
    const firstNewTerm = this.sent;
    this.sent = this.bags!.terms;
    const { units: newTermUnits, ends: newTermEnds } = this.bags!.joinedTerms(firstNewTerm);
    return { numbering: this.numbering, firstNewTerm, newTermUnits: sharedCopy(newTermUnits), newTermEnds: sharedCopy(newTermEnds) };
  }

  private laidOut(chunk: ChunkBags): ChunkPostings {
    const docs = chunk.docOffsets.length - 1;
    const layout = this.bags!.layOutByTerm(countBytes(docs - 1), countBytes(chunk.largestTf));
    return {
      ...this.newTerms(),
      docs,
      docLengths: sharedCopy(layout.docLengths),
      terms: sharedCopy(layout.terms),
      termOffsets: sharedCopy(layout.termOffsets),
      postingDocs: sharedCopy(layout.postingDocs),
      postingTfs: sharedCopy(layout.postingTfs),
      largestTf: chunk.largestTf,
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
  const joined = newTerms.join('');
  const newTermUnits = new Uint16Array(joined.length);
  for (let i = 0; i < joined.length; i++) newTermUnits[i] = joined.charCodeAt(i);
  return {
    numbering: `bag:${bags++}`,
    firstNewTerm: 0,
    newTermUnits,
    newTermEnds,
    docOffsets,
    terms: Uint32Array.from(terms),
    tfs: Uint32Array.from(tfs),
  };
}

/**
 * A copy on a SharedArrayBuffer, for the arrays a chunk's postings hand to the main thread: V8 counts unshared
 * buffers a thread receives against its old generation's limit (shared ones not), and the ~24 MB of a
 * biology-sized cold build's chunks set off one or two full collections on the main thread.
 */
function sharedCopy<T extends Uint8Array | Uint16Array | Uint32Array>(array: T): T {
  const copy = new (array.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(array.byteLength));
  copy.set(array as ArrayLike<number>);
  return copy;
}
