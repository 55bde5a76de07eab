import { afterEach, describe, expect, it, vi } from 'vitest';
import { webAssembly } from '../../src/core/wasm-module.js';
import { indexOfTokens } from './bm25-index-builds.js';

describe('the search side of a ranking worker', () => {
  afterEach(() => vi.restoreAllMocks());

  it('compiles ahead (compileScoring) every WebAssembly module the first query needs: that query then compiles none', async () => {
    // fresh module instances: nothing compiled by an earlier test
    vi.resetModules();
    const { compileScoring } = await import('../../src/retrieval/bm25/search-responder.js');
    const { LuceneBm25Model } = await import('../../src/retrieval/bm25/lucene-bm25-model.js');
    const { QueryCandidates } = await import('../../src/retrieval/bm25/query-candidates.js');
    const documents = Array.from({ length: 300 }, (_, doc) => Array.from({ length: 12 }, (_, i) => `t${(doc * 7 + i * 13) % 90}`));
    // an analysis worker's model, scoring in its analyzer's (unshared) memory, as the worker that compiles ahead does
    const model = new LuceneBm25Model(indexOfTokens(documents), 0.9, 0.4, new webAssembly.Memory({ initial: 1 }));
    // the query vector is made on the main thread (its logarithms' module among what that compiles)
    const vector = model.vectorize(['t1', 't7', 't7', 't40', 'absent']);
    const compiled = vi.spyOn(webAssembly, 'Module');
    compileScoring();
    expect(compiled.mock.calls.length).toBeGreaterThanOrEqual(2);
    compiled.mockClear();
    const candidates = new QueryCandidates(model).of('q', vector, 20);
    expect(candidates.docIndices).toHaveLength(20);
    expect(compiled).not.toHaveBeenCalled();
  });
});
