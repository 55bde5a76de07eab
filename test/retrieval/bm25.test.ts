import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Candidates, CorpusSource } from '../../src/core/types.js';
import { noProgress } from '../../src/core/progress.js';
import { memoryCorpus } from '../../src/core/corpus-source.js';
import { retrieve, type RetrieveRequest } from '../../src/pipeline/retrieve.js';
import { HarnessError } from '../../src/core/errors.js';
import { buildRankedList } from '../../src/eval/build-run.js';
import { analyze } from '../../src/retrieval/analyzer/analyze.js';
import { Bm25Retriever, type Bm25Index } from '../../src/retrieval/bm25/bm25-retriever.js';
import { ChunkAnalyzer, type ChunkAnalysis } from '../../src/retrieval/bm25/chunk-analysis.js';
import { AnalyzedIndexBuilder, type AnalyzedIndex } from '../../src/retrieval/bm25/gensim-dictionary.js';
import { LuceneBm25Model } from '../../src/retrieval/bm25/lucene-bm25-model.js';
import { analyzeCorpus } from '../../src/retrieval/bm25/parallel-analysis.js';
import { AnalysisWorkers } from '../../src/retrieval/bm25/analysis-workers.js';
import { decodeIndex, encodeIndex, decodeIndexFile, readIndexFile, sha256InTurns, writeAllAt, writeIndexCache } from '../../src/retrieval/bm25/index-cache.js';
import { glibcLog } from '../../src/retrieval/bm25/glibc-log.js';
import { searchesInParallel } from '../../src/retrieval/bm25/parallel-search.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { openParquet } from '../../src/dataset/parquet.js';
import { storedTexts } from '../../src/dataset/parquet-texts.js';
import { parquetMetadata } from 'hyparquet';
import { writeBrightParquet } from '../../tools/bright-parquet.mjs';
import { writePagedParquet } from '../helpers/parquet-pages.js';
import { readJsonLines, readText } from './golden-files.js';
// the file's names: corpusRows and goldenQueries are the fixture's rows, queries the pipeline's Query objects
import { bm25Fixture, goldenCorpusRows as corpusRows, goldenQueries as queries, goldenQueryRows as goldenQueries } from './bm25-golden.js';
import { comparable, indexOfChunks, indexOfTokens, postingCfs, sumInOrder } from './bm25-index-builds.js';
import { textOf } from '../helpers/utf16-units.js';
import { CorpusIds } from '../../src/core/corpus-ids.js';

const corpus = { ids: corpusRows.map((row) => row.id), texts: corpusRows.map((row) => row.content) };
const goldenInput = (overrides: Partial<RetrieveRequest> = {}): RetrieveRequest => ({
  task: 'golden',
  corpus,
  corpusSha256: 'golden-bm25-corpus',
  queries,
  depth: 1000,
  ...overrides,
});

async function collect(candidates: AsyncIterable<Candidates>): Promise<Candidates[]> {
  const all: Candidates[] = [];
  for await (const item of candidates) all.push(item);
  return all;
}

/** Analyzes the texts on `threads` threads, folding each chunk into the index as it arrives (as the retriever does). */
async function indexOfTexts(texts: readonly string[], threads: number): Promise<AnalyzedIndex> {
  const builder = new AnalyzedIndexBuilder();
  await analyzeCorpus(memoryCorpus({ ids: [], texts: [...texts] }), { threads }, (chunk) => builder.add(chunk));
  return builder.finish();
}

/** Analyzes a corpus source on `threads` threads (as the retriever hands it over). */
async function indexOfSource(source: Pick<CorpusSource, 'texts' | 'stored'>, threads: number): Promise<AnalyzedIndex> {
  const builder = new AnalyzedIndexBuilder();
  await analyzeCorpus(source, { threads }, (chunk) => builder.add(chunk));
  return builder.finish();
}

/** The same on two workers started ahead. */
async function indexOfTextsWith(texts: readonly string[], workers: AnalysisWorkers): Promise<AnalyzedIndex> {
  const builder = new AnalyzedIndexBuilder();
  await analyzeCorpus(memoryCorpus({ ids: [], texts: [...texts] }), { threads: 2, workers }, (chunk) => builder.add(chunk));
  return builder.finish();
}

function fullScores(model: LuceneBm25Model, tokens: string[]): number[] {
  return [...model.score(model.vectorize(tokens))];
}

describe('BM25: SPEC §3.6 toy example (gensim from HEAD)', () => {
  const documents = [['appl', 'banana', 'appl'], ['banana', 'cherri'], ['cherri', 'cherri', 'cherri', 'date'], [], ['appl', 'date']];
  const model = new LuceneBm25Model(indexOfTokens(documents), 0.9, 0.4);

  it('builds the dictionary and the statistics (the empty document counts)', () => {
    expect(model.index.vocabulary.terms()).toEqual(['appl', 'banana', 'cherri', 'date']);
    expect(model.index.numDocs).toBe(5);
    expect(model.avgdl).toBe(2.2);
    expect([...model.index.df]).toEqual([2, 2, 2, 2]);
  });

  it('weights the query like a document and drops out-of-vocabulary tokens', () => {
    const vector = model.vectorize(['appl', 'cherri', 'cherri', 'unknown']);
    expect(vector.length).toBe(3);
    expect([...vector.termIds]).toEqual([0, 2]);
    expect([...vector.weights]).toEqual([0.4310723415798074, 0.5776938278879963]);
  });

  it('scores in float32 exactly as scipy does', () => {
    expect(fullScores(model, ['appl', 'cherri', 'cherri', 'unknown'])).toEqual([
      0.24902783334255219, 0.27085110545158386, 0.36172181367874146, 0.0, 0.20210778713226318,
    ]);
  });
});

describe('BM25: golden gensim dictionary, statistics and query vectors', () => {
  let index: AnalyzedIndex;
  let model: LuceneBm25Model;
  beforeAll(async () => {
    index = await indexOfTexts(corpus.texts, 2);
    model = new LuceneBm25Model(index, 0.9, 0.4);
  });

  it('assigns every term id, df and cf as gensim does (ids in corpus order, code-point order within a document)', () => {
    const dictionary = readJsonLines<{ id: number; term: string; df: number; cf: number }>(bm25Fixture('dictionary.jsonl.gz'));
    const terms = index.vocabulary.terms();
    expect(terms.length).toBe(dictionary.length);
    // nothing is pruned here: each term's cf is its postings' tfs, and the index carries their total
    const cfs = postingCfs(index);
    const wrong = dictionary.filter((entry) => terms[entry.id] !== entry.term || index.df[entry.id] !== entry.df || cfs[entry.id] !== entry.cf);
    expect(wrong).toEqual([]);
    expect(index.cfSum).toBe(sumInOrder(dictionary.map((entry) => entry.cf)));
  });

  it('looks every dictionary term up to its gensim id, and nothing else', () => {
    const { vocabulary } = index;
    const terms = vocabulary.terms();
    terms.forEach((term, id) => expect(vocabulary.id(term)).toBe(id));
    const known = new Set(terms);
    const absent = terms.flatMap((term) => [`${term}x`, term.slice(0, -1), term.toUpperCase()]).filter((term) => !known.has(term));
    expect(absent.length).toBeGreaterThan(terms.length);
    expect(absent.filter((term) => vocabulary.id(term) !== undefined)).toEqual([]);
  });

  it('matches N, num_pos, num_nnz, the vocabulary size and avgdl to the last bit', () => {
    const stats = JSON.parse(readText(bm25Fixture('stats.json'))) as Record<string, number | string>;
    expect(index.numDocs).toBe(stats.N);
    expect(index.numPos).toBe(stats['total_tokens(num_pos)']);
    expect(index.numNnz).toBe(stats.num_nnz);
    expect(index.vocabulary.size).toBe(stats.vocabulary_size);
    expect(model.avgdl).toBe(stats.avgdl);
    expect(String(model.avgdl)).toBe(stats.avgdl_repr);
    expect([...index.docLengths].filter((length) => length === 0)).toHaveLength(stats.num_docs_with_zero_tokens as number);
  });

  it('builds the query vectors (idf, float64 and float32 weights) exactly', () => {
    interface Entry { term: string; term_id: number; qtf: number; df: number; idf: number; weight: number; weight_float32: number }
    const golden = JSON.parse(readText(bm25Fixture('query_vectors.json'))) as Array<{
      id: string;
      analyzed_tokens: string[];
      oov_tokens: string[];
      query_length_in_vocab: number;
      vector_in_term_id_order: Entry[];
    }>;
    expect(golden.length).toBeGreaterThan(0);
    for (const expected of golden) {
      const query = goldenQueries.find((q) => q.id === expected.id)!;
      const tokens = analyze(query.query);
      expect(tokens).toEqual(expected.analyzed_tokens);
      expect(tokens.filter((token) => model.termId(token) === undefined)).toEqual(expected.oov_tokens);
      const vector = model.vectorize(tokens);
      expect(vector.length).toBe(expected.query_length_in_vocab);
      const actual: Entry[] = [...vector.termIds].map((id, i) => ({
        term: index.vocabulary.term(id),
        term_id: id,
        qtf: vector.termFrequencies[i]!,
        df: index.df[id]!,
        idf: vector.idfs[i]!,
        weight: vector.weights[i]!,
        weight_float32: vector.weights32[i]!,
      }));
      expect(actual).toEqual(expected.vector_in_term_id_order);
    }
  });

  it('hands worker chunks over in corpus order and stops on a consumer error', async () => {
    const sizes: number[] = [];
    await analyzeCorpus(memoryCorpus(corpus), { threads: 2 }, (chunk) => sizes.push(chunk.docs));
    expect(sizes.length).toBeGreaterThan(2);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(corpus.texts.length);
    let calls = 0;
    const failing = analyzeCorpus(memoryCorpus(corpus), { threads: 2 }, () => {
      if (++calls === 2) throw new Error('consumer failed');
    });
    await expect(failing).rejects.toThrow('consumer failed');
    expect(calls).toBe(2);
  });

  it('sizes chunks from the whole corpus when the texts stream in small batches', async () => {
    // row groups of 50 documents: chunks of about an eighth of the corpus (~370 documents), not of a row group
    const rowGroups = (async function* () {
      for (let start = 0; start < corpus.texts.length; start += 50) yield { start, texts: corpus.texts.slice(start, start + 50) };
    })();
    const sizes: number[] = [];
    const builder = new AnalyzedIndexBuilder();
    await analyzeCorpus({ texts: () => rowGroups }, { threads: 2, documents: corpus.texts.length }, (chunk) => {
      sizes.push(chunk.docs);
      builder.add(chunk);
    });
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(corpus.texts.length);
    expect(Math.max(...sizes)).toBeGreaterThan(300);
    expect(comparable(builder.finish())).toEqual(comparable(index));
  });

  it('analyzes on workers started ahead, and stops them when the corpus is small enough to analyze inline', async () => {
    const exits = (started: AnalysisWorkers) => Promise.all(started.workers.map((worker) => new Promise((exited) => worker.once('exit', exited))));
    const started = new AnalysisWorkers(2);
    const stopped = exits(started);
    const builder = new AnalyzedIndexBuilder();
    let chunks = 0;
    await analyzeCorpus(memoryCorpus(corpus), { threads: 2, workers: started }, (chunk) => {
      chunks++;
      builder.add(chunk);
    });
    expect(chunks).toBeGreaterThan(2);
    expect(comparable(builder.finish())).toEqual(comparable(index));
    await stopped;
    const unused = new AnalysisWorkers(2);
    const unusedStopped = exits(unused);
    const small = await indexOfTextsWith(corpus.texts.slice(0, 5), unused);
    expect(comparable(small)).toEqual(comparable(await indexOfTexts(corpus.texts.slice(0, 5), 1)));
    await unusedStopped;
  });

  describe('a parquet corpus, each worker decoding its own row groups', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-stored-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** The golden corpus as a documents file with row groups of `rowGroupSize` rows, as loadTask opens it. */
    const storedCorpus = async (name: string, rowGroupSize: number, rows = corpusRows) => {
      const file = path.join(dir, `${name}.parquet`);
      writeBrightParquet({ filename: file, columns: { id: 'string', content: 'string' }, rows, rowGroupSize });
      const parquet = await openParquet(file, { id: 'string', content: 'string' }, `documents/${name}.parquet`);
      let textReads = 0;
      const source = {
        ids: CorpusIds.of(rows.map((row) => row.id)),
        stored: storedTexts(parquet, 'content'),
        texts: (options?: { signal?: AbortSignal }) => {
          textReads++;
          return memoryCorpus({ ids: [], texts: rows.map((row) => row.content) }).texts(options);
        },
      };
      return { file, parquet, source, textReads: () => textReads };
    };

    it('builds the golden index from row groups the workers decode, and never reads texts on this thread', async () => {
      const { source, textReads } = await storedCorpus('golden', 100);
      for (const workers of [undefined, new AnalysisWorkers(2)]) {
        const sizes: number[] = [];
        const builder = new AnalyzedIndexBuilder();
        await analyzeCorpus(source, { threads: 2, ...(workers ? { workers } : {}) }, (chunk) => {
          sizes.push(chunk.docs);
          builder.add(chunk);
        });
        expect(comparable(builder.finish())).toEqual(comparable(index));
        // chunks of whole row groups (the last one shorter), several per thread
        expect(sizes.length).toBeGreaterThanOrEqual(4);
        expect(sizes.slice(0, -1).every((size) => size % 100 === 0)).toBe(true);
        expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(corpus.texts.length);
      }
      expect(textReads()).toBe(0);
      // the retriever hands its corpus over as it is: the same index
      const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
      const built = await new Bm25Retriever({ cacheDir: null, threads: 2 }).index(source, context);
      const reference = await new Bm25Retriever({ cacheDir: null, threads: 2 }).index(memoryCorpus(corpus), context);
      expect(built).toEqual(reference);
      expect(textReads()).toBe(0);
    });

    it("texts with malformed UTF-8, byte-order marks and characters beyond the BMP reach the workers' analyzer as the loader's strings", async () => {
      const utf8 = (text: string) => Buffer.from(text, 'utf8');
      // appended to every 7th document: bytes TextDecoder replaces (a cut-short sequence, an encoded surrogate, an
      // overlong form, a value above U+10FFFF), a byte-order mark it strips or keeps, letters beyond the BMP
      const oddities = [
        Buffer.from([0x20, 0x61, 0xc3, 0x20, 0xed, 0xa0, 0x80, 0x62, 0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80, 0x63]),
        utf8(' \ufeffmark \u{1D400}\u{1D401}bold \u{1F9EC}dna \u4e2d\u6587 caf\u00e9'),
      ];
      const values = corpusRows.map((row, i) => {
        if (i % 7 !== 3) return [row.id, row.content];
        const odd = oddities[i % 2]!;
        // every 14th one starts with a byte-order mark (stripped by TextDecoder, as the loader decodes)
        return [row.id, Buffer.concat([i % 14 === 3 ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), utf8(row.content), odd])];
      });
      const groups: Array<typeof values> = [];
      for (let at = 0; at < values.length; at += 100) groups.push(values.slice(at, at + 100));
      for (const encoding of ['PLAIN', 'RLE_DICTIONARY'] as const) {
        const file = path.join(dir, `odd-${encoding}.parquet`);
        const layout = { optional: false, pages: 1, encoding, codec: 'SNAPPY', pageRows: 40 } as const;
        writePagedParquet(file, [{ name: 'id', ...layout }, { name: 'content', ...layout }], groups);
        const parquet = await openParquet(file, { id: 'string', content: 'string' }, `documents/odd-${encoding}.parquet`);
        const texts: string[] = [];
        for await (const batch of parquet.read({ content: 'string' })) texts.push(...batch.columns.content);
        expect(texts.filter((text) => text.includes('\ufffd')).length).toBeGreaterThan(50);
        const source = { stored: storedTexts(parquet, 'content'), texts: () => { throw new Error('texts must not be read here'); } };
        expect(comparable(await indexOfSource(source, 2))).toEqual(comparable(await indexOfTexts(texts, 1)));
      }
    });

    it('reads the texts here when the corpus is small, when its row groups are too few to share out, or on one thread', async () => {
      const small = await storedCorpus('small', 10, corpusRows.slice(0, 200));
      await expect(indexOfSource(small.source, 2)).resolves.toEqual(await indexOfTexts(corpus.texts.slice(0, 200), 1));
      expect(small.textReads()).toBe(1);
      const few = await storedCorpus('few', 1000);
      expect(comparable(await indexOfSource(few.source, 2))).toEqual(comparable(index));
      expect(few.textReads()).toBe(1);
      const many = await storedCorpus('one-thread', 100);
      expect(comparable(await indexOfSource(many.source, 1))).toEqual(comparable(index));
      expect(many.textReads()).toBe(1);
    });

    it('a damaged page fails in the worker with the error the loader gives (exit 3, the file named)', async () => {
      const { file } = await storedCorpus('damaged', 100);
      const metadata = parquetMetadata(readFileSync(file).buffer);
      const content = metadata.row_groups[7]!.columns.find((column) => column.meta_data!.path_in_schema[0] === 'content')!.meta_data!;
      const bytes = readFileSync(file);
      bytes.fill(0xff, Number(content.data_page_offset) + 24, Number(content.data_page_offset) + 64);
      writeFileSync(file, bytes);
      const parquet = await openParquet(file, { id: 'string', content: 'string' }, 'documents/damaged.parquet');
      const here = await (async () => {
        for await (const batch of parquet.read({ content: 'string' })) void batch;
      })().catch((error: unknown) => error as HarnessError);
      expect(here).toMatchObject({ exitCode: 3, code: 'data.parquet_invalid', message: expect.stringContaining(`rows 700-800 of ${file}`) });
      const source = { stored: storedTexts(parquet, 'content'), texts: () => { throw new Error('texts must not be read'); } };
      const failed = analyzeCorpus(source, { threads: 2 }, () => undefined);
      await expect(failed).rejects.toBeInstanceOf(HarnessError);
      await expect(failed).rejects.toMatchObject({ exitCode: 3, code: here!.code, message: here!.message });
    });

    it('a file that changed since it was opened is an error, not a different corpus', async () => {
      const { file, source } = await storedCorpus('changed', 100);
      writeBrightParquet({ filename: file, columns: { id: 'string', content: 'string' }, rows: corpusRows, rowGroupSize: 150 });
      await expect(analyzeCorpus(source, { threads: 2 }, () => undefined)).rejects.toMatchObject({
        exitCode: 3,
        code: 'data.parquet_changed',
        message: expect.stringContaining(`documents/changed.parquet: ${file} changed while it was being read`),
      });
    });
  });

  it('analyzes the same on one thread as on worker threads', async () => {
    const inline = await indexOfTexts(corpus.texts, 1);
    expect(comparable(inline)).toEqual(comparable(index));
  });

  it('sends each term string once, in one numbering, also when its raw-token table starts afresh', () => {
    // the first chunk overflows a 300-token raw table (it has more terms than that), which then starts afresh
    const texts = [...corpus.texts.slice(0, 20), 'The cells divide.', "Cells grow; the cell's proteins fold", 'Proteins fold, again'];
    const analyzer = new ChunkAnalyzer(300);
    const pieces = [texts.slice(0, 20), texts.slice(20, 21), texts.slice(21)];
    const chunks = pieces.map((piece) => analyzer.analyze(piece));
    expect(new Set(chunks.map((chunk) => chunk.numbering)).size).toBe(1);
    const seen = new Set<string>();
    let next = 0;
    chunks.forEach((chunk, i) => {
      // the terms new to the analyzer, in order of first appearance, numbered on from the last chunk's
      const fresh = [...new Set(pieces[i]!.flatMap((text) => analyze(text)))].filter((term) => !seen.has(term));
      for (const term of fresh) seen.add(term);
      expect(chunk.firstNewTerm).toBe(next);
      expect(textOf(chunk.newTermUnits)).toBe(fresh.join(''));
      let end = 0;
      expect([...chunk.newTermEnds]).toEqual(fresh.map((term) => (end += term.length)));
      next += fresh.length;
    });
    expect(chunks[0]!.newTermEnds.length).toBeGreaterThan(300);
    expect(textOf(chunks[2]!.newTermUnits)).toBe('growproteinfoldagain');
    const expected = indexOfTokens(texts.map((text) => analyze(text)));
    expect(indexOfChunks(chunks)).toEqual(expected);
    expect(() => indexOfChunks([chunks[0]!, chunks[2]!])).toThrow(/starts at term/);
  });

  it('analyzes the same into reused buffers as into arrays of its own, chunk after chunk, its raw-token table restarting', () => {
    const texts = corpus.texts.slice(0, 60);
    const own = new ChunkAnalyzer(400);
    const transient = new ChunkAnalyzer(400);
    const kept = [];
    for (let at = 0; at < texts.length; at += 7) {
      const expected = own.analyze(texts.slice(at, at + 7));
      const { largestTf, ...analysis } = transient.analyzeTransient(texts.slice(at, at + 7));
      expect(largestTf).toBe(Math.max(0, ...expected.tfs));
      expect({ ...analysis, numbering: '', tfs: Array.from(analysis.tfs) }).toEqual({ ...expected, numbering: '', tfs: Array.from(expected.tfs) });
      kept.push({ expected, copy: structuredClone(expected) });
    }
    // what analyze() returned is not overwritten by later chunks
    for (const { expected, copy } of kept) expect(expected).toEqual(copy);
  });

  it('analyzes the same whatever amount of text it is told to expect (tables sized up front), raw-token limit or not', () => {
    // besides real documents, text that fills the tables: thousands of distinct tokens, tokens past the 12 units a
    // slot holds and past the tokenizer's 255-unit window, possessives, capitals, astral and lone surrogates
    const random = seededRandom(17);
    const pieces = ['ab', 'qu', 'ing', 'tion', 'Z', '7', "'s", '\u00e9', '\u{1f600}', '\u{20000}', '\ud800', 'x'.repeat(30)];
    const word = () => {
      let text = '';
      for (let n = 1 + Math.floor(random() * 8); n > 0; n--) text += pieces[Math.floor(random() * pieces.length)]!;
      return random() < 0.01 ? text.repeat(40) : text;
    };
    const made = Array.from({ length: 80 }, () => Array.from({ length: 150 }, word).join(random() < 0.5 ? ' ' : ', '));
    const texts = [...corpus.texts.slice(0, 40), ...made];
    const units = texts.reduce((sum, text) => sum + text.length, 0);
    const numberless = (analysis: ChunkAnalysis) => ({ ...analysis, numbering: '', tfs: Array.from(analysis.tfs) });
    for (const limit of [undefined, 1000]) {
      const plain = new ChunkAnalyzer(limit);
      // far too little text, the right amount, far too much (sized up to the raw-token limit)
      const told = [units / 100, units, units * 1000].map((expected) => ({ expected, analyzer: new ChunkAnalyzer(limit) }));
      const numberings = new Set<string>();
      for (let at = 0; at < texts.length; at += 9) {
        const expected = plain.analyze(texts.slice(at, at + 9));
        numberings.add(expected.numbering);
        for (const { expected: units, analyzer } of told) {
          expect(numberless(analyzer.analyze(texts.slice(at, at + 9), units))).toEqual(numberless(expected));
        }
      }
      expect(numberings.size).toBe(1);
    }
    expect(indexOfChunks([new ChunkAnalyzer().analyze(texts, units)])).toEqual(indexOfTokens(texts.map((text) => analyze(text))));
  });
});

describe('BM25 retriever: the golden run end to end', () => {
  const expected = new Map<string, Array<[string, number]>>();
  for (const line of readText(bm25Fixture('run.trec.gz')).split('\n')) {
    if (line.length === 0) continue;
    const [qid, , docId, , score] = line.split(' ');
    if (!expected.has(qid!)) expected.set(qid!, []);
    expected.get(qid!)!.push([docId!, Number(score)]);
  }

  it('reproduces every document, rank and float32 score of all 63 queries x 1000', async () => {
    const retriever = new Bm25Retriever({ cacheDir: null, threads: 2 });
    const candidates = await collect(retrieve(retriever, goldenInput()));
    expect(candidates.map((c) => c.queryId)).toEqual(goldenQueries.map((q) => q.id));
    let compared = 0;
    const mismatches: string[] = [];
    candidates.forEach((item, i) => {
      const ranked = buildRankedList(item, corpus.ids, goldenQueries[i]!.excluded_ids, 1000);
      const want = expected.get(item.queryId)!;
      expect(ranked).toHaveLength(want.length);
      want.forEach(([docId, score], rank) => {
        compared++;
        if (ranked.docId(rank) !== docId || ranked.scores[rank] !== score) {
          mismatches.push(`${item.queryId} rank ${rank + 1}: ${ranked.docId(rank)} ${ranked.scores[rank]} != ${docId} ${score}`);
        }
      });
    });
    expect(compared).toBe(63000);
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it('analyzes the queries told by prepareSearch during the index stage, once each, and ranks them as the search alone does', async () => {
    const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
    let reads = 0;
    const counted = queries.map((query) => ({
      ...query,
      get text() {
        reads++;
        return query.text;
      },
    }));
    const retriever = new Bm25Retriever({ cacheDir: null, threads: 2 });
    retriever.prepareSearch(counted);
    const index = await retriever.index(memoryCorpus(corpus), context);
    expect(reads).toBe(counted.length);
    const prepared = await collect(retriever.search(index, counted, 1000, context));
    expect(reads).toBe(counted.length);
    const alone = new Bm25Retriever({ cacheDir: null, threads: 1 });
    const expected = await collect(alone.search(await alone.index(memoryCorpus(corpus), context), queries, 1000, context));
    expect(prepared).toEqual(expected);
    // told other queries (here: all but the first), the search analyzes the ones it is given
    const other = new Bm25Retriever({ cacheDir: null, threads: 1 });
    other.prepareSearch(queries.slice(1));
    expect(await collect(other.search(await other.index(memoryCorpus(corpus), context), queries, 1000, context))).toEqual(expected);
  });

  it('hands over an exact subset: the best depth + (excluded ids listed) documents (ties in row order), listed in row order', async () => {
    const retriever = new Bm25Retriever({ cacheDir: null, threads: 1 });
    const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
    const index = await retriever.index(memoryCorpus(corpus), context);
    const model = new LuceneBm25Model(await indexOfTexts(corpus.texts, 1), 0.9, 0.4);
    for (const depth of [1, 10, 200]) {
      const candidates = await collect(retriever.search(index, queries, depth, context));
      candidates.forEach((item, i) => {
        const scores = fullScores(model, analyze(queries[i]!.text));
        const keep = depth + queries[i]!.excludedIds.length;
        const best = scores
          .map((score, row) => ({ score, row }))
          .sort((a, b) => b.score - a.score || a.row - b.row)
          .slice(0, keep)
          .map((entry) => entry.row)
          .sort((a, b) => a - b);
        expect([...item.docIndices!]).toEqual(best);
        expect([...item.scores]).toEqual(best.map((row) => scores[row]));
      });
    }
    // no query term in the vocabulary: every score is 0, so the first rows in row order
    const empty = queries.find((q) => q.id === 'edge_empty')!;
    const [candidates] = await collect(retriever.search(index, [empty], 10, context));
    const quota = 10 + empty.excludedIds.length;
    expect([...candidates!.docIndices!]).toEqual(Array.from({ length: quota }, (_, i) => i));
    expect([...candidates!.scores].every((score) => score === 0)).toBe(true);
    expect(empty.excludedIds.length).toBeGreaterThan(0);
  });

  it('reports its parameters for the manifest', () => {
    const retriever = new Bm25Retriever({ cacheDir: null });
    expect(retriever.name).toBe('bm25');
    expect(retriever.parameters).toMatchObject({ k1: 0.9, b: 0.4 });
  });
});

describe('BM25 analyzed-index cache', () => {
  let cacheDir: string;
  beforeAll(() => {
    cacheDir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-cache-'));
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  const firstQueries = queries.slice(0, 5);
  const cacheFile = () => {
    const files = readdirSync(path.join(cacheDir, 'bm25'));
    expect(files).toHaveLength(1);
    return path.join(cacheDir, 'bm25', files[0]!);
  };

  it('starts the analysis workers ahead when prefetch finds no cached index, and builds the same index', async () => {
    const coldCache = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-prefetch-'));
    try {
      const retriever = new Bm25Retriever({ cacheDir: coldCache, threads: 2 });
      const started = vi.spyOn(AnalysisWorkers.prototype, 'terminate');
      retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: corpus.ids.length });
      const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
      const built = await retriever.index(memoryCorpus(corpus), context);
      // kept running for this index's search (stopped at the next index stage when no search came)
      expect(started).not.toHaveBeenCalled();
      // the index is cached now (its write awaited): a second prefetch starts no workers (none to stop when the cache
      // is read), so only the first build's are stopped
      await retriever.settled();
      retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: corpus.ids.length });
      await retriever.index(memoryCorpus(corpus), context);
      expect(started).toHaveBeenCalledTimes(1);
      started.mockRestore();
      const reference = await new Bm25Retriever({ cacheDir: null, threads: 2 }).index(memoryCorpus(corpus), context);
      // (writing the cache builds the vocabulary's lookup table, which the reference never needed)
      const plain = ({ analyzed: { vocabulary, ...rest }, duplicatedIds }: Bm25Index) => ({ ...rest, terms: vocabulary.terms(), duplicatedIds });
      expect(plain(built)).toEqual(plain(reference));
    } finally {
      rmSync(coldCache, { recursive: true, force: true });
    }
  });

  it('writes the cache file while the search ranks: the candidates come before the file lands, the file by settled()', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-background-'));
    const events: string[] = [];
    let searched!: () => void;
    const searchDone = new Promise<void>((resolve) => (searched = resolve));
    const rename = fs.rename.bind(fs);
    // the index file may land only once the search is over (a stage that waited for it gives up after 10 s)
    const spy = vi.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      if (String(to).endsWith('.bm25idx')) {
        await Promise.race([searchDone, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        events.push('cache file landed');
      }
      return rename(from, to);
    });
    try {
      const retriever = new Bm25Retriever({ cacheDir: dir, threads: 2 });
      retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: corpus.ids.length });
      const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
      const index = await retriever.index(memoryCorpus(corpus), context);
      const ranked = await collect(retriever.search(index, firstQueries, 1000, context));
      events.push('searched');
      searched();
      // (the cache folder itself may not be made yet)
      const folder = path.join(dir, 'bm25');
      expect(existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.bm25idx')) : []).toEqual([]);
      await retriever.settled();
      expect(events).toEqual(['searched', 'cache file landed']);
      // the file is whole, with no temporary left, and serves a run without the texts, as the fresh search ranked
      const files = readdirSync(path.join(dir, 'bm25'));
      expect(files.filter((name) => !name.endsWith('.bm25idx'))).toEqual([]);
      const untouchable: CorpusSource = {
        ids: CorpusIds.of(corpus.ids),
        texts: () => {
          throw new Error('a BM25 index-cache hit read the document texts');
        },
      };
      const cached = new Bm25Retriever({ cacheDir: dir, threads: 1 });
      expect(await collect(cached.search(await cached.index(untouchable, context), firstQueries, 1000, context))).toEqual(ranked);
      expect(ranked).toEqual(await collect(retrieve(new Bm25Retriever({ cacheDir: null, threads: 1 }), goldenInput({ queries: firstQueries }))));
    } finally {
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cache write that fails meanwhile is a warning by settled(), with the same candidates and no file left', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-background-'));
    const spy = vi.spyOn(fs, 'rename').mockRejectedValue(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    const warnings: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk));
      return true;
    });
    try {
      const retriever = new Bm25Retriever({ cacheDir: dir, threads: 2 });
      const ranked = await collect(retrieve(retriever, goldenInput({ queries: firstQueries })));
      // retrieve() returns only once the retriever has settled: the warning is out by then
      expect(warnings.join('')).toMatch(/could not write the BM25 index cache .*EACCES.*the next run will analyze again/);
      expect(readdirSync(path.join(dir, 'bm25'))).toEqual([]);
      expect(ranked).toEqual(await collect(retrieve(new Bm25Retriever({ cacheDir: null, threads: 1 }), goldenInput({ queries: firstQueries }))));
    } finally {
      stderr.mockRestore();
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the index once and serves a second run from it without analyzing', async () => {
    const retriever = new Bm25Retriever({ cacheDir, threads: 2 });
    const built = await collect(retrieve(retriever, goldenInput({ queries: firstQueries })));
    cacheFile();
    // same corpus hash, and a corpus whose texts cannot be read: the cache hit must not need them
    const untouchable: CorpusSource = {
      ids: CorpusIds.of(corpus.ids),
      texts: () => {
        throw new Error('a BM25 index-cache hit read the document texts');
      },
    };
    const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
    const index = await retriever.index(untouchable, context);
    const cached = await collect(retriever.search(index, firstQueries, 1000, context));
    expect(cached).toEqual(built);
  });

  it('detects a truncated cache file, warns, rebuilds it and still scores exactly', async () => {
    const file = cacheFile();
    const { size } = await fs.stat(file);
    await fs.truncate(file, Math.floor(size / 2));
    const warnings: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk));
      return true;
    });
    let rebuilt: Candidates[];
    try {
      rebuilt = await collect(retrieve(new Bm25Retriever({ cacheDir, threads: 1 }), goldenInput({ queries: firstQueries })));
    } finally {
      spy.mockRestore();
    }
    expect(warnings.join('')).toMatch(/BM25 index cache .* is unusable \(checksum mismatch/);
    expect((await fs.stat(file)).size).toBe(size);
    const fresh = await collect(retrieve(new Bm25Retriever({ cacheDir: null, threads: 1 }), goldenInput({ queries: firstQueries })));
    expect(rebuilt).toEqual(fresh);
  });

  it('prefetch: the index stage uses the bytes read while the task loaded, checked like any read, and only for that corpus', async () => {
    const file = cacheFile();
    const aside = `${file}.aside`;
    const untouchable: CorpusSource = {
      ids: CorpusIds.of(corpus.ids),
      texts: () => {
        throw new Error('a BM25 index-cache hit read the document texts');
      },
    };
    const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
    const expected = await collect(retrieve(new Bm25Retriever({ cacheDir: null, threads: 1 }), goldenInput({ queries: firstQueries })));
    const served = async (retriever: Bm25Retriever) => collect(retriever.search(await retriever.index(untouchable, context), firstQueries, 1000, context));

    // the file opened by prefetch and then moved away: only the prefetched read can serve the index
    let retriever = new Bm25Retriever({ cacheDir, threads: 1 });
    retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: corpus.ids.length });
    await fs.rename(file, aside);
    try {
      expect(await served(retriever)).toEqual(expected);
    } finally {
      await fs.rename(aside, file);
    }

    // a prefetch for another corpus (hash or row count) is not used: the index stage reads its own file
    for (const other of [{ sha256: 'another-corpus', rows: corpus.ids.length }, { sha256: 'golden-bm25-corpus', rows: corpus.ids.length + 1 }]) {
      retriever = new Bm25Retriever({ cacheDir, threads: 1 });
      retriever.prefetch(other);
      expect(await served(retriever)).toEqual(expected);
    }

    // prefetched bytes of a damaged file are rejected by the checksum and rebuilt from the texts, as without prefetch
    const bytes = await fs.readFile(file);
    bytes[bytes.length >> 1]! ^= 0x40;
    await fs.writeFile(file, bytes);
    const warnings: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk));
      return true;
    });
    try {
      retriever = new Bm25Retriever({ cacheDir, threads: 1 });
      retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: corpus.ids.length });
      expect(await collect(retrieve(retriever, goldenInput({ queries: firstQueries })))).toEqual(expected);
    } finally {
      spy.mockRestore();
    }
    expect(warnings.join('')).toMatch(/BM25 index cache .* is unusable \(checksum mismatch/);
    expect(await served(new Bm25Retriever({ cacheDir, threads: 1 }))).toEqual(expected);
  });

  it('prefetch: a read that fails is reported by the index stage, as without prefetch, and never as an unhandled rejection', async () => {
    const dir = await fs.mkdtemp(path.join(cacheDir, 'unreadable-'));
    const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
    // the index file's path is a folder: opening it works, reading it fails (EISDIR)
    const probe = new Bm25Retriever({ cacheDir: dir, threads: 1 });
    await expect(probe.index(memoryCorpus({ ids: ['a'], texts: ['x'] }), context)).resolves.toBeDefined();
    await probe.settled();
    const [name] = await fs.readdir(path.join(dir, 'bm25'));
    await fs.rm(path.join(dir, 'bm25', name!));
    await fs.mkdir(path.join(dir, 'bm25', name!));
    const plain = await new Bm25Retriever({ cacheDir: dir, threads: 1 }).index(memoryCorpus({ ids: ['a'], texts: ['x'] }), context).catch((error: Error) => error.message);
    expect(plain).toMatch(/EISDIR/);
    const retriever = new Bm25Retriever({ cacheDir: dir, threads: 1 });
    retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await retriever.index(memoryCorpus({ ids: ['a'], texts: ['x'] }), context).catch((error: Error) => error.message)).toBe(plain);
  });

  it('round-trips an index through the file format (term frequencies of every width, 16- and 32-bit rows and dfs, 8- and 16-bit term units, astral and unpaired-surrogate terms)', () => {
    const cases = [
      { bigTf: 3, emptyDocs: 0, wide: ['𐐨x', 'a\ud800'], dfDocs: 0 },
      { bigTf: 300, emptyDocs: 65_532, wide: ['𐐨x', 'a\ud800'], dfDocs: 0 },
      { bigTf: 70000, emptyDocs: 65_533, wide: ['𐐨x', 'a\ud800'], dfDocs: 0 },
      { bigTf: 3, emptyDocs: 0, wide: [], dfDocs: 0 },
      { bigTf: 3, emptyDocs: 0, wide: ['ÿ'], dfDocs: 65_536 },
    ];
    for (const { bigTf, emptyDocs, wide, dfDocs } of cases) {
      const documents = [['b', ...wide], Array<string>(bigTf).fill('a'), ...Array.from({ length: emptyDocs }, () => []), [], ['é', 'b'], ...Array.from({ length: dfDocs }, () => ['c'])];
      const index = indexOfTokens(documents);
      const key = { corpusSha256: 'k', analyzerVersion: 'v', numDocs: index.numDocs };
      const { vocabulary, ...decoded } = decodeIndex(encodeIndex(key, index), key);
      // built and decoded alike: 16-bit rows up to 65,536 documents (the last row, 65,535, still fits)
      expect(index.postingDocs).toBeInstanceOf(index.numDocs <= 65_536 ? Uint16Array : Uint32Array);
      expect(decoded.postingDocs).toBeInstanceOf(index.numDocs <= 65_536 ? Uint16Array : Uint32Array);
      const b = index.vocabulary.id('b')!;
      expect([...index.postingDocs.subarray(index.termOffsets[b], index.termOffsets[b + 1])]).toEqual([0, emptyDocs + 3]);
      expect(decoded.df).toBeInstanceOf(dfDocs > 65_535 ? Uint32Array : Uint16Array);
      expect(index.df).toBeInstanceOf(dfDocs > 65_535 ? Uint32Array : Uint16Array);
      const { vocabulary: built, ...counted } = index;
      const terms = built.terms();
      // the builder's term units and the file's alike: 8-bit when every unit fits
      const unitsType = terms.some((term) => /[^\u0000-\u00ff]/.test(term)) ? Uint16Array : Uint8Array;
      expect(built.units).toBeInstanceOf(unitsType);
      expect(vocabulary.units).toBeInstanceOf(unitsType);
      expect([...terms].sort()).toEqual([...new Set(documents.flat())].sort());
      expect({ ...decoded, terms: vocabulary.terms() }).toEqual({ ...counted, terms });
      expect(Object.is(decoded.cfSum, sumInOrder(postingCfs(index)))).toBe(true);
      expect(vocabulary.slots).toEqual(built.slots);
      built.terms().forEach((term, id) => expect(vocabulary.id(term)).toBe(id));
      for (const absent of ['zz', 'a\ud801', '𐐨', '', 'bb']) expect(vocabulary.id(absent)).toBeUndefined();
      expect(() => decodeIndex(encodeIndex(key, index), { ...key, corpusSha256: 'other' })).toThrow(/different corpus/);
    }
  });

  it('writes every byte in order when the system writes fewer bytes than asked', async () => {
    const file = new Uint8Array(40);
    const calls: number[] = [];
    // at most 7 bytes per call, so writes stop inside chunks and on their edges
    const handle = {
      writev: async (buffers: readonly Uint8Array[], position: number) => {
        let bytesWritten = 0;
        for (const buffer of buffers) {
          const take = Math.min(buffer.length, 7 - bytesWritten);
          file.set(buffer.subarray(0, take), position + bytesWritten);
          bytesWritten += take;
          if (bytesWritten === 7) break;
        }
        calls.push(bytesWritten);
        return { bytesWritten, buffers };
      },
    };
    const chunks = [Uint8Array.from({ length: 10 }, (_, i) => i + 1), new Uint8Array(0), Uint8Array.from({ length: 4 }, (_, i) => 11 + i), Uint8Array.from({ length: 16 }, (_, i) => 15 + i)];
    await writeAllAt(handle as never, chunks, 5);
    expect([...file]).toEqual([0, 0, 0, 0, 0, ...Array.from({ length: 30 }, (_, i) => i + 1), 0, 0, 0, 0, 0]);
    expect(calls).toEqual([7, 7, 7, 7, 2]);
  });

  it('removes index files of an older format once it writes one, and nothing else', async () => {
    const dir = path.join(cacheDir, 'formats');
    await fs.mkdir(dir, { recursive: true });
    const fileOfFormat = (format: number) => {
      const header = Buffer.from(JSON.stringify({ format, key: { corpusSha256: 'x', analyzerVersion: 'y', numDocs: 1 } }));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(header.length);
      return Buffer.concat([Buffer.from('RIRBM25\n', 'latin1'), length, header, Buffer.alloc(64)]);
    };
    await fs.writeFile(path.join(dir, 'old.bm25idx'), fileOfFormat(1));
    await fs.writeFile(path.join(dir, 'newer.bm25idx'), fileOfFormat(99));
    await fs.writeFile(path.join(dir, 'notes.bm25idx'), 'not an index');
    await fs.writeFile(path.join(dir, 'other.txt'), fileOfFormat(1));
    const index = indexOfTokens([['a', 'b'], ['b']]);
    const key = { corpusSha256: 'formats', analyzerVersion: 'v', numDocs: 2 };
    await writeIndexCache(path.join(dir, 'current.bm25idx'), key, index);
    expect((await fs.readdir(dir)).sort()).toEqual(['current.bm25idx', 'newer.bm25idx', 'notes.bm25idx', 'other.txt']);
    expect(decodeIndexFile(await readIndexFile(path.join(dir, 'current.bm25idx')), key)).not.toBeNull();
  });

  it('hashes the cache file a piece at a time, with turns of the event loop between, to the same SHA-256', async () => {
    const random = seededRandom(5);
    const piece = 1 << 18;
    const sized = (length: number) => Uint8Array.from({ length }, () => Math.floor(random() * 256));
    // pieces that end inside a chunk, at a chunk's end, across empty chunks, and a last piece that is a whole one
    const layouts = [[10], [piece], [piece - 1, 2, piece], [3, 0, piece + 5, 0, 2 * piece - 8], [piece, piece, 0]];
    for (const lengths of layouts) {
      const chunks = lengths.map(sized);
      const total = lengths.reduce((sum, length) => sum + length, 0);
      let turns = 0;
      let hashing = true;
      const turn = () => {
        if (!hashing) return;
        turns++;
        setImmediate(turn);
      };
      setImmediate(turn);
      const digest = await sha256InTurns(chunks);
      hashing = false;
      expect(digest.equals(createHash('sha256').update(Buffer.concat(chunks)).digest())).toBe(true);
      // the other callbacks ran between the pieces (at least one turn between each two of them)
      expect(turns).toBeGreaterThanOrEqual(Math.ceil(total / piece) - 1);
    }
  });

  it('writes the same bytes to the cache file as encodeIndex lays out', async () => {
    // 3,000 documents x 40 terms: more 16-bit row numbers than one conversion block holds
    const documents = Array.from({ length: 3000 }, (_, doc) => Array.from({ length: 40 }, (_, i) => `t${(doc * 7 + i * 13) % 500}`));
    const index = indexOfTokens(documents);
    expect(index.postingDocs.length).toBeGreaterThan(1 << 16);
    const key = { corpusSha256: 'streamed', analyzerVersion: 'v', numDocs: index.numDocs };
    const file = path.join(cacheDir, 'streamed.bm25idx');
    await writeIndexCache(file, key, index);
    expect(await fs.readFile(file)).toEqual(encodeIndex(key, index));
    const { vocabulary, ...read } = decodeIndexFile(await readIndexFile(file), key)!;
    const { vocabulary: built, ...counted } = index;
    const terms = built.terms();
    expect({ ...read, terms: vocabulary.terms() }).toEqual({ ...counted, terms });
  });

  it('reads a cache file into shared memory: not counted as the thread\'s external memory, and shared with the search workers', async () => {
    // V8 counts an ArrayBuffer's bytes against the old generation's limit until the next full collection: a cache file
    // read into one (16.6 MB biology-sized) started a mark-compact in a search that followed a collection
    const large = path.join(cacheDir, 'large.bm25idx');
    writeFileSync(large, Buffer.alloc(8 << 20, 7));
    const before = process.memoryUsage().external;
    const bytes = (await readIndexFile(large))!;
    expect(process.memoryUsage().external - before).toBeLessThan(2 << 20);
    expect(bytes.length).toBe(8 << 20);
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);

    const documents = Array.from({ length: 3000 }, (_, doc) => Array.from({ length: 40 }, (_, i) => `t${(doc * 7 + i * 13) % 500}`));
    const key = { corpusSha256: 'shared', analyzerVersion: 'v', numDocs: documents.length };
    const file = path.join(cacheDir, 'shared.bm25idx');
    await writeIndexCache(file, key, indexOfTokens(documents));
    const read = decodeIndexFile(await readIndexFile(file), key)!;
    for (const array of [read.termOffsets, read.postingDocs, read.postingTfs, read.df, read.docLengths]) expect(array.buffer).toBeInstanceOf(SharedArrayBuffer);
    // shareable with search workers as a built index's postings are (a search of it stays on this thread: the next test)
    expect(searchesInParallel(read, Math.ceil(2 ** 25 / documents.length), 2)).toBe(true);
  });

  it('marks an index read from its cache file as cached (searched on this thread however large), a built one not', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-cached-'));
    try {
      const context = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
      const builder = new Bm25Retriever({ cacheDir: dir, threads: 2 });
      const built = await builder.index(memoryCorpus(corpus), context);
      await builder.settled();
      const read = await new Bm25Retriever({ cacheDir: dir, threads: 2 }).index(memoryCorpus(corpus), context);
      expect([built.cached, read.cached]).toEqual([false, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('BM25 retriever: interruption and bad input', () => {
  it('stops with an interrupted error when the signal has fired', async () => {
    const controller = new AbortController();
    controller.abort();
    const retriever = new Bm25Retriever({ cacheDir: null, threads: 2 });
    await expect(collect(retrieve(retriever, goldenInput({ signal: controller.signal })))).rejects.toMatchObject({ code: 'interrupted' });
  });

  it('stops the analysis workers when interrupted midway', async () => {
    const controller = new AbortController();
    const retriever = new Bm25Retriever({ cacheDir: null, threads: 2 });
    const running = collect(retrieve(retriever, goldenInput({ signal: controller.signal })));
    setTimeout(() => controller.abort(), 5);
    await expect(running).rejects.toBeInstanceOf(HarnessError);
  });

  it('refuses an empty corpus and invalid parameters with clear errors', async () => {
    const retriever = new Bm25Retriever({ cacheDir: null });
    await expect(collect(retrieve(retriever, goldenInput({ corpus: { ids: [], texts: [] } })))).rejects.toMatchObject({ code: 'data.empty_corpus' });
    expect(() => new Bm25Retriever({ b: 2 })).toThrow(/b must be in \[0, 1\]/);
  });
});

describe("glibc's log (Python math.log) for gensim's idf", () => {
  it('equals Python on small and random arguments, including where glibc is not correctly rounded', () => {
    const golden = JSON.parse(readText(bm25Fixture('glibc-log.json'))) as Array<[number, number]>;
    expect(golden.length).toBeGreaterThan(3500);
    expect(golden.filter(([x, ln]) => glibcLog(x) !== ln)).toEqual([]);
    // what V8 alone would get wrong
    expect(Math.log(3)).not.toBe(glibcLog(3));
    expect(golden.filter(([x, ln]) => Math.log(x) !== ln).length).toBeGreaterThan(20);
  });
});
