import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBrightParquet } from '../../tools/bright-parquet.mjs';
import { runReasonir } from '../helpers/cli.js';
import { startHfServer, type HfServer } from '../helpers/hf-server.js';
import { hfModelDir, loadHfReferences } from '../encode/graph/hf-fixtures.js';

/**
 * `eval --retriever dense --model reasonir` with the graph built from the checkpoint: the Hub imitation serves
 * tiny-reasonir as reasonir/ReasonIR-8B at the config's pinned commit (sharded, `model.` prefix, lm_head), the
 * task's queries and documents are references.json's texts, and every score of run.trec must be the cosine of the
 * reference embeddings (transformers' float64 ReasonIR encode) within 1e-5. Then the same from the HF cache
 * (no weight downloads, embedding cache hit), offline, and from a local checkpoint folder.
 */
const commit = 'c3d0690370ff4a8c3d3882d8dfa85c43650034fa';
const references = loadHfReferences('tiny-reasonir');
const side = references.results['32768']!;
const queryVectors = side.queries.embeddings.bidirectional!;
const documentVectors = side.documents.embeddings.bidirectional!;
const queryIds = queryVectors.flatMap((vector, i) => (vector === null ? [] : [i]));
const documentIds = documentVectors.flatMap((vector, i) => (vector === null ? [] : [i]));

let work: string;
let server: HfServer;
let dataDir: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-eval-checkpoint-'));
  dataDir = path.join(work, 'data');
  await fs.mkdir(path.join(dataDir, 'examples'), { recursive: true });
  await fs.mkdir(path.join(dataDir, 'documents'), { recursive: true });
  writeBrightParquet({
    filename: path.join(dataDir, 'documents', 'biology-00000-of-00001.parquet'),
    columns: { id: 'string', content: 'string' },
    rows: documentIds.map((i) => ({ id: `d${i}`, content: references.texts[i]! })),
  });
  writeBrightParquet({
    filename: path.join(dataDir, 'examples', 'biology-00000-of-00001.parquet'),
    columns: { query: 'string', reasoning: 'string', id: 'string', excluded_ids: 'string[]', gold_ids_long: 'string[]', gold_ids: 'string[]', gold_answer: 'string' },
    rows: queryIds.map((i) => ({ query: references.texts[i]!, reasoning: '', id: `q${i}`, excluded_ids: ['N/A'], gold_ids_long: ['N/A'], gold_ids: [`d${documentIds[(i * 7) % documentIds.length]}`], gold_answer: '' })),
  });
  server = await startHfServer({ repos: [{ type: 'model', repo: 'reasonir/ReasonIR-8B', commits: { [commit]: hfModelDir('tiny-reasonir') } }] });
});

afterAll(async () => {
  await server?.close();
  await fs.rm(work, { recursive: true, force: true });
});

/** Every line of run.trec against cos(q_ref, d_ref); returns the number of scores compared. */
async function expectReferenceScores(runFile: string): Promise<number> {
  const lines = (await fs.readFile(runFile, 'utf8')).trim().split('\n');
  let compared = 0;
  const seen = new Map<string, number>();
  for (const line of lines) {
    const [qid, , docid, , score] = line.split(' ');
    const q = queryVectors[Number(qid!.slice(1))]!;
    const d = documentVectors[Number(docid!.slice(1))]!;
    const cosine = q.reduce((sum, value, j) => sum + value * d[j]!, 0);
    expect(Math.abs(Number(score) - cosine), `${qid} ${docid}`).toBeLessThan(1e-5);
    seen.set(qid!, (seen.get(qid!) ?? 0) + 1);
    compared++;
  }
  expect([...seen.keys()].sort()).toEqual(queryIds.map((i) => `q${i}`).sort());
  for (const count of seen.values()) expect(count).toBe(documentIds.length);
  return compared;
}

describe('eval --retriever dense with a graph built from a Hugging Face checkpoint', () => {
  it('downloads through the HF cache, scores exactly the reference cosines, then reuses the cache online and offline', async () => {
    const env = { HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: path.join(work, 'hub'), HF_HUB_OFFLINE: '', REASONIR_CACHE: path.join(work, 'cache') };
    const args = (out: string) => ['eval', '--task', 'biology', '--retriever', 'dense', '--model', 'reasonir', '--device', 'cpu', '--data-dir', dataDir, '--out', path.join(work, out)];
    const online = await runReasonir(args('online'), { env });
    expect(online.stderr).not.toContain('internal error');
    expect(online.code, online.stderr).toBe(0);
    const compared = await expectReferenceScores(path.join(work, 'online', 'biology', 'run.trec'));
    expect(compared).toBe(queryIds.length * documentIds.length);
    const repoRoot = path.join(work, 'hub', 'models--reasonir--ReasonIR-8B');
    const snapshot = (await fs.readdir(path.join(repoRoot, 'snapshots', commit))).sort();
    expect(snapshot).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json']);
    // nothing beside the weights: the graph lives in memory only
    expect((await fs.readdir(path.join(repoRoot, 'blobs'))).every((name) => /^[0-9a-f]{40,64}$/.test(name))).toBe(true);
    const manifest = JSON.parse(await fs.readFile(path.join(work, 'online', 'biology', 'manifest.json'), 'utf8'));
    expect(manifest.retriever).toMatchObject({ model: 'reasonir', parameters: { model: 'config:reasonir', pooling: 'mean_excluding_instruction', dtype: 'fp32', device: 'cpu' } });
    // MTEB files a model's results under its Hub name and commit, which the config's checkpoint gives
    const exported = await runReasonir(['export', path.join(work, 'online'), '--format', 'mteb', '--out', path.join(work, 'mteb')], { env });
    expect(exported.code, exported.stderr).toBe(0);
    expect((await fs.readdir(path.join(work, 'mteb', 'reasonir__ReasonIR-8B', manifest.retriever.parameters.checkpoint.revision))).sort()).toEqual([
      'BrightBiologyRetrieval.json', 'BrightRetrieval.json', 'model_meta.json',
    ]);

    const blobs = await Promise.all(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'].map((file) => fs.readlink(path.join(repoRoot, 'snapshots', commit, file))));
    const weightDownloads = () => blobs.reduce((sum, blob) => sum + server.requestsFor(path.basename(blob), 'cdn').length, 0);
    const downloaded = weightDownloads();
    expect(downloaded).toBeGreaterThanOrEqual(2);
    const cacheState = async () => {
      const files = (await fs.readdir(env.REASONIR_CACHE, { recursive: true })).sort();
      return Promise.all(files.map(async (file) => `${file} ${(await fs.stat(path.join(env.REASONIR_CACHE, file))).mtimeMs}`));
    };
    const before = await cacheState();
    expect(before.some((entry) => entry.includes('embeddings'))).toBe(true);
    const again = await runReasonir(args('again'), { env });
    expect(again.code, again.stderr).toBe(0);
    expect(weightDownloads()).toBe(downloaded);
    // the key (weights' etags, config.json, tokenizer, builder version) matched: nothing encoded or written
    expect(await cacheState()).toEqual(before);
    const served = server.requests.length;
    const offline = await runReasonir(args('offline'), { env: { ...env, HF_HUB_OFFLINE: '1' } });
    expect(offline.code, offline.stderr).toBe(0);
    expect(server.requests.length).toBe(served);
    const online0 = await fs.readFile(path.join(work, 'online', 'biology', 'run.trec'), 'utf8');
    expect(await fs.readFile(path.join(work, 'offline', 'biology', 'run.trec'), 'utf8')).toBe(online0);
    expect(await fs.readFile(path.join(work, 'again', 'biology', 'run.trec'), 'utf8')).toBe(online0);
  }, 300_000);

  it('--model <checkpoint folder> (files symlinked from elsewhere, reasonir.json extends reasonir) gives the same scores', async () => {
    const folder = path.join(work, 'my-finetune');
    await fs.mkdir(folder);
    for (const file of await fs.readdir(hfModelDir('tiny-reasonir'))) await fs.symlink(path.join(hfModelDir('tiny-reasonir'), file), path.join(folder, file));
    await fs.writeFile(path.join(folder, 'reasonir.json'), '{"extends": "reasonir"}\n');
    const result = await runReasonir(['eval', '--task', 'biology', '--retriever', 'dense', '--model', folder, '--device', 'cpu', '--data-dir', dataDir, '--out', path.join(work, 'local')], {
      env: { REASONIR_CACHE: path.join(work, 'cache-local') },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(await expectReferenceScores(path.join(work, 'local', 'biology', 'run.trec'))).toBe(queryIds.length * documentIds.length);
  }, 300_000);
});
