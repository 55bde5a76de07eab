import type { ChunkAnalysis } from './chunk-analysis.js';
import { narrowCounts, type NarrowCounts } from './narrow-counts.js';
import { compareCodePoints } from '../../core/code-point-order.js';
import { Utf16Interner } from '../analyzer/utf16-interner.js';

/** gensim `Dictionary(documents)`'s default `prune_at`. */
export const GENSIM_PRUNE_AT = 2_000_000;
/** gensim checks the pruning limit before every 10,000th document (`docno % 10000 == 0`). */
const PRUNE_CHECK_INTERVAL = 10_000;
/** New tokens of one document sorted by insertion up to this many. */
const SMALL_SORT = 24;

/**
 * A corpus as BRIGHT's BM25 sees it: gensim's `Dictionary` (ids, df, cf, counters) and every document's
 * `doc2bow` against the final dictionary, stored term-major (postings) because scoring walks query terms.
 * This is what the index cache stores; weights are derived from it.
 */
export interface AnalyzedIndex {
  /** `num_docs`: every document, empty ones included. */
  numDocs: number;
  /** `num_pos`: every token added, including those of terms pruned later. */
  numPos: number;
  /** `num_nnz`: distinct tokens per document, summed when each document was added. */
  numNnz: number;
  /** Term of each gensim id. */
  terms: string[];
  /** `dfs[id]`, `cfs[id]`: counted since the term last entered the dictionary. */
  df: Uint32Array;
  cf: Float64Array;
  /** In-vocabulary tokens per document (the `|d|` of the BM25 length normalisation). */
  docLengths: Uint32Array;
  /** Postings of term id t: `postingDocs/postingTfs[termOffsets[t] .. termOffsets[t + 1])`, docs ascending. */
  termOffsets: Uint32Array;
  postingDocs: Uint32Array;
  postingTfs: NarrowCounts;
}

/** A chunk's bags once renumbered: `terms` holds gensim ids, or corpus-wide term numbers once anything was pruned. */
type InternedChunk = Pick<ChunkAnalysis, 'docOffsets' | 'terms' | 'tfs'>;

/** What the builder knows of one numbering: per term number, its corpus-wide term number and a cached gensim id. */
interface Numbering {
  terms: Uint32Array<ArrayBuffer>;
  /** The term's gensim id, or -1 when unknown here (not in the dictionary, or not looked up since the last prune). */
  ids: Int32Array<ArrayBuffer>;
  count: number;
}

/**
 * Replays gensim's `Dictionary.add_documents` over the chunks in corpus order: a document's new tokens get the
 * next ids in code-point order, and when more than `pruneAt` tokens are known at a pruning check,
 * `filter_extremes(no_below=0, no_above=1.0, keep_n=pruneAt)` keeps the `pruneAt` ids with the largest df (ties:
 * smaller id) and renumbers them in id order. Dropped tokens that come back start again from zero counts.
 * `finish` then bags the documents against the final dictionary, as `doc2bow` does.
 *
 * Chunks are consumed as they arrive and only their bags are kept: each chunk's `terms` are renumbered in place
 * through a map per numbering, so a term's string is interned once per numbering (not once per chunk) and only
 * one copy of it stays alive. Until a prune (a vocabulary of millions of tokens) ids are final, so the bags keep
 * gensim ids and `finish` lays them out directly; the first prune turns the bags kept so far into corpus-wide
 * term numbers, which `finish` then looks up in the final dictionary.
 */
export class AnalyzedIndexBuilder {
  /** Corpus-wide term number of each distinct token, and back. */
  private readonly numberOf = new Utf16Interner();
  private readonly termOf: string[] = [];
  private readonly numberings = new Map<string, Numbering>();
  /** Current gensim id of each term number, -1 when it is not in the dictionary. */
  private idOfTerm = new Int32Array(1024);
  /**
   * Per gensim id: its term number, df and cf; `size` ids are in use. Until a prune, cf is left to `finish`, which
   * sums it from the postings in order instead of one more random access per token here.
   */
  private termOfId = new Uint32Array(1024);
  private df = new Uint32Array(1024);
  private cf = new Float64Array(1024);
  private size = 0;
  private numDocs = 0;
  private numPos = 0;
  private numNnz = 0;
  /** Tokens per document and the largest tf: the postings' layout when no pruning ever happened. */
  private docLengths = new Uint32Array(1024);
  private largestTf = 0;
  private pruned = false;
  /** Positions (into the chunk's `terms`) of the current document's tokens that are new to the dictionary. */
  private fresh = new Uint32Array(64);
  private chunks: InternedChunk[] = [];

  constructor(private readonly pruneAt = GENSIM_PRUNE_AT) {}

  /** Adds the next chunk in corpus order; its `terms` array is renumbered in place. */
  add(chunk: ChunkAnalysis): void {
    const { docOffsets, terms, tfs } = chunk;
    const numbering = this.numbering(chunk);
    const { terms: globalOf, ids } = numbering;
    const docs = docOffsets.length - 1;
    if (this.numDocs + docs > this.docLengths.length) this.docLengths = grown(this.docLengths, this.numDocs + docs);
    const { docLengths } = this;
    let { largestTf, numPos } = this;
    for (let doc = 0; doc < docs; doc++) {
      if (this.numDocs % PRUNE_CHECK_INTERVAL === 0 && this.size > this.pruneAt) this.prune(terms, tfs, docOffsets[doc]!);
      const { idOfTerm, df, cf, pruned } = this;
      const start = docOffsets[doc]!;
      const end = docOffsets[doc + 1]!;
      if (end - start > this.fresh.length) this.fresh = new Uint32Array(2 * (end - start));
      const { fresh } = this;
      let freshCount = 0;
      let length = 0;
      for (let p = start; p < end; p++) {
        const tf = tfs[p]!;
        length += tf;
        if (tf > largestTf) largestTf = tf;
        const number = terms[p]!;
        let id = ids[number]!;
        if (id < 0) {
          id = idOfTerm[globalOf[number]!]!;
          if (id < 0) {
            fresh[freshCount++] = p;
            continue;
          }
          ids[number] = id;
        }
        df[id]!++;
        if (pruned) {
          terms[p] = globalOf[number]!;
          cf[id]! += tf;
        } else terms[p] = id;
      }
      if (freshCount > 0) this.addTerms(fresh, freshCount, numbering, terms, tfs);
      numPos += length;
      docLengths[this.numDocs] = length;
      this.numNnz += end - start;
      this.numDocs++;
    }
    this.largestTf = largestTf;
    this.numPos = numPos;
    this.chunks.push({ docOffsets, terms, tfs });
  }

  /** The index of every chunk added; the builder is spent afterwards. */
  finish(): AnalyzedIndex {
    const chunks = this.chunks;
    this.chunks = [];
    const { size } = this;
    const df = this.df.slice(0, size);
    const terms = new Array<string>(size);
    for (let id = 0; id < size; id++) terms[id] = this.termOf[this.termOfId[id]!]!;
    if (this.pruned) {
      const cf = this.cf.slice(0, size);
      return { ...this.counters(), terms, df, cf, ...bagDocuments(chunks, this.idOfTerm, size, this.numDocs) };
    }
    // every token is still in the dictionary: a term's postings are its df, a document's length all its tokens
    const laidOut = postings(chunks, null, df, this.docLengths.slice(0, this.numDocs), this.largestTf);
    const cf = new Float64Array(size);
    const { termOffsets, postingTfs } = laidOut;
    for (let id = 0; id < size; id++) {
      let sum = 0;
      for (let p = termOffsets[id]!; p < termOffsets[id + 1]!; p++) sum += postingTfs[p]!;
      cf[id] = sum;
    }
    return { ...this.counters(), terms, df, cf, ...laidOut };
  }

  private counters(): Pick<AnalyzedIndex, 'numDocs' | 'numPos' | 'numNnz'> {
    return { numDocs: this.numDocs, numPos: this.numPos, numNnz: this.numNnz };
  }

  /** The chunk's numbering, extended by the chunk's new terms. */
  private numbering(chunk: ChunkAnalysis): Numbering {
    let numbering = this.numberings.get(chunk.numbering);
    if (numbering === undefined) {
      numbering = { terms: new Uint32Array(1024), ids: new Int32Array(1024).fill(-1), count: 0 };
      this.numberings.set(chunk.numbering, numbering);
    }
    if (chunk.firstNewTerm !== numbering.count) {
      throw new Error(`BM25 chunk of numbering ${chunk.numbering} starts at term ${chunk.firstNewTerm}, expected ${numbering.count}`);
    }
    const { newTerms, newTermEnds } = chunk;
    const count = numbering.count + newTermEnds.length;
    if (count > numbering.terms.length) {
      numbering.terms = grown(numbering.terms, count);
      const ids = new Int32Array(numbering.terms.length).fill(-1);
      ids.set(numbering.ids);
      numbering.ids = ids;
    }
    let start = 0;
    for (let i = 0; i < newTermEnds.length; i++) {
      const end = newTermEnds[i]!;
      numbering.terms[numbering.count++] = this.intern(newTerms, start, end);
      start = end;
    }
    return numbering;
  }

  private intern(text: string, start: number, end: number): number {
    const term = this.numberOf.intern(text, start, end);
    if (term === this.termOf.length) {
      this.termOf.push(text.slice(start, end));
      if (term === this.idOfTerm.length) {
        const idOfTerm = new Int32Array(2 * term).fill(-1);
        idOfTerm.set(this.idOfTerm);
        this.idOfTerm = idOfTerm;
      }
      this.idOfTerm[term] = -1;
    }
    return term;
  }

  /**
   * Gives the tokens at `positions[0 .. count)` of `terms` (still numbers of `numbering`), all new to the
   * dictionary and of one document, the next ids in code-point order (gensim's `doc2bow` sorts a document's
   * missing tokens as Python strings).
   */
  private addTerms(positions: Uint32Array, count: number, numbering: Numbering, terms: Uint32Array, tfs: NarrowCounts): void {
    const { termOf } = this;
    const globalOf = numbering.terms;
    const tokenAt = (p: number) => termOf[globalOf[terms[p]!]!]!;
    if (count > SMALL_SORT) {
      const sorted = Array.from(positions.subarray(0, count)).sort((a, b) => compareCodePoints(tokenAt(a), tokenAt(b)));
      positions.set(sorted);
    } else {
      // most documents bring a few new tokens: an insertion sort in place allocates nothing
      for (let i = 1; i < count; i++) {
        const p = positions[i]!;
        const token = tokenAt(p);
        let j = i - 1;
        for (; j >= 0 && compareCodePoints(tokenAt(positions[j]!), token) > 0; j--) positions[j + 1] = positions[j]!;
        positions[j + 1] = p;
      }
    }
    if (this.size + count > this.termOfId.length) {
      const capacity = this.size + count;
      this.termOfId = grown(this.termOfId, capacity);
      this.df = grown(this.df, capacity);
      this.cf = grown(this.cf, capacity);
    }
    for (let i = 0; i < count; i++) {
      const p = positions[i]!;
      const number = terms[p]!;
      const term = globalOf[number]!;
      const id = this.size++;
      this.idOfTerm[term] = id;
      numbering.ids[number] = id;
      this.termOfId[id] = term;
      this.df[id] = 1;
      this.cf[id] = tfs[p]!;
      terms[p] = this.pruned ? term : id;
    }
  }

  /**
   * gensim's `filter_extremes` at a pruning check. The first one sums cf and turns every bag kept so far (the
   * current chunk's up to position `done` included) from ids, which are about to change, into corpus-wide term
   * numbers.
   */
  private prune(current: Uint32Array, currentTfs: NarrowCounts, done: number): void {
    const { termOfId, df, cf, idOfTerm, size } = this;
    if (!this.pruned) {
      cf.fill(0, 0, size);
      for (const { terms, tfs } of this.chunks) {
        for (let p = 0; p < terms.length; p++) {
          cf[terms[p]!]! += tfs[p]!;
          terms[p] = termOfId[terms[p]!]!;
        }
      }
      for (let p = 0; p < done; p++) {
        cf[current[p]!]! += currentTfs[p]!;
        current[p] = termOfId[current[p]!]!;
      }
      this.pruned = true;
    }
    const byDf = Array.from({ length: size }, (_, id) => id).sort((x, y) => df[y]! - df[x]! || x - y);
    const keep = new Uint8Array(size);
    for (let i = 0; i < this.pruneAt; i++) keep[byDf[i]!] = 1;
    let kept = 0;
    for (let id = 0; id < size; id++) {
      const term = termOfId[id]!;
      if (keep[id] === 1) {
        idOfTerm[term] = kept;
        termOfId[kept] = term;
        df[kept] = df[id]!;
        cf[kept] = cf[id]!;
        kept++;
      } else {
        idOfTerm[term] = -1;
      }
    }
    this.size = kept;
    for (const numbering of this.numberings.values()) numbering.ids.fill(-1);
  }
}

/** The index of chunks already at hand, in corpus order. */
export function buildAnalyzedIndex(chunks: Iterable<ChunkAnalysis>, pruneAt = GENSIM_PRUNE_AT): AnalyzedIndex {
  const builder = new AnalyzedIndexBuilder(pruneAt);
  for (const chunk of chunks) builder.add(chunk);
  return builder.finish();
}

/** `doc2bow` of every document against the final dictionary, laid out as postings (a counting sort by term). */
function bagDocuments(
  chunks: readonly InternedChunk[],
  idOfTerm: Int32Array,
  vocabularySize: number,
  numDocs: number,
): Pick<AnalyzedIndex, 'docLengths' | 'termOffsets' | 'postingDocs' | 'postingTfs'> {
  const docLengths = new Uint32Array(numDocs);
  const counts = new Uint32Array(vocabularySize);
  let largestTf = 0;
  let doc = 0;
  for (const { docOffsets, terms, tfs } of chunks) {
    for (let d = 0; d < docOffsets.length - 1; d++, doc++) {
      const end = docOffsets[d + 1]!;
      for (let p = docOffsets[d]!; p < end; p++) {
        const id = idOfTerm[terms[p]!]!;
        if (id < 0) continue;
        const tf = tfs[p]!;
        counts[id]!++;
        docLengths[doc]! += tf;
        if (tf > largestTf) largestTf = tf;
      }
    }
  }
  return postings(chunks, idOfTerm, counts, docLengths, largestTf);
}

/**
 * Lays the documents' in-dictionary tokens out by term, `counts[id]` postings for id. The bags hold term numbers
 * looked up in `idOfTerm`, or ids already when it is null.
 */
function postings(
  chunks: readonly InternedChunk[],
  idOfTerm: Int32Array | null,
  counts: Uint32Array,
  docLengths: Uint32Array,
  largestTf: number,
): Pick<AnalyzedIndex, 'docLengths' | 'termOffsets' | 'postingDocs' | 'postingTfs'> {
  const vocabularySize = counts.length;
  const termOffsets = new Uint32Array(vocabularySize + 1);
  for (let id = 0; id < vocabularySize; id++) termOffsets[id + 1] = termOffsets[id]! + counts[id]!;
  const nnz = termOffsets[vocabularySize]!;
  const postingDocs = new Uint32Array(nnz);
  const postingTfs = narrowCounts(nnz, largestTf);
  const cursor = termOffsets.slice(0, vocabularySize);
  let doc = 0;
  for (const { docOffsets, terms, tfs } of chunks) {
    for (let d = 0; d < docOffsets.length - 1; d++, doc++) {
      const end = docOffsets[d + 1]!;
      for (let p = docOffsets[d]!; p < end; p++) {
        const id = idOfTerm === null ? terms[p]! : idOfTerm[terms[p]!]!;
        if (id < 0) continue;
        const at = cursor[id]!++;
        postingDocs[at] = doc;
        postingTfs[at] = tfs[p]!;
      }
    }
  }
  return { docLengths, termOffsets, postingDocs, postingTfs };
}

function grown<T extends Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(array: T, minimum: number): T {
  const copy = new (array.constructor as new (length: number) => T)(Math.max(minimum, 2 * array.length));
  copy.set(array as ArrayLike<number>);
  return copy;
}
