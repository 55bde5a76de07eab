import { describe, expect, it } from 'vitest';
import type { Candidates } from '../../src/core/types.js';
import { buildRankedList } from '../../src/eval/build-run.js';
import { Bm25Retriever } from '../../src/retrieval/bm25/bm25-retriever.js';
import { retrieve } from '../../src/pipeline/retrieve.js';

describe('BM25 over a corpus with a repeated document id', () => {
  it('ranks the id once, at its first row with its last row\'s score, as BRIGHT\'s {docid: score} dict does', async () => {
    // "x" first matches the query, then reappears (last) with text that does not: BRIGHT keeps score 0 for it
    const ids = ['x', 'z1', 'z2', 'z3', 'z4', 'x', 'y'];
    const texts = ['apple banana', 'cherry', 'cherry', 'cherry', 'cherry', 'cherry', 'apple'];
    const retriever = new Bm25Retriever({ cacheDir: null, threads: 1 });
    const candidates: Candidates[] = [];
    for await (const item of retrieve(retriever, {
      task: 'test',
      corpus: { ids, texts },
      corpusSha256: 'duplicate-ids-test',
      queries: [{ id: 'q', text: 'apple', goldIds: [], goldIdsLong: [], excludedIds: [] }],
      depth: 2,
    })) {
      candidates.push(item);
    }
    const ranked = buildRankedList(candidates[0]!, ids, [], 2);
    expect(ranked.docIds()).toEqual(['y', 'x']);
    expect(ranked.scores[1]).toBe(0);
  });
});
