import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { fixtureModelDir } from '../encode/helpers.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const tinyBert = path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-bert');

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-eval-dense-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function embeddingFiles(cache: string): Promise<Record<'query' | 'document', string>> {
  const files: Partial<Record<'query' | 'document', string>> = {};
  const root = path.join(cache, 'embeddings');
  for (const prefix of await fs.readdir(root)) {
    for (const key of await fs.readdir(path.join(root, prefix))) {
      const meta = JSON.parse(await fs.readFile(path.join(root, prefix, key, 'meta.json'), 'utf8')) as { parts: { role: 'query' | 'document' } };
      files[meta.parts.role] = path.join(root, prefix, key, 'embeddings.arrow');
    }
  }
  return files as Record<'query' | 'document', string>;
}

describe('reasonir eval --retriever dense (ONNX, CPU)', () => {
  it('runs a real ONNX encoder end to end, honours exclusions, and reuses its embedding cache', async () => {
    const cache = path.join(work, 'cache');
    const out = path.join(work, 'dense');
    const first = await runReasonir(
      ['eval', '--task', 'leetcode', '--retriever', 'dense', '--model', tinyBert, '--device', 'cpu', '--data-dir', fixtureData, '--out', out, '--json'],
      { env: { REASONIR_CACHE: cache } },
    );
    expect(first.stderr).not.toContain('internal error');
    expect(first.code).toBe(0);
    // a local folder without registered weights is its own model: folder name and weight hash
    expect(JSON.parse(first.stdout)).toMatchObject({ retriever: 'dense', model: expect.stringMatching(/^tiny-bert@[0-9a-f]{12}$/) });
    const scores = JSON.parse(await fs.readFile(path.join(out, 'leetcode', 'score.json'), 'utf8')) as Record<string, Record<string, number>>;
    const task = await loadTask({ task: 'leetcode', dataDir: fixtureData });
    for (const query of task.queries) {
      const retrieved = Object.keys(scores[query.id]!);
      expect(retrieved).toHaveLength(Math.min(1000, task.corpus.ids.length - query.excludedIds.length));
      expect(retrieved.filter((id) => query.excludedIds.includes(id))).toEqual([]);
    }

    const files = await embeddingFiles(cache);
    const before = await Promise.all([fs.stat(files.query), fs.stat(files.document)]);
    const again = await runReasonir(
      ['eval', '--task', 'leetcode', '--retriever', 'dense', '--model', tinyBert, '--device', 'cpu', '--data-dir', fixtureData, '--out', path.join(work, 'dense-again'), '--json'],
      { env: { REASONIR_CACHE: cache } },
    );
    expect(again.code).toBe(0);
    const after = await Promise.all([fs.stat(files.query), fs.stat(files.document)]);
    expect(after.map((stat) => stat.mtimeMs)).toEqual(before.map((stat) => stat.mtimeMs));
    expect(await fs.readFile(path.join(work, 'dense-again', 'leetcode', 'run.trec'), 'utf8')).toBe(
      await fs.readFile(path.join(out, 'leetcode', 'run.trec'), 'utf8'),
    );
  });

  it('scores the cached Arrow embeddings as precomputed embeddings to the identical run', async () => {
    const files = await embeddingFiles(path.join(work, 'cache'));
    const out = path.join(work, 'precomputed');
    const result = await runReasonir([
      'eval', '--task', 'leetcode', '--retriever', 'embeddings', '--doc-emb', files.document, '--query-emb', files.query,
      '--device', 'cpu', '--data-dir', fixtureData, '--out', out,
    ]);
    expect(result.stderr).not.toContain('internal error');
    expect(result.code).toBe(0);
    expect(await fs.readFile(path.join(out, 'leetcode', 'run.trec'), 'utf8')).toBe(
      (await fs.readFile(path.join(work, 'dense', 'leetcode', 'run.trec'), 'utf8')).replaceAll(/ \S+\n/g, ' reasonir-embeddings\n'),
    );
  });

  it('labels a local export by folder and weight hash, and sets it against the ReasonIR paper only with --compare-as', async () => {
    const tinyLlama = fixtureModelDir('tiny-llama-bidir');
    const onnxSha = createHash('sha256').update(await fs.readFile(path.join(tinyLlama, 'model.onnx'))).digest('hex');
    const label = `tiny-llama-bidir@${onnxSha.slice(0, 12)}`;
    const env = { REASONIR_CACHE: path.join(work, 'cache') };
    const args = ['eval', '--task', 'pony', '--retriever', 'dense', '--model', tinyLlama, '--queries', 'gpt4', '--device', 'cpu', '--data-dir', fixtureData];
    // random weights behind {"extends": "reasonir"}: not ReasonIR-8B, so no published row and no Δ
    const own = await runReasonir([...args, '--out', path.join(work, 'own-label')], { env });
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain('published: nothing was published for this setting');
    expect(own.stdout).not.toContain('29.9');
    const ownSummary = JSON.parse(await fs.readFile(path.join(work, 'own-label', 'summary.json'), 'utf8'));
    expect(ownSummary).toMatchObject({ model: label, requested_tasks: ['pony'], completed_tasks: ['pony'], interrupted: false, top_k: 1000 });
    const manifest = JSON.parse(await fs.readFile(path.join(work, 'own-label', 'pony', 'manifest.json'), 'utf8'));
    expect(manifest.retriever).toMatchObject({
      model: label,
      parameters: { model: `dir:${tinyLlama}`, family: label, extends: 'reasonir', weights_verified: false, checkpoint: null, pooling: 'mean_excluding_instruction', device: 'cpu' },
    });
    expect(manifest.retriever.parameters.files_sha256.onnxSha256).toBe(onnxSha);
    expect(manifest.retriever.parameters.dtype).toMatch(/^(fp32|fp16|bf16)$/);
    expect(manifest.versions).toMatchObject({ reasonir: expect.any(String), onnxruntime: expect.stringMatching(/^\d+\.\d+/), tokenizers: expect.stringMatching(/^\d+\.\d+/) });

    // the user says so: compared with the 29.9 row, and every table says why
    const out = path.join(work, 'reasonir-gpt4');
    const result = await runReasonir([...args, '--out', out, '--compare-as', 'reasonir'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('published: ReasonIR-8B + GPT-4 reasoning (ReasonIR paper) [reasonir-gpt4]');
    expect(result.stdout).toMatch(/ReasonIR-8B \+ GPT-4 reasoning \(ReasonIR paper\).*29\.9/);
    expect(result.stdout).toContain(`note: ${label} as reasonir +gpt4: compared with reasonir's published rows by --compare-as; its weights are not reasonir's registered checkpoint`);
    const table = await runReasonir(['table', out]);
    expect(table.stdout).toMatch(new RegExp(`^${label} as reasonir \\+gpt4 `, 'm'));
    expect(table.stdout).toContain('by --compare-as');
    const badName = await runReasonir([...args, '--out', path.join(work, 'bad-compare-as'), '--compare-as', 'reasonir-9b'], { env });
    expect(badName.code).toBe(2);
  });

  it('fails clearly without a usable model or device', async () => {
    const cuda = await runReasonir(['eval', '--task', 'leetcode', '--retriever', 'dense', '--model', tinyBert, '--device', 'cuda', '--data-dir', fixtureData, '--out', path.join(work, 'cuda')]);
    expect(cuda.code).toBe(3);
    expect(cuda.stderr).toContain('ONNXRUNTIME_NODE_INSTALL');
    const missing = await runReasonir(['eval', '--task', 'leetcode', '--retriever', 'dense', '--model', path.join(work, 'no-such-model'), '--data-dir', fixtureData, '--out', path.join(work, 'missing')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('does not exist');
    const noModel = await runReasonir(['eval', '--task', 'leetcode', '--retriever', 'dense', '--data-dir', fixtureData]);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain('--model');
  });
});
