import { describe, expect, it } from 'vitest';
import { compareCodePoints } from '../../src/core/code-point-order.js';
import { analyze } from '../../src/retrieval/analyzer/analyze.js';
import { ChunkAnalyzer } from '../../src/retrieval/bm25/chunk-analysis.js';
import { chunkPostings } from '../../src/retrieval/bm25/chunk-postings.js';
import { AnalyzedIndexBuilder } from '../../src/retrieval/bm25/gensim-dictionary.js';
import { LuceneBm25Model } from '../../src/retrieval/bm25/lucene-bm25-model.js';
import { chunksOfTokens, comparable, indexOfChunks, indexOfTokens, postingCfs, sumInOrder } from './bm25-index-builds.js';

describe('gensim Dictionary pruning (prune_at) emulation', () => {
  /** A literal transcription of gensim's Dictionary.add_documents / doc2bow / filter_extremes / compactify. */
  function gensimReference(documents: string[][], pruneAt: number) {
    let token2id = new Map<string, number>();
    let dfs = new Map<number, number>();
    let cfs = new Map<number, number>();
    let numDocs = 0;
    let numPos = 0;
    const byCodePoint = (a: string, b: string) => {
      const x = [...a].map((c) => c.codePointAt(0)!);
      const y = [...b].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    documents.forEach((document, docno) => {
      if (docno % 10000 === 0 && token2id.size > pruneAt) {
        const good = [...token2id.values()].sort((a, b) => (dfs.get(b) ?? 0) - (dfs.get(a) ?? 0)).slice(0, pruneAt);
        const keep = new Set(good);
        const kept = [...token2id].filter(([, id]) => keep.has(id));
        const idmap = new Map([...kept.map(([, id]) => id)].sort((a, b) => a - b).map((id, i) => [id, i]));
        token2id = new Map(kept.map(([token, id]) => [token, idmap.get(id)!]));
        dfs = new Map([...dfs].filter(([id]) => keep.has(id)).map(([id, f]) => [idmap.get(id)!, f]));
        cfs = new Map([...cfs].filter(([id]) => keep.has(id)).map(([id, f]) => [idmap.get(id)!, f]));
      }
      const counter = new Map<string, number>();
      for (const w of document) counter.set(w, (counter.get(w) ?? 0) + 1);
      for (const w of [...counter.keys()].filter((w) => !token2id.has(w)).sort(byCodePoint)) token2id.set(w, token2id.size);
      numDocs++;
      for (const [w, f] of counter) {
        const id = token2id.get(w)!;
        numPos += f;
        cfs.set(id, (cfs.get(id) ?? 0) + f);
        dfs.set(id, (dfs.get(id) ?? 0) + 1);
      }
    });
    const terms: string[] = [];
    for (const [token, id] of token2id) terms[id] = token;
    return {
      terms,
      df: terms.map((_, id) => dfs.get(id)!),
      cf: terms.map((_, id) => cfs.get(id)!),
      numDocs,
      numPos,
      docLengths: documents.map((document) => document.filter((token) => token2id.has(token)).length),
    };
  }

  it('prunes at the 10,000-document checks exactly like gensim (df ties to the smaller id, later re-entry)', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const vocabulary = Array.from({ length: 3000 }, (_, i) => `t${i.toString(36)}${i % 7 === 0 ? '𐐨' : i % 11 === 0 ? '\uffe0' : ''}`);
    const documents = Array.from({ length: 35000 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 6) }, () => vocabulary[Math.floor(vocabulary.length * random() ** 3)]!),
    );
    const pruneAt = 400;
    const reference = gensimReference(documents, pruneAt);
    const index = indexOfTokens(documents, pruneAt);
    expect(index.vocabulary.size).toBeLessThan(new Set(documents.flat()).size);
    expect(index.vocabulary.terms()).toEqual(reference.terms);
    expect([...index.df]).toEqual(reference.df);
    // the cfs counted since each term last entered the dictionary, added up in id order
    expect(Object.is(index.cfSum, sumInOrder(reference.cf))).toBe(true);
    expect(index.cfSum).toBeLessThan(index.numPos);
    expect(index.numDocs).toBe(reference.numDocs);
    expect(index.numPos).toBe(reference.numPos);
    expect([...index.docLengths]).toEqual(reference.docLengths);
    const sumCf = reference.cf.reduce((sum, cf) => sum + cf, 0);
    expect(new LuceneBm25Model(index, 0.9, 0.4).avgdl).toBe(sumCf / reference.numDocs);
    // the same over chunks of 4,000 documents: the first prune falls inside a chunk, so the chunks folded in term
    // by term before it are replayed document by document
    expect(indexOfChunks(chunksOfTokens(documents, 4000), pruneAt)).toEqual(index);
    expect(indexOfChunks(chunksOfTokens(documents, 10000), pruneAt)).toEqual(index);
  });

  it('folds chunks in term by term while no pruning check fires, even past prune_at after the last check', () => {
    let seed = 4242;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const word = (range: number, offset: number) => `w${(offset + Math.floor(range * random() ** 2)).toString(36)}`;
    // 300 tokens up to document 10,000, then 1,200 more: a prune only if a check comes after the growth
    const early = Array.from({ length: 10000 }, () => Array.from({ length: 1 + Math.floor(random() * 5) }, () => word(300, 0)));
    const late = Array.from({ length: 9999 }, () => Array.from({ length: 1 + Math.floor(random() * 5) }, () => word(1500, 0)));
    const unpruned = [...early, ...late];
    expect(new Set(unpruned.flat()).size).toBeGreaterThan(1000);
    const reference = gensimReference(unpruned, 400);
    for (const size of [97, 3000, 10000, 20000]) {
      const index = indexOfChunks(chunksOfTokens(unpruned, size), 400);
      expect(index.vocabulary.terms()).toEqual(reference.terms);
      expect([...index.df]).toEqual(reference.df);
      expect(postingCfs(index)).toEqual(reference.cf);
      expect(index.cfSum).toBe(sumInOrder(reference.cf));
      expect(index).toEqual(indexOfTokens(unpruned));
    }
    // two documents more reach the check before document 20,000, which prunes
    const pruned = [...unpruned, ['w0'], ['w0', 'zz']];
    const prunedReference = gensimReference(pruned, 400);
    expect(prunedReference.terms.length).toBeLessThan(new Set(pruned.flat()).size);
    for (const size of [97, 3000, 10000, 20000]) {
      const index = indexOfChunks(chunksOfTokens(pruned, size), 400);
      expect(index.vocabulary.terms()).toEqual(prunedReference.terms);
      expect([...index.df]).toEqual(prunedReference.df);
      expect(Object.is(index.cfSum, sumInOrder(prunedReference.cf))).toBe(true);
      expect(index.numPos).toBe(prunedReference.numPos);
      expect([...index.docLengths]).toEqual(prunedReference.docLengths);
    }
  });

  it('lays out the postings of a corpus with many postings and ids term by term, docs ascending', () => {
    let seed = 777;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    // a 90k-term vocabulary and ~400k postings, checked against a layout made here term by term
    const vocabulary = Array.from({ length: 90_000 }, (_, i) => `v${i.toString(36)}`);
    const documents = Array.from({ length: 40_000 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 20) }, () => vocabulary[Math.floor(vocabulary.length * random() ** 2)]!),
    );
    const index = indexOfTokens(documents);
    const terms = index.vocabulary.terms();
    const idOf = new Map(terms.map((term, id) => [term, id]));
    const expected: number[][] = terms.map(() => []);
    documents.forEach((document, doc) => {
      const bag = new Map<string, number>();
      for (const token of document) bag.set(token, (bag.get(token) ?? 0) + 1);
      for (const [token, tf] of bag) expected[idOf.get(token)!]!.push(doc, tf);
    });
    expect(index.postingDocs.length).toBeGreaterThan(300_000);
    const mismatched = expected.findIndex((postings, id) => {
      const start = index.termOffsets[id]!;
      if (index.termOffsets[id + 1]! - start !== postings.length / 2) return true;
      return postings.some((value, i) => value !== (i % 2 === 0 ? index.postingDocs : index.postingTfs)[start + (i >> 1)]);
    });
    expect(mismatched).toBe(-1);
    // chunks of any size, folded in term by term, lay out the same postings and ids
    expect(indexOfChunks(chunksOfTokens(documents, 7001))).toEqual(index);
    expect(indexOfChunks(chunksOfTokens(documents, 613))).toEqual(index);
  });

  it('builds the same index with its term tables sized ahead from the first chunk, whatever the estimate', () => {
    let seed = 99;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const vocabulary = Array.from({ length: 40_000 }, (_, i) => `r${i.toString(36)}${i % 13 === 0 ? '𐐨' : ''}`);
    const documents = Array.from({ length: 12_000 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 12) }, () => vocabulary[Math.floor(vocabulary.length * random() ** 2)]!),
    );
    for (const pruneAt of [undefined, 3_000]) {
      const reference = comparable(indexOfChunks(chunksOfTokens(documents, 1500), pruneAt));
      // an estimate from the first chunk, one far above (capped) and one below what the corpus brings
      for (const told of [documents.length, documents.length * 1000, 1501]) {
        const builder = new AnalyzedIndexBuilder(pruneAt, told);
        for (const chunk of chunksOfTokens(documents, 1500)) builder.add(chunkPostings(chunk));
        expect(comparable(builder.finish())).toEqual(reference);
      }
    }
  });

  it('prunes exactly when the chunks of a numbering span the prune (one analyzer, or two taking turns)', () => {
    let seed = 31337;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const words = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}q`);
    const texts = Array.from({ length: 26_000 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 6) }, () => words[Math.floor(words.length * random() ** 3)]!).join(' '),
    );
    const pruneAt = 400;
    const expected = indexOfTokens(texts.map((text) => analyze(text)), pruneAt);
    expect(expected.vocabulary.size).toBeLessThan(new Set(texts.flatMap((text) => analyze(text))).size);
    for (const analyzers of [1, 2]) {
      // chunks of 2,300 documents: the numberings' terms get ids before the first prune, inside a chunk
      const threads = Array.from({ length: analyzers }, () => new ChunkAnalyzer());
      const chunks = Array.from({ length: Math.ceil(texts.length / 2300) }, (_, c) =>
        chunkPostings(threads[c % analyzers]!.analyze(texts.slice(c * 2300, (c + 1) * 2300))),
      );
      const builder = new AnalyzedIndexBuilder(pruneAt, texts.length);
      for (const chunk of chunks) builder.add(chunk);
      expect(comparable(builder.finish())).toEqual(comparable(expected));
    }
  });

  it('sorts new tokens by code point, not UTF-16 unit', () => {
    expect(['\uffe0', '𐐨', 'a'].sort(compareCodePoints)).toEqual(['a', '\uffe0', '𐐨']);
    expect(indexOfTokens([['\uffe0', '𐐨', 'a']]).vocabulary.terms()).toEqual(['a', '\uffe0', '𐐨']);
    // more new tokens in one document than the insertion sort takes, prefixes and lone surrogates among them
    const many = ['b', 'ab', 'a', '\ud800', '\ud800x', '\udc00', '\uffff', '\ue000', '𐐨', '𐐨a', '\uffe0\ud801', 'zz', 'z'];
    const document = [...many, ...many.map((token) => `${token}\u00e9`), ...many.map((token) => `q${token}`)];
    expect(document.length).toBeGreaterThan(24);
    expect(indexOfTokens([['c'], [...document].reverse(), ['c', 'a']]).vocabulary.terms()).toEqual(['c', ...[...new Set(document)].filter((token) => token !== 'c').sort(compareCodePoints)]);
    expect(indexOfTokens([many.slice(0, 8).reverse()]).vocabulary.terms()).toEqual([...many.slice(0, 8)].sort(compareCodePoints));
  });
});
