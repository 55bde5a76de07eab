/** Domain types shared across the pipeline: dataset -> retrieval (index, search) -> eval -> report. */
import type { CorpusIds } from './corpus-ids.js';
import type { StartProgress } from './progress.js';

/** One BRIGHT query with its judgments. `excludedIds` never contains the "N/A" placeholder. */
export interface Query {
  id: string;
  text: string;
  goldIds: string[];
  goldIdsLong: string[];
  excludedIds: string[];
}

/** Documents in Hugging Face row order (row order decides ties), held in memory. */
export interface Corpus {
  ids: string[];
  texts: string[];
}

/** Consecutive document texts starting at row `start`. */
export interface TextBatch {
  start: number;
  texts: string[];
}

/**
 * A corpus as the index stage sees it: the ids (cheap, always decoded) and the texts as a stream that is only
 * read when something must be built, so an index-cache hit never decodes a document text.
 */
export interface CorpusSource {
  /** The document ids in row order, as UTF-8 bytes (a string each only where one is asked for). */
  readonly ids: CorpusIds;
  /** Texts in row order from row `from` (default 0) on, one batch per parquet row group; each call reads afresh. */
  texts(options?: { from?: number; signal?: AbortSignal }): AsyncIterable<TextBatch>;
  /**
   * Where the texts are stored, when they are one string column of a local parquet file: a reader on another
   * thread can then decode the row groups it needs from the file itself (dataset/parquet-texts.ts), instead of
   * being sent texts decoded here.
   */
  readonly stored?: StoredTexts;
}

/** A parquet file's text column, row group by row group (see CorpusSource.stored). */
export interface StoredTexts {
  path: string;
  /** What error messages call the file, as the loader does. */
  label: string;
  column: string;
  rows: number;
  /** The file's size and modification time when the loader opened it. */
  file: { size: number; mtimeMs: number };
  /**
   * Row groups in order: first row, rows, the column chunk's uncompressed bytes, and where the chunk lies when it
   * is a flat string chunk (dataset/flat-strings.ts): a reader that finds the file as the loader did decodes it
   * from there without parsing the file's footer again.
   */
  groups: ReadonlyArray<{ rowStart: number; rows: number; bytes: number; chunk?: FlatChunk }>;
}

/** A flat string column chunk of a parquet file: where it lies and how it is coded (dataset/flat-strings.ts). */
export interface FlatChunk {
  start: number;
  length: number;
  snappy: boolean;
  optional: boolean;
}

/** qid -> docid -> relevance (integer). */
export type Qrels = Map<string, Map<string, number>>;

/**
 * A retriever's scores for one query. `docIndices` lists the corpus rows that were scored; `null` means every
 * row, in row order. A partial list must contain every document that can reach the requested depth once the
 * query's excluded ids are removed.
 */
export interface Candidates {
  queryId: string;
  docIndices: Uint32Array | null;
  scores: Float32Array;
}

/** Which data a run is about; cached index artefacts are keyed by it. */
export interface DatasetIdentity {
  repo: string;
  /** Resolved 40-hex commit, or 'local' for a --data-dir mirror. */
  revision: string;
  /** Content hash of the corpus file. */
  corpusSha256: string;
}

/**
 * Everything about one task's run that a stage needs, built once from the loaded task and handed to both stages,
 * so no setting reaches a retriever twice.
 */
export interface TaskContext {
  task: string;
  dataset: DatasetIdentity;
  /** Long-document setting (long_documents corpus; instructions may differ). */
  long: boolean;
  signal?: AbortSignal;
  /** Starts a progress bar; the caller decides whether and where bars are drawn. */
  progress: StartProgress;
}

/** Part i of n of an index, built by one `reasonir encode --shard i/n` run. */
export interface Slice {
  index: number;
  count: number;
}

/** What building one slice did: rows are corpus rows, `[start, end)` the slice's range. */
export interface SliceReport {
  start: number;
  end: number;
  /** Rows of the slice encoded by this call (the rest were cached already). */
  built: number;
  /** Rows of the whole corpus present in the cache afterwards. */
  cachedRows: number;
  totalRows: number;
  /** Rows per cache chunk: slices are made of whole chunks, so a corpus has at most ceil(rows / chunkRows). */
  chunkRows: number;
  /** The whole index is assembled and ready for search. */
  complete: boolean;
}

/**
 * Retrieval in two stages. `index` turns a corpus into a content-addressed, cached artefact (BM25 postings, dense
 * embeddings), loading it when cached and building what is missing; `search` ranks queries against it.
 */
/** A corpus file before its rows are read: its content hash (the key of cached indexes) and row count. */
export interface CorpusFileInfo {
  sha256: string;
  rows: number;
  /** Where the texts are stored (the corpus's `stored`), for work that may start before the ids are decoded. */
  stored?: StoredTexts;
}

export interface Retriever<Index = unknown> {
  readonly name: string;
  /** Parameters recorded in the manifest (k1, b, model, instructions...). */
  readonly parameters: Record<string, unknown>;
  index(corpus: CorpusSource, context: TaskContext): Promise<Index>;
  /**
   * Resolves once what the stages left running when they returned has ended (BM25: the index's cache file, written
   * while the search ranks; the threads the search stops). Never rejects: a failure there is only warned about. A
   * caller awaits it before it ends (the CLI exits the process right after), and before it looks for the cache file.
   */
  settled?(): Promise<void>;
  /**
   * Told as soon as the task's corpus file is known (content hash and row count), before its ids are decoded: a
   * retriever may start reading what it has cached for that corpus meanwhile. `index` still checks all it uses.
   */
  prefetch?(corpus: CorpusFileInfo): void;
  /**
   * Told the queries the search will rank before the index stage starts: a retriever may work on them while that
   * stage waits on other threads or on a read (BM25 analyzes them). `search` is still given them.
   */
  prepareSearch?(queries: readonly Query[]): void;
  /**
   * Builds and caches only this slice of the index (`reasonir encode --shard`); absent when the index cannot be
   * built in parts.
   */
  indexSlice?(corpus: CorpusSource, context: TaskContext, slice: Slice): Promise<SliceReport>;
  /** `depth`: how many non-excluded documents the run will keep per query. */
  search(index: Index, queries: readonly Query[], depth: number, context: TaskContext): AsyncIterable<Candidates>;
  /** The embedding cache entries a task was scored from (manifest provenance; `export --format bright` copies them). */
  embeddingKeys?(task: string): { document: string; query: string } | undefined;
}
