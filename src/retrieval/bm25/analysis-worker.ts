import { parentPort } from 'node:worker_threads';
import type { StoredTexts } from '../../core/types.js';
import { readStoredUtf8 } from '../../dataset/parquet-texts.js';
import { Utf8Sink } from '../../dataset/utf8-values.js';
import { ChunkAnalyzer } from './chunk-analysis.js';
import type { ChunkPostings } from './chunk-postings.js';
import type { SearchMessage, SearchRequest } from './parallel-search.js';
import { answerMerge, type MergeRequest } from './postings-merge.js';

/**
 * Worker entry: analyzes the chunks it is sent, one at a time, lays each out by term and transfers the arrays back.
 * A chunk comes as its texts, or as a range of row groups of the documents file, which the worker decodes itself into
 * the UTF-8 bytes the analyzer reads (no JS string per text: making them, and collecting the strings a chunk kept
 * alive, cost a worker about as much as decompressing the pages).
 * Once the analysis is over, the same worker may be sent chunks' postings to copy into the index's shared postings
 * (gensim-dictionary.ts `finishInParallel`), then the index and queries to rank (parallel-search.ts): its scoring
 * modules load only then, or once its last chunk is answered when it is told that no chunk follows (`SearchAhead`).
 */
/** Row groups `first` to `end - 1` of the stored texts. */
export interface StoredChunk {
  stored: StoredTexts;
  first: number;
  end: number;
}
export type ChunkSource = { texts: string[] } | StoredChunk;
/**
 * `expectedUnits`: UTF-16 units this worker is expected to analyze in all (its share of the corpus), when known:
 * its token tables then start at their final size instead of doubling their way there.
 */
export type ChunkRequest = { chunk: number; expectedUnits?: number } & ChunkSource;

/** A failure as it crosses back: a harness error keeps its code and exit code (a corrupt page is still exit 3). */
export interface ChunkFailure {
  message: string;
  stack?: string;
  code?: string;
  exitCode?: number;
}

export type ChunkReply = { chunk: number; postings: ChunkPostings } | { chunk: number; error: ChunkFailure };

/** Dropped once the worker turns to the search: its tables (the largest part of its heap) are no longer needed. */
let analyzer: ChunkAnalyzer | null = new ChunkAnalyzer();
/** Where a stored chunk's texts are read, memory reused from chunk to chunk (so chunks are answered one at a time). */
const utf8 = new Utf8Sink();

async function answer(request: ChunkRequest): Promise<void> {
  try {
    let postings: ChunkPostings;
    if ('texts' in request) {
      postings = analyzer!.postings(request.texts, request.expectedUnits);
    } else {
      const { bytes, offsets } = await readStoredUtf8(request.stored, request.first, request.end, utf8);
      postings = analyzer!.postingsUtf8(bytes, offsets, request.expectedUnits);
    }
    const { newTermUnits, newTermEnds, docLengths, terms, termOffsets, postingDocs, postingTfs } = postings;
    // shared arrays (chunk-analysis.ts: sharedCopy) are shared, not moved: a transfer list may not name them
    const transfer = [newTermUnits.buffer, newTermEnds.buffer, docLengths.buffer, terms.buffer, termOffsets.buffer, postingDocs.buffer, postingTfs.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    parentPort!.postMessage({ chunk: request.chunk, postings } satisfies ChunkReply, transfer);
  } catch (error) {
    const { message, stack, code, exitCode } = error as { message?: unknown; stack?: unknown; code?: unknown; exitCode?: unknown };
    const failure: ChunkFailure = { message: typeof message === 'string' ? message : String(error) };
    if (typeof stack === 'string') failure.stack = stack;
    if (typeof code === 'string' && typeof exitCode === 'number') Object.assign(failure, { code, exitCode });
    parentPort!.postMessage({ chunk: request.chunk, error: failure } satisfies ChunkReply);
  }
}

/**
 * Tells a worker that will rank the index it analyzes that no chunk follows those it was sent: once it has answered
 * them it loads the search side's modules and compiles the scoring's WebAssembly (~30 ms on the VM), while it waits
 * for the merge and the index instead of after the index has come.
 */
export interface SearchAhead {
  searchAhead: true;
}

/** The search side's module, loaded once the analysis is over (told ahead, or by the index itself). */
let searchSide: Promise<typeof import('./search-responder.js')> | null = null;
const loadSearchSide = () => (searchSide ??= import('./search-responder.js'));
/** The search side, once the index has come: queries wait for it in the order they arrive. */
let searches: Promise<(request: SearchRequest) => void> | null = null;
/** The chunk being answered: the next waits for it (answer never rejects). */
let answering = Promise.resolve();

parentPort?.on('message', (message: ChunkRequest | MergeRequest | SearchAhead | SearchMessage) => {
  // the analysis is over before a merge is asked for: every chunk has been answered
  if ('chunks' in message) parentPort!.postMessage(answerMerge(message));
  // a failed load fails the search once the index comes (the main thread listens for that), not now
  else if ('searchAhead' in message) answering = answering.then(() => void loadSearchSide().then(({ compileScoring }) => compileScoring()).catch(() => undefined));
  else if ('search' in message) {
    // the analyzer's memory, its pages touched already, becomes the scores' and weights': a first touch costs ~12 us
    // per 4 KiB page here, and the weights of the terms this worker's queries use fill a few thousand pages
    const memory = analyzer!.memory;
    analyzer = null;
    searches = loadSearchSide().then(({ searchResponder }) => searchResponder(message.search, memory));
  }
  else if ('queryId' in message) void searches!.then((respond) => respond(message));
  else answering = answering.then(() => answer(message));
});
