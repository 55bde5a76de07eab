import type { ChunkAnalysis } from './chunk-analysis.js';

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
  postingTfs: Uint32Array;
}

/**
 * Replays gensim's `Dictionary.add_documents` over the chunks in corpus order: a document's new tokens get the
 * next ids in code-point order (the chunk's local ids already follow it), and when more than `pruneAt` tokens
 * are known at a pruning check, `filter_extremes(no_below=0, no_above=1.0, keep_n=pruneAt)` keeps the `pruneAt`
 * ids with the largest df (ties: smaller id) and renumbers them in id order. Dropped tokens that come back start
 * again from zero counts. Documents are then bagged against the final dictionary, as `doc2bow` does.
 * Consumes the chunks: each vocabulary is emptied once interned (on a leetcode-sized corpus the per-chunk copies
 * of the same strings would otherwise stay alive until the end).
 */
export function buildAnalyzedIndex(chunks: readonly ChunkAnalysis[], pruneAt = GENSIM_PRUNE_AT): AnalyzedIndex {
  const { termOf, chunkTerms } = internVocabularies(chunks);
  const idOfTerm = new Int32Array(termOf.length).fill(-1);
  let termOfId: number[] = [];
  let df: number[] = [];
  let cf: number[] = [];
  let numDocs = 0;
  let numPos = 0;
  let numNnz = 0;

  const prune = () => {
    const byDf = termOfId.map((_, id) => id).sort((x, y) => df[y]! - df[x]! || x - y);
    const keep = new Uint8Array(termOfId.length);
    for (let i = 0; i < pruneAt; i++) keep[byDf[i]!] = 1;
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
    termOfId = keptTerms;
    df = keptDf;
    cf = keptCf;
  };

  for (let c = 0; c < chunks.length; c++) {
    const { docOffsets, terms, tfs } = chunks[c]!;
    const localTerms = chunkTerms[c]!;
    const docs = docOffsets.length - 1;
    for (let doc = 0; doc < docs; doc++) {
      if (numDocs % PRUNE_CHECK_INTERVAL === 0 && termOfId.length > pruneAt) prune();
      const end = docOffsets[doc + 1]!;
      for (let p = docOffsets[doc]!; p < end; p++) {
        const term = localTerms[terms[p]!]!;
        let id = idOfTerm[term]!;
        if (id < 0) {
          id = termOfId.length;
          idOfTerm[term] = id;
          termOfId.push(term);
          df.push(0);
          cf.push(0);
        }
        const tf = tfs[p]!;
        df[id]!++;
        cf[id]! += tf;
        numPos += tf;
      }
      numNnz += end - docOffsets[doc]!;
      numDocs++;
    }
  }

  return {
    numDocs,
    numPos,
    numNnz,
    terms: termOfId.map((term) => termOf[term]!),
    df: Uint32Array.from(df),
    cf: Float64Array.from(cf),
    ...bagDocuments(chunks, chunkTerms, idOfTerm, termOfId.length, numDocs),
  };
}

/** One number per distinct token of the whole corpus, and each chunk's local id -> that number. */
function internVocabularies(chunks: readonly ChunkAnalysis[]): { termOf: string[]; chunkTerms: Uint32Array[] } {
  const numberOf = new Map<string, number>();
  const termOf: string[] = [];
  const chunkTerms = chunks.map(({ vocabulary }) => {
    const local = new Uint32Array(vocabulary.length);
    for (let i = 0; i < vocabulary.length; i++) {
      const token = vocabulary[i]!;
      let term = numberOf.get(token);
      if (term === undefined) {
        term = termOf.length;
        numberOf.set(token, term);
        termOf.push(token);
      }
      local[i] = term;
    }
    vocabulary.length = 0;
    return local;
  });
  return { termOf, chunkTerms };
}

/** `doc2bow` of every document against the final dictionary, laid out as postings (a counting sort by term). */
function bagDocuments(
  chunks: readonly ChunkAnalysis[],
  chunkTerms: readonly Uint32Array[],
  idOfTerm: Int32Array,
  vocabularySize: number,
  numDocs: number,
): Pick<AnalyzedIndex, 'docLengths' | 'termOffsets' | 'postingDocs' | 'postingTfs'> {
  const docLengths = new Uint32Array(numDocs);
  const termOffsets = new Uint32Array(vocabularySize + 1);
  const forEachPosting = (visit: (doc: number, id: number, tf: number) => void) => {
    let doc = 0;
    for (let c = 0; c < chunks.length; c++) {
      const { docOffsets, terms, tfs } = chunks[c]!;
      const localTerms = chunkTerms[c]!;
      for (let d = 0; d < docOffsets.length - 1; d++, doc++) {
        const end = docOffsets[d + 1]!;
        for (let p = docOffsets[d]!; p < end; p++) {
          const id = idOfTerm[localTerms[terms[p]!]!]!;
          if (id >= 0) visit(doc, id, tfs[p]!);
        }
      }
    }
  };
  forEachPosting((doc, id, tf) => {
    termOffsets[id + 1]!++;
    docLengths[doc]! += tf;
  });
  for (let id = 0; id < vocabularySize; id++) termOffsets[id + 1]! += termOffsets[id]!;
  const nnz = termOffsets[vocabularySize]!;
  const postingDocs = new Uint32Array(nnz);
  const postingTfs = new Uint32Array(nnz);
  const cursor = termOffsets.slice(0, vocabularySize);
  forEachPosting((doc, id, tf) => {
    const at = cursor[id]!++;
    postingDocs[at] = doc;
    postingTfs[at] = tf;
  });
  return { docLengths, termOffsets, postingDocs, postingTfs };
}
