import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryCorpus } from '../../src/core/corpus-source.js';
import { noProgress } from '../../src/core/progress.js';
import type { Candidates, Retriever, SliceReport } from '../../src/core/types.js';
import { retrieve } from '../../src/pipeline/retrieve.js';
import { readArrowFile } from '../../src/encode/cache/arrow-io.js';
import { cacheKey, shardChunks } from '../../src/encode/cache/embedding-cache.js';
import { createDenseRetriever } from '../../src/retrieval/create-dense.js';
import { createPrecomputedRetriever } from '../../src/retrieval/create-precomputed.js';
import { fixtureModelDir, npyBytes } from './helpers.js';
// @ts-expect-error plain JS helper shared with the child processes
import { syntheticCorpus, syntheticQueries } from './synthetic.mjs';

type Corpus = { ids: string[]; texts: string[] };
type Query = { id: string; text: string; goldIds: string[]; goldIdsLong: string[]; excludedIds: string[] };
const corpus = (syntheticCorpus as (n: number) => Corpus)(700);
const queries = (syntheticQueries as (n: number) => Query[])(6);
const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'reasonir-dense-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  for (const root of roots) await fs.rm(root, { recursive: true, force: true });
});

async function collect(retriever: Retriever, depth = 20, revision?: string): Promise<Candidates[]> {
  const out: Candidates[] = [];
  for await (const candidates of retrieve(retriever, { task: 'biology', corpus, corpusSha256: 'synthetic-700', queries, depth, revision })) out.push(candidates);
  return out;
}

function encodeSlice(retriever: Retriever, index: number, count: number): Promise<SliceReport> {
  const context = { task: 'biology', dataset: { repo: 'local', revision: 'local', corpusSha256: 'synthetic-700' }, long: false, progress: noProgress };
  return retriever.indexSlice!(memoryCorpus(corpus), context, { index, count });
}

function keyDirs(root: string): string[] {
  const base = path.join(root, 'embeddings');
  return readdirSync(base).flatMap((prefix) => readdirSync(path.join(base, prefix)).map((key) => path.join(base, prefix, key)));
}

const model = fixtureModelDir('tiny-bert');

describe('dense retriever on tiny-bert (local model directory)', () => {
  it('returns depth + |excluded| candidates per query, scored by the cached vectors, in (score desc, row asc) order', async () => {
    const root = tempRoot();
    const retriever = await createDenseRetriever({ model, device: 'cpu', cacheDir: root, chunkRows: 128 });
    const results = await collect(retriever);
    expect(results.map((c) => c.queryId)).toEqual(queries.map((q) => q.id));
    const [documentDir] = keyDirs(root).filter((dir) => JSON.parse(readFileSyncUtf8(path.join(dir, 'meta.json'))).parts.role === 'document');
    const documents = await readArrowFile(path.join(documentDir!, 'embeddings.arrow'));
    expect(documents.ids).toEqual(corpus.ids);
    expect(existsSync(path.join(documentDir!, 'chunks'))).toBe(false);
    const queryDir = keyDirs(root).find((dir) => dir !== documentDir)!;
    const queryVectors = await readArrowFile(path.join(queryDir, 'embeddings.arrow'));
    results.forEach((candidates, q) => {
      expect(candidates.docIndices!.length).toBe(20 + queries[q]!.excludedIds.length);
      const all = corpus.ids.map((_, row) => {
        let dot = 0;
        for (let j = 0; j < documents.dim; j++) dot += queryVectors.vectors[q * documents.dim + j]! * documents.vectors[row * documents.dim + j]!;
        return dot;
      });
      const ranked = all.map((score, row) => ({ score, row })).sort((a, b) => b.score - a.score || a.row - b.row);
      candidates.docIndices!.forEach((row, i) => {
        expect(Math.abs(candidates.scores[i]! - all[row]!)).toBeLessThan(1e-6);
        expect(Math.abs(ranked[i]!.score - candidates.scores[i]!)).toBeLessThan(1e-6);
        if (i > 0) expect(candidates.scores[i - 1]! > candidates.scores[i]! || (candidates.scores[i - 1] === candidates.scores[i] && candidates.docIndices![i - 1]! < row)).toBe(true);
      });
    });
  });

  it('reuses the cache whatever the batch size; instruction, max length or corpus changes make new keys', async () => {
    const root = tempRoot();
    const first = await collect(await createDenseRetriever({ model, device: 'cpu', cacheDir: root, batchTokens: 512 }));
    const before = keyDirs(root).sort();
    const again = await collect(await createDenseRetriever({ model, device: 'cpu', cacheDir: root, batchTokens: 8192 }));
    expect(keyDirs(root).sort()).toEqual(before);
    expect(again.map((c) => Array.from(c.docIndices!))).toEqual(first.map((c) => Array.from(c.docIndices!)));
    expect(again.map((c) => Array.from(c.scores))).toEqual(first.map((c) => Array.from(c.scores)));
    // the same documents under another revision name share the key (content, not the name typed); other
    // documents get a new document key and keep the query key
    await collect(await createDenseRetriever({ model, device: 'cpu', cacheDir: root }), 20, 'other');
    expect(keyDirs(root).sort()).toEqual(before);
    const other = await createDenseRetriever({ model, device: 'cpu', cacheDir: root });
    for await (const _ of retrieve(other, { task: 'biology', corpus, corpusSha256: 'synthetic-700-edited', queries, depth: 5 })) void _;
    expect(keyDirs(root).length).toBe(before.length + 1);
    // leetcode has a different query instruction in this model's reasonir.json: a new query key, document key unchanged
    const retriever = await createDenseRetriever({ model, device: 'cpu', cacheDir: root });
    for await (const _ of retrieve(retriever, { task: 'leetcode', corpus, corpusSha256: 'synthetic-700', queries, depth: 5 })) void _;
    expect(keyDirs(root).length).toBe(before.length + 2);
  });

  it('keys hash every vector-changing field and never the batch size', () => {
    const parts = { role: 'document', pooling: 'mean', maxLength: 64, instruction: '' };
    expect(cacheKey(parts)).toBe(cacheKey({ instruction: '', maxLength: 64, pooling: 'mean', role: 'document' }));
    expect(cacheKey(parts)).not.toBe(cacheKey({ ...parts, maxLength: 65 }));
    expect(cacheKey(parts)).not.toBe(cacheKey({ ...parts, instruction: 'x' }));
  });

  it('slices: each i/n call caches its slice and reports it; the call that completes the key assembles it', async () => {
    const root = tempRoot();
    const whole = tempRoot();
    const expected = await collect(await createDenseRetriever({ model, device: 'cpu', cacheDir: whole, chunkRows: 64 }));
    const retriever = await createDenseRetriever({ model, device: 'cpu', cacheDir: root, chunkRows: 64 });
    // 700 rows = 11 chunks of 64: slices of 3, 4 and 4 chunks
    expect(await encodeSlice(retriever, 2, 3)).toEqual({ start: 448, end: 700, built: 252, cachedRows: 252, totalRows: 700, chunkRows: 64, complete: false });
    expect(await encodeSlice(retriever, 0, 3)).toEqual({ start: 0, end: 192, built: 192, cachedRows: 444, totalRows: 700, chunkRows: 64, complete: false });
    // a requeued slice finds its chunks cached and encodes nothing
    expect(await encodeSlice(retriever, 0, 3)).toMatchObject({ built: 0, cachedRows: 444, complete: false });
    expect(await encodeSlice(retriever, 1, 3)).toEqual({ start: 192, end: 448, built: 256, cachedRows: 700, totalRows: 700, chunkRows: 64, complete: true });
    // more shards than chunks: the extra ones have nothing to do
    expect(await encodeSlice(retriever, 0, 20)).toMatchObject({ start: 0, end: 0, built: 0, complete: true });
    const last = await collect(retriever);
    expect(last.map((c) => Array.from(c.docIndices!))).toEqual(expected.map((c) => Array.from(c.docIndices!)));
    expect(last.map((c) => Array.from(c.scores))).toEqual(expected.map((c) => Array.from(c.scores)));
    const sharded = keyDirs(root).map((dir) => path.join(dir, 'embeddings.arrow')).sort();
    const unsharded = keyDirs(whole).map((dir) => path.join(dir, 'embeddings.arrow')).sort();
    expect(await Promise.all(sharded.map((file) => fs.readFile(file)))).toEqual(await Promise.all(unsharded.map((file) => fs.readFile(file))));
  });

  it('splits chunks into contiguous shard ranges that cover every chunk once', () => {
    for (const [chunks, count] of [[11, 3], [3, 5], [1, 1], [100, 7]] as const) {
      const covered = Array.from({ length: count }, (_, index) => shardChunks(chunks, { index, count }));
      expect(covered[0]![0]).toBe(0);
      expect(covered.at(-1)![1]).toBe(chunks);
      covered.slice(1).forEach((range, i) => expect(range[0]).toBe(covered[i]![1]));
    }
  });

  it('precomputed: our Arrow files and .npy files give the same candidates as the dense run', async () => {
    const root = tempRoot();
    const dense = await collect(await createDenseRetriever({ model, device: 'cpu', cacheDir: root }));
    const dirs = keyDirs(root);
    const role = (dir: string) => JSON.parse(readFileSyncUtf8(path.join(dir, 'meta.json'))).parts.role as string;
    const docFile = path.join(dirs.find((dir) => role(dir) === 'document')!, 'embeddings.arrow');
    const queryFile = path.join(dirs.find((dir) => role(dir) === 'query')!, 'embeddings.arrow');
    const fromArrow = await collect(await createPrecomputedRetriever({ docEmbeddings: docFile, queryEmbeddings: queryFile }));
    expect(fromArrow.map((c) => Array.from(c.docIndices!))).toEqual(dense.map((c) => Array.from(c.docIndices!)));
    fromArrow.forEach((c, q) => c.scores.forEach((s, i) => expect(Math.abs(s - dense[q]!.scores[i]!)).toBeLessThan(1e-6)));

    const docNpy = path.join(root, 'docs.npy');
    const queryNpy = path.join(root, 'queries.npy');
    await fs.writeFile(docNpy, npyBytes((await readArrowFile(docFile)).vectors, corpus.ids.length, 'f4'));
    await fs.writeFile(queryNpy, npyBytes((await readArrowFile(queryFile)).vectors, queries.length, 'f4'));
    const fromNpy = await collect(await createPrecomputedRetriever({ docEmbeddings: docNpy, queryEmbeddings: queryNpy }));
    expect(fromNpy.map((c) => Array.from(c.docIndices!))).toEqual(fromArrow.map((c) => Array.from(c.docIndices!)));
    expect(fromNpy.map((c) => Array.from(c.scores))).toEqual(fromArrow.map((c) => Array.from(c.scores)));

    const shortNpy = path.join(root, 'short.npy');
    await fs.writeFile(shortNpy, npyBytes(new Float32Array(32 * 5), 5, 'f4'));
    await expect(collect(await createPrecomputedRetriever({ docEmbeddings: shortNpy, queryEmbeddings: queryNpy }))).rejects.toMatchObject({
      code: 'data.embeddings.row_count',
      exitCode: 3,
    });
  });
});

function readFileSyncUtf8(file: string): string {
  return readFileSync(file, 'utf8');
}
