import path from 'node:path';
import type { Query } from '../../src/core/types.js';
import { fixtures, readJsonLines } from './golden-files.js';

/** The golden BM25 fixture (BRIGHT's pipeline on a BRIGHT-shaped corpus), shared by the BM25 test files. */

export const bm25Fixture = (file: string) => path.join(fixtures, 'bm25', file);

export interface GoldenQuery {
  id: string;
  query: string;
  excluded_ids: string[];
}

export const goldenCorpusRows = readJsonLines<{ id: string; content: string }>(bm25Fixture('corpus.jsonl.gz'));
export const goldenQueryRows = readJsonLines<GoldenQuery>(bm25Fixture('queries.jsonl'));

/** The golden queries as the pipeline takes them ("N/A" means no excluded id). */
export const goldenQueries: Query[] = goldenQueryRows.map((query) => ({
  id: query.id,
  text: query.query,
  goldIds: [],
  goldIdsLong: [],
  excludedIds: query.excluded_ids.filter((id) => id !== 'N/A'),
}));
