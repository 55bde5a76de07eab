import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReasonir, repoRoot } from '../helpers/cli.js';
import { startHfServer, type HfServer } from '../helpers/hf-server.js';

/**
 * `--model bge` end to end through the Hub client: the config names BAAI/bge-large-en-v1.5 @ main with
 * onnx/model.onnx, served here by the Hub imitation (with tiny-bert's random weights and its real WordPiece
 * tokenizer standing in), resolved, downloaded into the HF cache, then used offline from the cache.
 */
const commit = 'b9e0b9e0b9e0b9e0b9e0b9e0b9e0b9e0b9e0b9e0';
const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const tinyBert = path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-bert');

let work: string;
let server: HfServer;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-hub-model-'));
  const repo = path.join(work, 'repo');
  await fs.mkdir(path.join(repo, 'onnx'), { recursive: true });
  await fs.copyFile(path.join(tinyBert, 'model.onnx'), path.join(repo, 'onnx', 'model.onnx'));
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) await fs.copyFile(path.join(tinyBert, file), path.join(repo, file));
  server = await startHfServer({
    repos: [{ type: 'model', repo: 'BAAI/bge-large-en-v1.5', commits: { [commit]: repo }, branches: { main: commit } }],
    // like the real Hub: the tokenizer files are plain git files (ETag = git object id), the graph is LFS
    smallFiles: ['tokenizer.json', 'tokenizer_config.json'],
  });
});

afterAll(async () => {
  await server.close();
  await fs.rm(work, { recursive: true, force: true });
});

describe('reasonir eval --retriever dense --model <config name>', () => {
  it('fetches the model through the HF cache, evaluates, and compares with the published BGE row', async () => {
    const env = { HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: path.join(work, 'hub'), HF_HUB_OFFLINE: '', REASONIR_CACHE: path.join(work, 'cache') };
    const online = await runReasonir(
      ['eval', '--task', 'pony', '--retriever', 'dense', '--model', 'bge', '--device', 'cpu', '--data-dir', fixtureData, '--out', path.join(work, 'online')],
      { env },
    );
    expect(online.stderr).not.toContain('internal error');
    expect(online.code).toBe(0);
    expect(online.stdout).toMatch(/^published: .*\[bright-bge\]$/m);
    expect(server.requestsFor('/api/models/BAAI/bge-large-en-v1.5/revision/main')).not.toHaveLength(0);
    const snapshot = path.join(work, 'hub', 'models--BAAI--bge-large-en-v1.5', 'snapshots', commit);
    expect((await fs.readdir(path.join(snapshot, 'onnx'))).sort()).toEqual(['model.onnx']);
    const manifest = JSON.parse(await fs.readFile(path.join(work, 'online', 'pony', 'manifest.json'), 'utf8'));
    expect(manifest.retriever).toMatchObject({ model: 'bge', parameters: { model: 'config:bge', pooling: 'cls' } });

    const served = server.requests.length;
    const offline = await runReasonir(
      ['eval', '--task', 'pony', '--retriever', 'dense', '--model', 'bge', '--device', 'cpu', '--data-dir', fixtureData, '--out', path.join(work, 'offline')],
      { env: { ...env, HF_HUB_OFFLINE: '1' } },
    );
    expect(offline.code).toBe(0);
    expect(server.requests.length).toBe(served);
    expect(await fs.readFile(path.join(work, 'offline', 'pony', 'run.trec'), 'utf8')).toBe(
      await fs.readFile(path.join(work, 'online', 'pony', 'run.trec'), 'utf8'),
    );
  });
});
