import { Worker } from 'node:worker_threads';
import type { ChunkPostings } from './chunk-postings.js';
import { narrowCounts, type NarrowCounts } from './narrow-counts.js';
import { Utf16Interner } from '../analyzer/utf16-interner.js';
import { Vocabulary } from './vocabulary.js';
import { workerUrl } from './analysis-workers.js';
import { scatterRuns, type IdRuns, type MergeReply, type MergeRequest } from './postings-merge.js';
import { JoinedRuns, TokenOrder } from './token-order.js';

/** gensim `Dictionary(documents)`'s default `prune_at`. */
export const GENSIM_PRUNE_AT = 2_000_000;
/** gensim checks the pruning limit before every 10,000th document (`docno % 10000 == 0`). */
const PRUNE_CHECK_INTERVAL = 10_000;
/**
 * At most this many terms are reserved ahead (a leetcode-sized corpus brings ~850k): an odd first chunk must not
 * make the builder take hundreds of MB it would never fill (new memory is zero-filled, so it is paid at once).
 */
const MAX_RESERVED_TERMS = 1 << 20;
/** Row numbers fit 16 bits up to this many documents (rows 0 .. 65,535). */
const ROWS_16_BIT = 0x10000;
/**
 * From this many postings, `finishInParallel` has a worker copy the later half of the chunks' postings into place
 * (leetcode-sized: ~30M postings in ~9M runs, ~1.2 s of cache misses and page faults on one thread); below it the
 * worker's start would cost about what it saves (biology-sized: 3.3M postings, ~70 ms).
 */
const PARALLEL_MERGE_POSTINGS = 1 << 23;

export interface BuilderOptions {
  /** Threads the build may use: with more than one, `finishInParallel` lays out the postings on other threads. */
  threads?: number;
  /** Postings from which it does so (tests lower it). */
  parallelPostings?: number;
}

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
  /** Term of each gensim id (made from the builder's own term units: no string per term). */
  vocabulary: Vocabulary;
  /** `dfs[id]`: counted since the term last entered the dictionary (in 16 bits when all fit). */
  df: Uint16Array | Uint32Array;
  /**
   * gensim's total of the `cfs` (float64, summed in id order): all that BM25 reads of them (avgdl). Without a prune
   * every token's term has an id, so it is `numPos` (integers: exact in any order), and no cf is kept per id.
   */
  cfSum: number;
  /** In-vocabulary tokens per document (the `|d|` of the BM25 length normalisation). */
  docLengths: Uint32Array;
  /** Postings of term id t: `postingDocs/postingTfs[termOffsets[t] .. termOffsets[t + 1])`, docs ascending. */
  termOffsets: Uint32Array;
  /**
   * Row numbers in 16 bits when every row fits (at most 65,536 documents), as the index cache stores them: half the
   * fresh memory, and the cache write and scoring see the same array type whether the index was built or read.
   */
  postingDocs: Uint16Array | Uint32Array;
  postingTfs: NarrowCounts;
}

/** A term-major chunk as kept until `finish`: `ids` holds the gensim id of each of the chunk's distinct terms. */
interface KeptPostings extends IdRuns {
  docs: number;
}

/** Document-major bags over corpus-wide term numbers (term numbers stay valid across prunes, ids do not). */
interface KeptBags {
  docOffsets: Uint32Array;
  terms: Uint32Array;
  tfs: NarrowCounts;
}

/**
 * What the builder knows of one numbering, per term number: the term's corpus-wide term number (its gensim id while
 * nothing is pruned), or -1 while the chunk being added brings it to the corpus and it has no number yet.
 */
interface Numbering {
  terms: Int32Array<ArrayBufferLike>;
  count: number;
}

/**
 * Replays gensim's `Dictionary.add_documents` over the chunks in corpus order: a document's new tokens get the
 * next ids in code-point order, and when more than `pruneAt` tokens are known at a pruning check,
 * `filter_extremes(no_below=0, no_above=1.0, keep_n=pruneAt)` keeps the `pruneAt` ids with the largest df (ties:
 * smaller id) and renumbers them in id order. Dropped tokens that come back start again from zero counts.
 * `finish` then bags the documents against the final dictionary, as `doc2bow` does.
 *
 * Until a prune, the dictionary only grows and ids are final, so a chunk is folded in term by term: each of its
 * distinct terms is looked up once (a new one takes its id at the document of its first posting, that document's
 * new terms in code-point order), its df grows by its postings, and `finish` copies each chunk's run of postings of
 * a term into place. A term's units are looked up once per numbering (not once per chunk), and a term new to the
 * corpus is interned when it takes its id, so that its term number is its id. When a pruning check
 * would fire, every chunk so far is replayed document by document, as gensim goes, and the rest follow that way:
 * exact for any corpus, and only corpora with more than `pruneAt` distinct tokens pay for it.
 */
export class AnalyzedIndexBuilder {
  /**
   * Corpus-wide term number of each distinct token, and its units (no string per term for the GC to copy). While
   * nothing is pruned, terms are interned in id order: a term's number is its gensim id, the two maps below are not
   * kept (no pages for them, no lookup through them per chunk term), and the units are the vocabulary's as they are.
   */
  private numberOf = new Utf16Interner();
  private readonly numberings = new Map<string, Numbering>();
  /**
   * Once a prune is due: the current gensim id of each term number, -1 when it is not in the dictionary (written
   * for each term interned, so room past them is never read and is left as new memory gives it: no page paid for
   * it), and per gensim id its term number.
   */
  private idOfTerm = new Int32Array(0);
  private termOfId = new Uint32Array(0);
  /** Per gensim id: df, and cf once a prune is due (before, the cfs add up to `numPos`); `size` in use. */
  private df = new Uint32Array(1024);
  private cf = new Float64Array(0);
  private size = 0;
  private numDocs = 0;
  private numPos = 0;
  private numNnz = 0;
  /** Tokens per document and the largest tf, while the postings go term by term. */
  private docLengths = new Uint32Array(1024);
  private largestTf = 0;
  /** The first pruning check (a document number) not yet passed. */
  private nextCheck = 0;
  private postings: KeptPostings[] = [];
  /** Document-major bags once a prune is due (null before). */
  private bags: KeptBags[] | null = null;
  /** Positions of new terms, to give them ids in order, and their sort. */
  private fresh = new Uint32Array(64);
  private readonly order = new TokenOrder();
  /** Room for the terms the corpus is expected to bring (0: no estimate): each numbering's table starts at that size. */
  private expectedTerms = 0;
  /** The gensim ids of a chunk's terms until they replace its term numbers (no array per chunk). */
  private ids = new Uint32Array(1024);
  /** A chunk's terms new to the corpus in id order: where their units lie in the chunk, and the ids interned. */
  private runStarts = new Uint32Array(1024);
  private runEnds = new Uint32Array(1024);
  private freshIds = new Int32Array(1024);
  /**
   * Where a second thread may take over the postings' layout: the first kept chunk at or past the corpus's middle
   * row, and each id's df (its postings) before that chunk. Null until then, or when the build stays on one thread.
   */
  private half: { chunk: number; before: Uint32Array } | null = null;

  /**
   * `documents`: the corpus's documents, when known: the first chunk's new terms then tell about how many terms the
   * whole corpus brings, and the term tables are sized for them at once instead of doubling their way there.
   */
  constructor(
    private readonly pruneAt = GENSIM_PRUNE_AT,
    private readonly documents = 0,
    private readonly options: BuilderOptions = {},
  ) {}

  /** Adds the next chunk in corpus order; its `terms` array is turned into gensim ids (or term numbers) in place. */
  add(chunk: ChunkPostings): void {
    const numbering = this.numbering(chunk);
    if (this.bags === null && this.addPostings(chunk, numbering.terms)) return;
    if (this.bags === null) {
      // the chunk's new terms that have no id yet still need their term numbers
      this.internMissing(chunk, numbering.terms);
      this.replayAsBags();
    }
    const { terms } = chunk;
    const globalOf = numbering.terms;
    for (let i = 0; i < terms.length; i++) terms[i] = globalOf[terms[i]!]!;
    this.addBags(bagsOf(chunk.docs, terms, chunk));
  }

  /** The index of every chunk added; the builder is spent afterwards. */
  finish(): AnalyzedIndex {
    const { size } = this;
    const df = narrowDfs(this.df.subarray(0, size), this.numDocs);
    const vocabulary = this.vocabulary();
    const counters = { numDocs: this.numDocs, numPos: this.numPos, numNnz: this.numNnz };
    if (this.bags !== null) {
      const bags = this.bags;
      this.bags = [];
      return { ...counters, vocabulary, df, cfSum: sumInOrder(this.cf.subarray(0, size)), ...bagDocuments(bags, this.idOfTerm, size, this.numDocs) };
    }
    // nothing was pruned: a term's postings are its df, a document's length all its tokens
    const chunks = this.postings;
    this.postings = [];
    const laidOut = postingsLayout(this.df.subarray(0, size), this.largestTf, this.numDocs);
    scatterRuns(chunks, cursorOf(laidOut), laidOut.postingDocs, laidOut.postingTfs);
    return this.postingsIndex(vocabulary, df, laidOut);
  }

  /**
   * The same index as `finish`, with the postings copied into place on other threads while this one makes the
   * vocabulary: the copy is the slowest part of `finish`, and runs after the analysis, when the other cores are idle.
   * `helpers`: running workers that take merge requests (the idle analysis workers, analysis-worker.ts): with two,
   * each copies one half of the chunks; with one, it copies the later half and this thread the earlier. Without
   * them, a large corpus's later half goes to a merge worker started for it (below `parallelPostings` postings its
   * start would cost about what it saves).
   */
  async finishInParallel(helpers: readonly Worker[] = []): Promise<AnalyzedIndex> {
    const { half, size } = this;
    if (half === null || this.bags !== null) return this.finish();
    if (helpers.length === 0 && this.numNnz < (this.options.parallelPostings ?? PARALLEL_MERGE_POSTINGS)) return this.finish();
    const chunks = this.postings;
    this.postings = [];
    const laidOut = postingsLayout(this.df.subarray(0, size), this.largestTf, this.numDocs);
    const earlier = chunks.slice(0, half.chunk);
    const later = movable(chunks.slice(half.chunk), earlier);
    const started = helpers.length === 0 ? new Worker(workerUrl('merge-worker.js')) : null;
    const copiers = started === null ? helpers.slice(0, 2) : [started];
    const merges: Array<Promise<void>> = [];
    try {
      // an earlier half no helper takes is copied here (from the layout's own cursor), after the requests are out
      const parts: Array<{ chunks: IdRuns[]; before: Uint32Array }> = copiers.length === 2 ? [{ chunks: movable(earlier, []), before: new Uint32Array(0) }] : [];
      parts.push({ chunks: later, before: half.before });
      parts.forEach(({ chunks: part, before }, i) => {
        const copier = copiers[copiers.length - parts.length + i]!;
        const merged = mergeReply(copier);
        // awaited below; should this thread's work throw first, a worker's failure must not go unhandled
        merged.catch(() => undefined);
        merges.push(merged);
        // a kept analysis worker is unreferenced: this thread's wait on its reply must keep the process alive
        copier.ref();
        const request: MergeRequest = { chunks: part, termOffsets: laidOut.termOffsets, before, postingDocs: laidOut.postingDocs, postingTfs: laidOut.postingTfs };
        copier.postMessage(request, [before.buffer, ...part.flatMap(({ ids, termOffsets, postingDocs, postingTfs }) => [ids.buffer, termOffsets.buffer, postingDocs.buffer, postingTfs.buffer])].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
      });
      if (copiers.length < 2) scatterRuns(earlier, cursorOf(laidOut), laidOut.postingDocs, laidOut.postingTfs);
      const vocabulary = this.vocabulary();
      const df = narrowDfs(this.df.subarray(0, size), this.numDocs);
      // the terms' lookup table, which the cache write and the search need, is built while the workers still copy
      void vocabulary.slots;
      // every copier's answer is awaited, a failure's too: none is still writing into the layout, or listening, once
      // this rejects
      const failed = (await Promise.allSettled(merges)).find((merged) => merged.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      return this.postingsIndex(vocabulary, df, laidOut);
    } finally {
      if (started !== null) await started.terminate();
      else for (const helper of copiers) helper.unref();
    }
  }

  /**
   * The index once every chunk's postings are in place, nothing pruned: every token counted in `numPos` is then in a
   * posting, so the cfs (each id's tfs) add up to it.
   */
  private postingsIndex(vocabulary: Vocabulary, df: Uint16Array | Uint32Array, laidOut: Pick<AnalyzedIndex, 'termOffsets' | 'postingDocs' | 'postingTfs'>): AnalyzedIndex {
    const counters = { numDocs: this.numDocs, numPos: this.numPos, numNnz: this.numNnz };
    const docLengths = new Uint32Array(new SharedArrayBuffer(4 * this.numDocs));
    docLengths.set(this.docLengths.subarray(0, this.numDocs));
    return { ...counters, vocabulary, df, cfSum: this.numPos, docLengths, ...laidOut };
  }

  /**
   * Folds a chunk in term by term, its `terms` then turned into gensim ids in place; false (the chunk not added, its
   * terms left as they were) when a pruning check inside it, or before it, would find more than `pruneAt` ids.
   * `known`: the chunk's numbering's ids and term numbers (see Numbering), given the ids its terms get here.
   */
  private addPostings(chunk: ChunkPostings, known: Int32Array): boolean {
    const { docs, terms, termOffsets, postingDocs } = chunk;
    const count = terms.length;
    if (count > this.fresh.length) this.fresh = new Uint32Array(2 * count);
    if (count > this.ids.length) this.ids = new Uint32Array(2 * count);
    const { ids } = this;
    // each loop over the chunk's terms is a function of its own: optimised on its own, not by on-stack replacement
    // of this one, whose later code had no type feedback yet (it was deoptimised a dozen times per build)
    const freshCount = lookUpIds(terms, known, ids, this.fresh);
    if (!this.numberFresh(chunk, known, freshCount)) return false;
    if (docs > 0 && !this.passChecks(this.numDocs + docs - 1)) return false;
    const { df } = this;
    if (this.half === null && (this.options.threads ?? 1) > 1 && this.documents > 0 && 2 * this.numDocs >= this.documents) {
      this.half = { chunk: this.postings.length, before: df.slice(0, this.size) };
    }
    addDfs(ids, terms, termOffsets, df);
    if (this.numDocs + docs > this.docLengths.length) this.docLengths = grown(this.docLengths, this.numDocs + docs);
    this.docLengths.set(chunk.docLengths, this.numDocs);
    this.numPos += sum(chunk.docLengths);
    this.numNnz += termOffsets[count]!;
    if (chunk.largestTf > this.largestTf) this.largestTf = chunk.largestTf;
    this.postings.push({ docBase: this.numDocs, docs, ids: terms, termOffsets, postingDocs, postingTfs: chunk.postingTfs });
    this.numDocs += docs;
    return true;
  }

  /**
   * Gives the chunk's terms new to the corpus (`fresh[0 .. freshCount)`, positions in its `terms`) their ids,
   * document by document, each document's in code-point order, and interns them in that order (term number = id);
   * false when a pruning check before one of those documents would find more than `pruneAt` ids (the terms of the
   * documents before it have their ids).
   */
  private numberFresh(chunk: ChunkPostings, known: Int32Array, freshCount: number): boolean {
    // ordered by their units as the chunk brought them, then interned together in that order
    const ordered = this.orderFresh(chunk, freshCount, new JoinedRuns(chunk.newTermUnits, chunk.newTermEnds, chunk.firstNewTerm));
    this.internFresh(chunk, known, ordered);
    return ordered === freshCount;
  }

  /**
   * Orders `fresh[0 .. freshCount)` document by document, each document's terms by code point, up to a document
   * before which a pruning check would find more than `pruneAt` ids; the ids given (`size` grows by them) are
   * returned. (Its loop is the whole function: optimised while it runs, by on-stack replacement, it has no code
   * after the loop that would be met without type feedback and deoptimise it.)
   */
  private orderFresh(chunk: ChunkPostings, freshCount: number, runs: JoinedRuns): number {
    const { terms, termOffsets, postingDocs } = chunk;
    const { fresh } = this;
    let ordered = 0;
    // terms come in order of first appearance: the new ones of each document are consecutive
    while (ordered < freshCount) {
      const doc = postingDocs[termOffsets[fresh[ordered]!]!]!;
      let end = ordered + 1;
      while (end < freshCount && postingDocs[termOffsets[fresh[end]!]!] === doc) end++;
      if (!this.passChecks(this.numDocs + doc)) return ordered;
      this.order.sort(fresh, ordered, end, terms, runs);
      this.size += end - ordered;
      ordered = end;
    }
    return ordered;
  }

  /** Interns the chunk's new terms at `fresh[0 .. count)`, in that order: they take the ids `size - count` on. */
  private internFresh(chunk: ChunkPostings, known: Int32Array, count: number): void {
    if (count > this.runStarts.length) {
      this.runStarts = new Uint32Array(2 * count);
      this.runEnds = new Uint32Array(2 * count);
      this.freshIds = new Int32Array(2 * count);
    }
    const { fresh, runStarts, runEnds, freshIds } = this;
    whereRuns(chunk, fresh, count, runStarts, runEnds);
    this.numberOf.internAll(chunk.newTermUnits, runStarts, runEnds, count, freshIds);
    if (this.size > this.df.length) this.growIds(this.size);
    giveIds(chunk.terms, fresh, count, freshIds, this.ids, known);
  }

  /**
   * Interns the chunk's new terms that `known` (its numbering's) still lacks, in their numbering's order: term
   * numbers without ids, for a chunk whose ids a pruning check cut short, and for every chunk once a prune is due.
   */
  private internMissing(chunk: ChunkPostings, known: Int32Array): void {
    const { newTermUnits, newTermEnds, firstNewTerm } = chunk;
    const before = this.numberOf.size;
    for (let j = 0; j < newTermEnds.length; j++) {
      if (known[firstNewTerm + j]! < 0) known[firstNewTerm + j] = this.numberOf.intern(newTermUnits, j > 0 ? newTermEnds[j - 1]! : 0, newTermEnds[j]!);
    }
    const { size } = this.numberOf;
    if (this.bags === null) return;
    if (size > this.idOfTerm.length) this.idOfTerm = grown(this.idOfTerm, size);
    // the terms met for the first time are not in the dictionary
    this.idOfTerm.fill(-1, before, size);
  }

  /**
   * The terms of ids 0 .. size - 1 from the interner's units (8-bit when every unit fits): its pool and starts as they
   * are while nothing is pruned, else copied in id order.
   */
  private vocabulary(): Vocabulary {
    const { size, termOfId, numberOf } = this;
    // while nothing is pruned, term numbers are ids: the interner holds the units in id order already, and its table
    // is the vocabulary's own when sized as the vocabulary sizes it (otherwise that is built in its memory, written
    // all over and spent with the builder)
    if (this.bags === null) {
      const { units, offsets } = numberOf.joined(size);
      const table = numberOf.vocabularyTable(size);
      return table !== null ? new Vocabulary(units, offsets, table) : new Vocabulary(units, offsets, null, numberOf.spareTable());
    }
    const offsets = new Uint32Array(size + 1);
    for (let id = 0; id < size; id++) offsets[id + 1] = offsets[id]! + numberOf.length(termOfId[id]!);
    const units = numberOf.largestUnit <= 0xff ? new Uint8Array(offsets[size]!) : new Uint16Array(offsets[size]!);
    for (let id = 0; id < size; id++) numberOf.copy(termOfId[id]!, units, offsets[id]!);
    return new Vocabulary(units, offsets, null, numberOf.spareTable());
  }

  /** Whether every pruning check up to document `doc` (before it is added) finds at most `pruneAt` ids. */
  private passChecks(doc: number): boolean {
    if (doc < this.nextCheck) return true;
    if (this.size > this.pruneAt) return false;
    this.nextCheck = (Math.floor(doc / PRUNE_CHECK_INTERVAL) + 1) * PRUNE_CHECK_INTERVAL;
    return true;
  }

  /** Starts the dictionary again and adds the chunks kept so far document by document, as gensim does. */
  private replayAsBags(): void {
    // the kept chunks' ids and the numberings' entries are term numbers already: ids were given in term order
    const chunks = this.postings;
    const terms = this.numberOf.size;
    this.idOfTerm = new Int32Array(Math.max(1024, 2 * terms));
    this.idOfTerm.fill(-1, 0, terms);
    this.termOfId = new Uint32Array(this.df.length);
    this.cf = new Float64Array(this.df.length);
    this.postings = [];
    this.bags = [];
    this.half = null;
    this.df.fill(0);
    this.size = 0;
    this.numDocs = 0;
    this.numPos = 0;
    this.numNnz = 0;
    for (const chunk of chunks) this.addBags(bagsOf(chunk.docs, chunk.ids, chunk));
  }

  /** Adds bags document by document with gensim's pruning checks; the bags are kept for `finish`. */
  private addBags(bags: KeptBags): void {
    const { docOffsets, terms, tfs } = bags;
    const docs = docOffsets.length - 1;
    for (let doc = 0; doc < docs; doc++) {
      if (this.numDocs % PRUNE_CHECK_INTERVAL === 0 && this.size > this.pruneAt) this.prune();
      const start = docOffsets[doc]!;
      const end = docOffsets[doc + 1]!;
      if (end - start > this.fresh.length) this.fresh = new Uint32Array(2 * (end - start));
      const { idOfTerm, fresh } = this;
      let freshCount = 0;
      let length = 0;
      for (let p = start; p < end; p++) {
        const tf = tfs[p]!;
        length += tf;
        const id = idOfTerm[terms[p]!]!;
        if (id < 0) {
          fresh[freshCount++] = p;
          continue;
        }
        this.df[id]!++;
        this.cf[id]! += tf;
      }
      this.order.sort(fresh, 0, freshCount, terms, this.numberOf);
      for (let k = 0; k < freshCount; k++) {
        const p = fresh[k]!;
        const id = this.newId(terms[p]!);
        this.df[id] = 1;
        this.cf[id] = tfs[p]!;
      }
      this.numPos += length;
      this.numNnz += end - start;
      this.numDocs++;
    }
    this.bags!.push(bags);
  }

  /** The chunk's numbering, extended by the chunk's new terms. */
  private numbering(chunk: ChunkPostings): Numbering {
    let numbering = this.numberings.get(chunk.numbering);
    if (numbering === undefined) {
      if (this.numberings.size === 0) this.reserve(chunk);
      // shared for the same reason as the interner's tables: ~1.6 MB per analysis worker's numbering
      numbering = { terms: new Int32Array(new SharedArrayBuffer(4 * Math.max(1024, this.expectedTerms))), count: 0 };
      this.numberings.set(chunk.numbering, numbering);
    }
    if (chunk.firstNewTerm !== numbering.count) {
      throw new Error(`BM25 chunk of numbering ${chunk.numbering} starts at term ${chunk.firstNewTerm}, expected ${numbering.count}`);
    }
    const { newTermUnits, newTermEnds } = chunk;
    const count = numbering.count + newTermEnds.length;
    if (count > numbering.terms.length) numbering.terms = grown(numbering.terms, count);
    // a term new to the corpus is interned when it takes its id (numberFresh), or at once once a prune is due
    this.numberOf.lookUpAll(newTermUnits, newTermEnds, numbering.terms, numbering.count);
    numbering.count = count;
    if (this.bags !== null) this.internMissing(chunk, numbering.terms);
    return numbering;
  }

  /**
   * Sizes the term tables from the corpus's first chunk by Heaps' law, distinct terms ~ tokens^beta, with beta = 0.5
   * at the low end of what text shows (0.5-0.7; the bench's biology-sized corpus: 209k estimated from its first
   * chunk, 234k in all), so that an estimate rarely overshoots: a corpus that brings more terms grows from there.
   * The tables filled in order (ids, numberings, term numbers, the interner's units) get twice that: a page of them
   * costs only once it is first written, so room past the last term is free, while growing past the estimate copies
   * the table into fresh pages.
   */
  private reserve(first: ChunkPostings): void {
    if (this.documents === 0 || first.docs === 0 || first.newTermEnds.length === 0) return;
    const terms = Math.min(MAX_RESERVED_TERMS, Math.ceil(first.newTermEnds.length * Math.sqrt(this.documents / first.docs)));
    this.expectedTerms = 2 * terms;
    // nothing is interned before the first chunk: a table of the expected size replaces the empty one, shared so
    // that its reservation is not counted against the main thread's old generation (see Utf16Interner)
    this.numberOf = new Utf16Interner(terms, 2 * terms, true);
    if (2 * terms > this.df.length) this.growIds(2 * terms);
  }

  /** The next gensim id once a prune is due, given to term number `term` (its df and cf are the caller's). */
  private newId(term: number): number {
    const id = this.size++;
    if (id === this.df.length) this.growIds(id + 1);
    this.idOfTerm[term] = id;
    this.termOfId[id] = term;
    return id;
  }

  /** Room for at least `ids` gensim ids in the tables kept per id. */
  private growIds(ids: number): void {
    this.df = grown(this.df, ids);
    if (this.bags === null) return;
    this.cf = grown(this.cf, ids);
    this.termOfId = grown(this.termOfId, ids);
  }

  /** gensim's `filter_extremes` at a pruning check. */
  private prune(): void {
    const { termOfId, df, cf, idOfTerm, size } = this;
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
  }
}

/**
 * Writes the gensim id of each of a chunk's `terms` (numbers of the numbering `known` describes) to `ids`; a term new
 * to the corpus (no id yet) gets its position in `fresh` instead. Returns how many such positions.
 */
function lookUpIds(terms: Uint32Array, known: Int32Array, ids: Uint32Array, fresh: Uint32Array): number {
  let freshCount = 0;
  for (let i = 0; i < terms.length; i++) {
    const id = known[terms[i]!]!;
    // written whatever it is (a new term's is replaced once it has its id): in a first chunk every term is new, and
    // a store met only later would drop the optimised loop
    ids[i] = id;
    if (id < 0) fresh[freshCount++] = i;
  }
  return freshCount;
}

/** Where the units of the chunk's terms at `fresh[0 .. count)` lie in its `newTermUnits`. */
function whereRuns(chunk: ChunkPostings, fresh: Uint32Array, count: number, starts: Uint32Array, ends: Uint32Array): void {
  const { terms, newTermEnds, firstNewTerm } = chunk;
  for (let k = 0; k < count; k++) {
    const j = terms[fresh[k]!]! - firstNewTerm;
    starts[k] = j > 0 ? newTermEnds[j - 1]! : 0;
    ends[k] = newTermEnds[j]!;
  }
}

/** The ids `freshIds[k]` of the chunk's terms at `fresh[k]`, into its `ids` and its numbering's `known`. */
function giveIds(terms: Uint32Array, fresh: Uint32Array, count: number, freshIds: Int32Array, ids: Uint32Array, known: Int32Array): void {
  for (let k = 0; k < count; k++) {
    const i = fresh[k]!;
    ids[i] = freshIds[k]!;
    known[terms[i]!] = freshIds[k]!;
  }
}

/** Turns a chunk's `terms` into their `ids` and adds each one's postings to its df. */
function addDfs(ids: Uint32Array, terms: Uint32Array, termOffsets: Uint32Array, df: Uint32Array): void {
  for (let i = 0; i < terms.length; i++) {
    const id = ids[i]!;
    terms[i] = id;
    df[id]! += termOffsets[i + 1]! - termOffsets[i]!;
  }
}

/** The float64 sum of `values` in index order, as gensim's `sum(dictionary.cfs.values())` adds them. */
function sumInOrder(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}

function sum(values: Uint32Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}

/** The index of chunks already at hand, in corpus order. */
export function buildAnalyzedIndex(chunks: Iterable<ChunkPostings>, pruneAt = GENSIM_PRUNE_AT): AnalyzedIndex {
  const builder = new AnalyzedIndexBuilder(pruneAt);
  for (const chunk of chunks) builder.add(chunk);
  return builder.finish();
}

/** A term-major chunk's bags back in document order (a counting sort by document), over `terms`. */
function bagsOf(docs: number, terms: Uint32Array, chunk: Pick<ChunkPostings, 'termOffsets' | 'postingDocs' | 'postingTfs'>): KeptBags {
  const { termOffsets, postingDocs, postingTfs } = chunk;
  const docOffsets = new Uint32Array(docs + 1);
  for (let p = 0; p < postingDocs.length; p++) docOffsets[postingDocs[p]! + 1]!++;
  for (let doc = 0; doc < docs; doc++) docOffsets[doc + 1]! += docOffsets[doc]!;
  const cursor = docOffsets.slice(0, docs);
  const bagTerms = new Uint32Array(postingDocs.length);
  const tfs = postingTfs.slice();
  for (let i = 0; i < terms.length; i++) {
    for (let p = termOffsets[i]!; p < termOffsets[i + 1]!; p++) {
      const at = cursor[postingDocs[p]!]!++;
      bagTerms[at] = terms[i]!;
      tfs[at] = postingTfs[p]!;
    }
  }
  return { docOffsets, terms: bagTerms, tfs };
}

/** `doc2bow` of every document against the final dictionary, laid out as postings (a counting sort by term). */
function bagDocuments(
  chunks: readonly KeptBags[],
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

/** Lays the documents' in-dictionary tokens out by term, `counts[id]` postings for id. */
function postings(
  chunks: readonly KeptBags[],
  idOfTerm: Int32Array,
  counts: Uint32Array,
  docLengths: Uint32Array,
  largestTf: number,
): Pick<AnalyzedIndex, 'docLengths' | 'termOffsets' | 'postingDocs' | 'postingTfs'> {
  const { termOffsets, postingDocs, postingTfs } = postingsLayout(counts, largestTf, docLengths.length);
  const cursor = cursorOf({ termOffsets });
  let doc = 0;
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

/**
 * Room for `counts[id]` postings per id of a corpus of `numDocs` rows, laid out id after id. On SharedArrayBuffers
 * (which cost the same), so that a large search's workers read them without a copy (parallel-search.ts).
 */
function postingsLayout(counts: Uint32Array, largestTf: number, numDocs: number): Pick<AnalyzedIndex, 'termOffsets' | 'postingDocs' | 'postingTfs'> {
  const size = counts.length;
  const termOffsets = new Uint32Array(new SharedArrayBuffer(4 * (size + 1)));
  for (let id = 0; id < size; id++) termOffsets[id + 1] = termOffsets[id]! + counts[id]!;
  const nnz = termOffsets[size]!;
  const postingDocs = numDocs <= ROWS_16_BIT ? new Uint16Array(new SharedArrayBuffer(2 * nnz)) : new Uint32Array(new SharedArrayBuffer(4 * nnz));
  return { termOffsets, postingDocs, postingTfs: narrowCounts(nnz, largestTf, true) };
}

/**
 * A write cursor at each id's first posting of a layout, for the thread that copies postings into it from the start:
 * made only there (the workers that merge the two halves of a built index keep their own), as it is fresh memory
 * (~0.9 MB on biology-sized: ~230 page faults on the main thread).
 */
function cursorOf({ termOffsets }: Pick<AnalyzedIndex, 'termOffsets'>): Uint32Array {
  return termOffsets.slice(0, termOffsets.length - 1);
}

/**
 * The dfs in 16 bits when every one fits, as the index cache stores them (a corpus of at most 65,535 documents
 * always): the cache writes them as they are, and built and cached indexes give scoring the same array type. On a
 * SharedArrayBuffer, as an index's documents' lengths are: the search workers of a built index read them where they
 * are (parallel-search.ts sendIndex), where each worker was sent a copy (a copy made, then copied again into it).
 */
function narrowDfs(df: Uint32Array, numDocs: number): Uint16Array | Uint32Array {
  // no df exceeds the documents: up to 65,535 of them, every one fits without a look (the loop, run once with its code
  // still cold, was ~9 ms of the main thread's CPU on a biology-sized vocabulary)
  let largest = numDocs;
  if (largest > 0xffff) largest = largestOf(df);
  const narrow = largest <= 0xffff ? new Uint16Array(new SharedArrayBuffer(2 * df.length)) : new Uint32Array(new SharedArrayBuffer(4 * df.length));
  narrow.set(df);
  return narrow;
}

function largestOf(values: Uint32Array): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > largest) largest = values[i]!;
  return largest;
}

/**
 * Settles when the worker has copied its chunks' postings; rejects with its failure. Its listeners go with the
 * reply: a kept analysis worker goes on to the search.
 */
function mergeReply(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (failure?: Error) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (failure === undefined) resolve();
      else reject(failure);
    };
    const onMessage = (reply: MergeReply) => settle('error' in reply ? new Error(`BM25 merge worker: ${reply.error}`) : undefined);
    // a crash (an uncaught exception in the worker) is named as a failed reply is
    const onError = (error: Error) => settle(new Error(`BM25 merge worker: ${error.message}`, { cause: error }));
    const onExit = (code: number) => settle(new Error(`BM25 merge worker exited with code ${code} before finishing`));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

/**
 * The chunks' arrays, each on a buffer that the worker can be given rather than sent a copy of: the analysis
 * workers send them shared, and shared they go on; an unshared array that is a view of a larger buffer, or of one
 * `kept` (this thread's chunks) also uses, is copied first (a moved buffer is detached from this thread).
 */
function movable(chunks: readonly IdRuns[], kept: readonly IdRuns[]): IdRuns[] {
  const keptBuffers = new Set(kept.flatMap(({ ids, termOffsets, postingDocs, postingTfs }) => [ids.buffer, termOffsets.buffer, postingDocs.buffer, postingTfs.buffer]));
  const moved = new Set<ArrayBufferLike>();
  const own = <T extends Uint8Array | Uint16Array | Uint32Array>(array: T): T => {
    const { buffer } = array;
    // the analysis workers' arrays are shared: the worker is given them as they are, nothing to move or copy
    if (buffer instanceof SharedArrayBuffer) return array;
    const whole = buffer instanceof ArrayBuffer && array.byteOffset === 0 && array.byteLength === buffer.byteLength;
    if (!whole || keptBuffers.has(buffer) || moved.has(buffer)) return array.slice() as T;
    moved.add(buffer);
    return array;
  };
  return chunks.map(({ docBase, ids, termOffsets, postingDocs, postingTfs }) => ({
    docBase,
    ids: own(ids),
    termOffsets: own(termOffsets),
    postingDocs: own(postingDocs),
    postingTfs: own(postingTfs),
  }));
}

function grown<T extends Int32Array | Uint32Array | Float64Array>(array: T, minimum: number): T {
  const copy = new (array.constructor as new (length: number) => T)(Math.max(minimum, 2 * array.length));
  copy.set(array as ArrayLike<number>);
  return copy;
}
