import { tokenTable, type TokenTable } from '../analyzer/analyze.js';
import { tokenize } from '../analyzer/standard-tokenizer.js';
import { narrowCounts, type NarrowCounts } from './narrow-counts.js';
import { compareCodePoints } from '../../core/code-point-order.js';

/**
 * The analyzed form of a run of consecutive documents, compact enough to cross a worker boundary by transfer:
 * each document is a bag of words over the chunk's own vocabulary. Local term ids are ranks in code-point order,
 * so a document's terms listed by ascending local id are already in the order gensim assigns new ids (Python
 * sorts the missing tokens of a document as strings, i.e. by code point).
 */
export interface ChunkAnalysis {
  /** Distinct tokens of the chunk in code-point order; a local term id is an index into it. */
  vocabulary: string[];
  /** Document i's terms are `terms[docOffsets[i] .. docOffsets[i + 1])`. */
  docOffsets: Uint32Array;
  /** Local term ids, ascending within each document. */
  terms: Uint32Array;
  /** Term frequency of the matching entry of `terms`. */
  tfs: NarrowCounts;
}

/** Chunk-local id of each term number of this thread's token table, -1 outside the chunk being analyzed. */
let localOfTerm = new Int32Array(1024).fill(-1);

/**
 * Analyzes the documents and bags them. Equivalent to bagging `analyze(text)` of each document, but tokens are
 * numbered straight from the text by the thread's token table, so no token becomes a string of its own.
 */
export function analyzeChunk(texts: readonly string[]): ChunkAnalysis {
  const table = tokenTable();
  const firstSeen: number[] = [];
  const bags = new BagBuilder(texts.length);
  for (let doc = 0; doc < texts.length; doc++) {
    const text = texts[doc]!;
    tokenize(text, (start, end) => {
      const term = table.termOf(text, start, end);
      if (term < 0) return;
      if (term >= localOfTerm.length) {
        const grown = new Int32Array(Math.max(term + 1, localOfTerm.length * 2)).fill(-1);
        grown.set(localOfTerm);
        localOfTerm = grown;
      }
      let local = localOfTerm[term]!;
      if (local < 0) {
        local = firstSeen.length;
        localOfTerm[term] = local;
        firstSeen.push(term);
      }
      bags.add(local);
    });
    bags.endDocument(doc);
  }
  for (const term of firstSeen) localOfTerm[term] = -1;
  const rank = termRanks(table);
  const keys = new Float64Array(firstSeen.length);
  for (let local = 0; local < firstSeen.length; local++) keys[local] = rank[firstSeen[local]!]! * LOCAL_ID_LIMIT + local;
  keys.sort();
  const order = new Uint32Array(firstSeen.length);
  for (let i = 0; i < keys.length; i++) order[i] = keys[i]! % LOCAL_ID_LIMIT;
  return bags.finish((local) => table.terms[firstSeen[local]!]!, order);
}

/** Local ids and term ranks are packed into one float64 sort key (exact below 2^53). */
const LOCAL_ID_LIMIT = 2 ** 26;

/**
 * The code-point rank of every term of a token table, kept up to date as terms arrive: sorting each chunk's
 * vocabulary as strings cost as much as tokenizing it, so new terms are sorted once and merged into the order.
 */
let ordered: { table: TokenTable; sorted: Int32Array; rank: Int32Array; surrogates: boolean } | undefined;

function termRanks(table: TokenTable): Int32Array {
  if (ordered?.table !== table) ordered = { table, sorted: new Int32Array(0), rank: new Int32Array(0), surrogates: false };
  const { terms } = table;
  const known = ordered.sorted.length;
  if (known === terms.length) return ordered.rank;
  const fresh = Array.from({ length: terms.length - known }, (_, i) => known + i);
  const surrogates = ordered.surrogates || fresh.some((term) => hasSurrogate(terms[term]!));
  const compare = surrogates
    ? (a: number, b: number) => compareCodePoints(terms[a]!, terms[b]!)
    : (a: number, b: number) => (terms[a]! < terms[b]! ? -1 : 1); // UTF-16 order is code-point order here
  fresh.sort(compare);
  const sorted = new Int32Array(terms.length);
  const rank = new Int32Array(terms.length);
  const old = ordered.sorted;
  // each new term finds its place by binary search and the old terms between are copied, so a chunk costs
  // O(new log known) comparisons instead of comparing against every known term
  let r = 0;
  let i = 0;
  for (const term of fresh) {
    let low = i;
    let high = old.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(old[middle]!, term) < 0) low = middle + 1;
      else high = middle;
    }
    sorted.set(old.subarray(i, low), r);
    r += low - i;
    i = low;
    sorted[r++] = term;
  }
  sorted.set(old.subarray(i), r);
  for (let k = 0; k < sorted.length; k++) rank[sorted[k]!] = k;
  ordered = { table, sorted, rank, surrogates };
  return rank;
}

/** The chunk of `count` documents whose tokens `tokensOf(doc)` gives (already analyzed). */
export function bagChunk(count: number, tokensOf: (doc: number) => readonly string[]): ChunkAnalysis {
  const localIds = new Map<string, number>();
  const firstSeen: string[] = [];
  const bags = new BagBuilder(count);
  for (let doc = 0; doc < count; doc++) {
    for (const token of tokensOf(doc)) {
      let id = localIds.get(token);
      if (id === undefined) {
        id = firstSeen.length;
        localIds.set(token, id);
        firstSeen.push(token);
      }
      bags.add(id);
    }
    bags.endDocument(doc);
  }
  return bags.finish((local) => firstSeen[local]!, sortedIndices(firstSeen));
}

/** Bags of words over local ids in order of first appearance, renumbered to code-point ranks by `finish`. */
class BagBuilder {
  private readonly docOffsets: Uint32Array;
  private terms = new Uint32Array(1024);
  private tfs = new Uint32Array(1024);
  private nnz = 0;
  /** Occurrences of each local id in the current document, and the ids with a nonzero count. */
  private counts = new Uint32Array(1024);
  private distinct = new Uint32Array(1024);
  private distinctCount = 0;

  constructor(private readonly count: number) {
    this.docOffsets = new Uint32Array(count + 1);
  }

  add(id: number): void {
    if (id >= this.counts.length) this.counts = grow(this.counts, id + 1);
    if (this.counts[id]!++ === 0) {
      if (this.distinctCount === this.distinct.length) this.distinct = grow(this.distinct, this.distinctCount + 1);
      this.distinct[this.distinctCount++] = id;
    }
  }

  endDocument(doc: number): void {
    const { counts, distinct, distinctCount } = this;
    let nnz = this.nnz;
    if (nnz + distinctCount > this.terms.length) {
      this.terms = grow(this.terms, nnz + distinctCount);
      this.tfs = grow(this.tfs, nnz + distinctCount);
    }
    const { terms, tfs } = this;
    for (let i = 0; i < distinctCount; i++) {
      const id = distinct[i]!;
      terms[nnz] = id;
      tfs[nnz++] = counts[id]!;
      counts[id] = 0;
    }
    this.nnz = nnz;
    this.distinctCount = 0;
    this.docOffsets[doc + 1] = nnz;
  }

  /** `tokenOf(id)` is the token of local id `id`; `order` lists the local ids in code-point order of their tokens. */
  finish(tokenOf: (id: number) => string, order: ArrayLike<number>): ChunkAnalysis {
    const { count, docOffsets, terms, tfs, nnz } = this;
    const vocabulary = new Array<string>(order.length);
    const rank = new Uint32Array(order.length);
    for (let r = 0; r < order.length; r++) {
      vocabulary[r] = tokenOf(order[r]!);
      rank[order[r]!] = r;
    }
    let largestTf = 0;
    for (let p = 0; p < nnz; p++) if (tfs[p]! > largestTf) largestTf = tfs[p]!;
    const sortedTerms = new Uint32Array(nnz);
    const sortedTfs = narrowCounts(nnz, largestTf);
    const tfByRank = new Uint32Array(vocabulary.length);
    for (let doc = 0; doc < count; doc++) {
      const start = docOffsets[doc]!;
      const end = docOffsets[doc + 1]!;
      for (let p = start; p < end; p++) {
        const r = rank[terms[p]!]!;
        sortedTerms[p] = r;
        tfByRank[r] = tfs[p]!;
      }
      sortedTerms.subarray(start, end).sort();
      for (let p = start; p < end; p++) sortedTfs[p] = tfByRank[sortedTerms[p]!]!;
    }
    return { vocabulary, docOffsets, terms: sortedTerms, tfs: sortedTfs };
  }
}

/** Indices of the distinct strings in code-point order (Python's string order). */
function sortedIndices(strings: readonly string[]): number[] {
  const order = Array.from(strings.keys());
  if (strings.some(hasSurrogate)) return order.sort((a, b) => compareCodePoints(strings[a]!, strings[b]!));
  // without surrogates, UTF-16 unit order is code-point order
  return order.sort((a, b) => (strings[a]! < strings[b]! ? -1 : 1));
}

function grow(array: Uint32Array, minimum: number): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(Math.max(minimum, array.length * 2));
  grown.set(array);
  return grown;
}

function hasSurrogate(text: string): boolean {
  return /[\ud800-\udfff]/.test(text);
}
