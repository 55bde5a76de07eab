/** Domain types shared across the pipeline: dataset -> retrieval -> eval -> report. */

/** One BRIGHT query with its judgments. `excludedIds` never contains the "N/A" placeholder. */
export interface Query {
  id: string;
  text: string;
  goldIds: string[];
  goldIdsLong: string[];
  excludedIds: string[];
}

/** Documents in Hugging Face row order (row order decides ties). */
export interface Corpus {
  ids: string[];
  texts: string[];
}

/** qid -> docid -> relevance (integer). */
export type Qrels = Map<string, Map<string, number>>;

export interface RankedDoc {
  docId: string;
  score: number;
}

/** qid -> documents in rank order. */
export type Run = Map<string, RankedDoc[]>;

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

export interface RetrievalInput {
  task: string;
  corpus: Corpus;
  /** Content hash of the corpus file(s), for content-addressed caches. */
  corpusSha256: string;
  queries: Query[];
  /** How many non-excluded documents the run will keep per query. */
  depth: number;
  signal?: AbortSignal;
}

export interface Retriever {
  readonly name: string;
  /** Parameters recorded in the manifest (k1, b, model, instructions...). */
  readonly parameters: Record<string, unknown>;
  retrieve(input: RetrievalInput): AsyncIterable<Candidates>;
  /** The embedding cache entries a task was scored from (manifest provenance; `export --format bright` copies them). */
  embeddingKeys?(task: string): { document: string; query: string } | undefined;
}
