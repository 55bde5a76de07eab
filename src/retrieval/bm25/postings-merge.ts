import type { NarrowCounts } from './narrow-counts.js';

/** A chunk's postings laid out by term, each run (a term's postings in the chunk) named by its gensim id. */
export interface IdRuns {
  /** Corpus row of the chunk's document 0. */
  docBase: number;
  /** Gensim id of each run. */
  ids: Uint32Array;
  /** Run i is `postingDocs/postingTfs[termOffsets[i] .. termOffsets[i + 1])`, documents ascending. */
  termOffsets: Uint32Array;
  postingDocs: NarrowCounts;
  postingTfs: NarrowCounts;
}

/**
 * What a merge worker (or an idle analysis worker) is sent: consecutive chunks of a corpus, and the index's postings
 * to copy them into.
 */
export interface MergeRequest {
  chunks: IdRuns[];
  /** The index's `termOffsets` (shared). */
  termOffsets: Uint32Array;
  /** Postings of each id in the chunks before these (ids past its end have none: empty for the first chunks). */
  before: Uint32Array;
  postingDocs: Uint16Array | Uint32Array;
  postingTfs: NarrowCounts;
}

export type MergeReply = { done: true } | { error: string };

/**
 * Copies each chunk's runs into place, chunk after chunk: the run of id `ids[i]` goes to `cursor[id]` onwards and
 * the cursor moves past it, so that an id's postings from consecutive chunks follow each other, documents ascending.
 */
export function scatterRuns(
  chunks: readonly IdRuns[],
  cursor: Uint32Array,
  postingDocs: Uint16Array | Uint32Array,
  postingTfs: NarrowCounts,
): void {
  for (const chunk of chunks) scatterChunk(chunk, cursor, postingDocs, postingTfs);
}

/**
 * One chunk's runs, a function of its own: its loop is compiled on the stack during the first chunk, and a loop
 * around it (over the chunks) would then have had no feedback for its next step, which threw the compiled code away
 * (a deoptimisation and a second compile in every thread that copies).
 */
function scatterChunk(
  { docBase, ids, termOffsets: offsets, postingDocs: docs, postingTfs: tfs }: IdRuns,
  cursor: Uint32Array,
  postingDocs: Uint16Array | Uint32Array,
  postingTfs: NarrowCounts,
): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    let at = cursor[id]!;
    const end = offsets[i + 1]!;
    for (let p = offsets[i]!; p < end; p++, at++) {
      postingDocs[at] = docBase + docs[p]!;
      postingTfs[at] = tfs[p]!;
    }
    cursor[id] = at;
  }
}

/** Copies the request's chunks into place; the reply says whether it did. */
export function answerMerge({ chunks, termOffsets, before, postingDocs, postingTfs }: MergeRequest): MergeReply {
  try {
    scatterRuns(chunks, cursorAfter(termOffsets, before), postingDocs, postingTfs);
    return { done: true };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The cursor of chunks that follow others: each id's first posting, past the `before[id]` of the earlier chunks. */
export function cursorAfter(termOffsets: Uint32Array, before: Uint32Array): Uint32Array {
  const cursor = termOffsets.slice(0, termOffsets.length - 1);
  for (let id = 0; id < before.length; id++) cursor[id]! += before[id]!;
  return cursor;
}
