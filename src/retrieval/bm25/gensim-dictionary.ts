import type { ChunkAnalysis } from './chunk-analysis.js';
import { narrowCounts, type NarrowCounts } from './narrow-counts.js';

/** gensim `Dictionary(documents)`'s default `prune_at`. */
export const GENSIM_PRUNE_AT = 2_000_000;
/** gensim checks the pruning limit before every 10,000th document (`docno % 10000 == 0`). */
const PRUNE_CHECK_INTERVAL = 10_000;

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

/** A chunk's bags once its vocabulary is interned: `terms` then holds corpus-wide term numbers. */
type InternedChunk = Omit<ChunkAnalysis, 'vocabulary'>;

/**
 * Replays gensim's `Dictionary.add_documents` over the chunks in corpus order: a document's new tokens get the
 * next ids in code-point order (the chunk's local ids already follow it), and when more than `pruneAt` tokens
 * are known at a pruning check, `filter_extremes(no_below=0, no_above=1.0, keep_n=pruneAt)` keeps the `pruneAt`
 * ids with the largest df (ties: smaller id) and renumbers them in id order. Dropped tokens that come back start
 * again from zero counts. `finish` then bags the documents against the final dictionary, as `doc2bow` does.
 *
 * Chunks are consumed as they arrive, so only one copy of each distinct token string ever stays alive (a
 * leetcode-sized corpus has ~9M chunk vocabulary entries for <1M distinct tokens) and only the bags are kept:
 * each chunk's `terms` are renumbered in place to corpus-wide term numbers and its vocabulary is dropped.
 */
export class AnalyzedIndexBuilder {
  /** Corpus-wide term number of each distinct token, and back. */
  private readonly numberOf = new Map<string, number>();
  private readonly termOf: string[] = [];
  /** Current gensim id of each term number, -1 when it is not in the dictionary. */
  private readonly idOfTerm: number[] = [];
  private termOfId: number[] = [];
  private df: number[] = [];
  private cf: number[] = [];
  private numDocs = 0;
  private numPos = 0;
  private numNnz = 0;
  private chunks: InternedChunk[] = [];

  constructor(private readonly pruneAt = GENSIM_PRUNE_AT) {}

  /** Adds the next chunk in corpus order; its `terms` array is renumbered in place. */
  add(chunk: ChunkAnalysis): void {
    const { vocabulary, docOffsets, terms, tfs } = chunk;
    const local = new Uint32Array(vocabulary.length);
    for (let i = 0; i < vocabulary.length; i++) local[i] = this.intern(vocabulary[i]!);
    const { idOfTerm } = this;
    const docs = docOffsets.length - 1;
    for (let doc = 0; doc < docs; doc++) {
      if (this.numDocs % PRUNE_CHECK_INTERVAL === 0 && this.termOfId.length > this.pruneAt) this.prune();
      const end = docOffsets[doc + 1]!;
      for (let p = docOffsets[doc]!; p < end; p++) {
        const term = local[terms[p]!]!;
        terms[p] = term;
        let id = idOfTerm[term]!;
        if (id < 0) {
          id = this.termOfId.length;
          idOfTerm[term] = id;
          this.termOfId.push(term);
          this.df.push(0);
          this.cf.push(0);
        }
        const tf = tfs[p]!;
        this.df[id]!++;
        this.cf[id]! += tf;
        this.numPos += tf;
      }
      this.numNnz += end - docOffsets[doc]!;
      this.numDocs++;
    }
    this.chunks.push({ docOffsets, terms, tfs });
  }

  /** The index of every chunk added; the builder is spent afterwards. */
  finish(): AnalyzedIndex {
    const chunks = this.chunks;
    this.chunks = [];
    return {
      numDocs: this.numDocs,
      numPos: this.numPos,
      numNnz: this.numNnz,
      terms: this.termOfId.map((term) => this.termOf[term]!),
      df: Uint32Array.from(this.df),
      cf: Float64Array.from(this.cf),
      ...bagDocuments(chunks, this.idOfTerm, this.termOfId.length, this.numDocs),
    };
  }

  private intern(token: string): number {
    let term = this.numberOf.get(token);
    if (term === undefined) {
      term = this.termOf.length;
      this.numberOf.set(token, term);
      this.termOf.push(token);
      this.idOfTerm.push(-1);
    }
    return term;
  }

  private prune(): void {
    const { termOfId, df, cf, idOfTerm } = this;
    const byDf = termOfId.map((_, id) => id).sort((x, y) => df[y]! - df[x]! || x - y);
    const keep = new Uint8Array(termOfId.length);
    for (let i = 0; i < this.pruneAt; i++) keep[byDf[i]!] = 1;
    const keptTerms: number[] = [];
    const keptDf: number[] = [];
    const keptCf: number[] = [];
    for (let id = 0; id < termOfId.length; id++) {
      const term = termOfId[id]!;
      if (keep[id] === 1) {
        idOfTerm[term] = keptTerms.length;
        keptTerms.push(term);
        keptDf.push(df[id]!);
        keptCf.push(cf[id]!);
      } else {
        idOfTerm[term] = -1;
      }
    }
    this.termOfId = keptTerms;
    this.df = keptDf;
    this.cf = keptCf;
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
  idOfTerm: readonly number[],
  vocabularySize: number,
  numDocs: number,
): Pick<AnalyzedIndex, 'docLengths' | 'termOffsets' | 'postingDocs' | 'postingTfs'> {
  const docLengths = new Uint32Array(numDocs);
  const termOffsets = new Uint32Array(vocabularySize + 1);
  let largestTf = 0;
  let doc = 0;
  for (const { docOffsets, terms, tfs } of chunks) {
    for (let d = 0; d < docOffsets.length - 1; d++, doc++) {
      const end = docOffsets[d + 1]!;
      for (let p = docOffsets[d]!; p < end; p++) {
        const id = idOfTerm[terms[p]!]!;
        if (id < 0) continue;
        const tf = tfs[p]!;
        termOffsets[id + 1]!++;
        docLengths[doc]! += tf;
        if (tf > largestTf) largestTf = tf;
      }
    }
  }
  for (let id = 0; id < vocabularySize; id++) termOffsets[id + 1]! += termOffsets[id]!;
  const nnz = termOffsets[vocabularySize]!;
  const postingDocs = new Uint32Array(nnz);
  const postingTfs = narrowCounts(nnz, largestTf);
  const cursor = termOffsets.slice(0, vocabularySize);
  doc = 0;
  for (const { docOffsets, terms, tfs } of chunks) {
    for (let d = 0; d < docOffsets.length - 1; d++, doc++) {
      const end = docOffsets[d + 1]!;
      for (let p = docOffsets[d]!; p < end; p++) {
        const id = idOfTerm[terms[p]!]!;
        if (id < 0) continue;
        const at = cursor[id]!++;
        postingDocs[at] = doc;
        postingTfs[at] = tfs[p]!;
      }
    }
  }
  return { docLengths, termOffsets, postingDocs, postingTfs };
}
