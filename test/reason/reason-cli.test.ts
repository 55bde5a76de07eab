import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { QUERIES_FORMAT } from '../../src/dataset/queries-file.js';
import { brightReasonMessages } from '../../src/reason/run-reason.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import { startOpenAiServer, type OpenAiServer } from '../helpers/openai-server.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const rewrite = (prompt: string) => `Essential problem: ${prompt.slice(0, 40)}`;
let work: string;
let server: OpenAiServer;
const env = () => ({ REASONIR_CACHE: path.join(work, 'cache'), REASONIR_LLM_BACKOFF_MS: '1' });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-reason-'));
  // the third query is refused: reason.py keeps the original text when the API gives none back
  server = await startOpenAiServer({ answer: rewrite, fault: (index) => (index === 2 ? { refusal: 'no' } : undefined) });
});
afterAll(async () => {
  await server.close();
  await fs.rm(work, { recursive: true, force: true });
});

describe('reasonir reason and eval --queries FILE', () => {
  it('sends reason.py\'s messages and writes a queries file that eval reads', async () => {
    const out = path.join(work, 'q', '{task}.json');
    const result = await runReasonir(['reason', '--task', 'pony', '--endpoint', server.baseUrl, '--model', 'test-model', '--data-dir', fixtureData, '--out', out, '--max-tokens', '512', '--concurrency', '1'], { env: env() });
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const task = await loadTask({ task: 'pony', dataDir: fixtureData });
    const sent = server.completions();
    expect(sent).toHaveLength(112);
    expect(sent[0]!.body).toMatchObject({ model: 'test-model', temperature: 0.8, top_p: 0.8, max_tokens: 512, seed: 42, messages: brightReasonMessages(task.queries[0]!.text) });
    expect(brightReasonMessages('a\nb')[1]!.content).toBe(
      'a b\n\nInstructions:\n1. Identify the essential problem.\n2. Think step by step to reason and describe what information could be relevant and helpful to address the questions in detail.\n3. Draft an answer with as many thoughts as you have.\n',
    );
    const file = JSON.parse(await fs.readFile(path.join(work, 'q', 'pony.json'), 'utf8'));
    expect(file).toMatchObject({ format: QUERIES_FORMAT, task: 'pony', source: { model: 'test-model', kept_original: 1, parameters: { max_tokens: 512 } } });
    expect(file.queries.map((q: { id: string }) => q.id)).toEqual(task.queries.map((q) => q.id));
    expect(file.queries[0].query).toBe(rewrite(brightReasonMessages(task.queries[0]!.text)[1]!.content));
    expect(file.queries[2].query).toBe(task.queries[2]!.text);

    const evaluated = await runReasonir(['eval', '--task', 'pony', '--queries', out, '--data-dir', fixtureData, '--out', path.join(work, 'eval'), '--json'], { env: env() });
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout).queries).toBe('reason-test-model');
    const manifest = JSON.parse(await fs.readFile(path.join(work, 'eval', 'pony', 'manifest.json'), 'utf8'));
    expect(manifest.queries_file).toMatchObject({ path: out.replace('{task}', 'pony'), source: { model: 'test-model' } });
    expect(manifest.queries_file.sha256).toMatch(/^[0-9a-f]{64}$/);

    const again = await runReasonir(['reason', '--task', 'pony', '--endpoint', server.baseUrl, '--model', 'test-model', '--data-dir', fixtureData, '--out', out], { env: env() });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');

    // a rerun into another file is answered from the cache: nothing sent, the same texts
    const sentBefore = server.completions().length;
    const rerun = await runReasonir(['reason', '--task', 'pony', '--endpoint', server.baseUrl, '--model', 'test-model', '--data-dir', fixtureData, '--out', path.join(work, 'q2', '{task}.json'), '--max-tokens', '512'], { env: env() });
    expect(rerun.code).toBe(0);
    expect(server.completions().length).toBe(sentBefore);
    const second = JSON.parse(await fs.readFile(path.join(work, 'q2', 'pony.json'), 'utf8'));
    expect(second.queries).toEqual(file.queries);
    expect(second.source.llm).toMatchObject({ sent: 0, cached: 112 });
  });

  it('a queries file holding the gpt4_reason texts gives the same run as --queries gpt4', async () => {
    const gpt4 = await loadTask({ task: 'pony', dataDir: fixtureData, queries: 'gpt4' });
    const file = path.join(work, 'gpt4-as-file.json');
    await fs.writeFile(file, JSON.stringify({ format: QUERIES_FORMAT, task: 'pony', source: {}, queries: gpt4.queries.map((q) => ({ id: q.id, query: q.text })) }));
    const viaFile = await runReasonir(['eval', '--task', 'pony', '--queries', file, '--data-dir', fixtureData, '--out', path.join(work, 'via-file'), '--json'], { env: env() });
    const viaVariant = await runReasonir(['eval', '--task', 'pony', '--queries', 'gpt4', '--data-dir', fixtureData, '--out', path.join(work, 'via-variant'), '--json'], { env: env() });
    expect(viaFile.code).toBe(0);
    expect(viaVariant.code).toBe(0);
    expect(await fs.readFile(path.join(work, 'via-file', 'pony', 'score.json'), 'utf8')).toBe(await fs.readFile(path.join(work, 'via-variant', 'pony', 'score.json'), 'utf8'));
  });

  it('checks the ids and the task of a queries file before any work', async () => {
    const task = await loadTask({ task: 'pony', dataDir: fixtureData });
    const write = async (name: string, value: unknown) => {
      const file = path.join(work, name);
      await fs.writeFile(file, JSON.stringify(value));
      return file;
    };
    const entries = task.queries.map((q) => ({ id: q.id, query: 'x' }));
    const evalWith = (file: string) => runReasonir(['eval', '--task', 'pony', '--queries', file, '--data-dir', fixtureData, '--out', path.join(work, 'never')], { env: env() });

    const missing = await evalWith(await write('missing.json', { format: QUERIES_FORMAT, task: 'pony', queries: entries.slice(1) }));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`1 of the task's 112 queries are missing (${task.queries[0]!.id})`);
    const extra = await evalWith(await write('extra.json', { format: QUERIES_FORMAT, task: 'pony', queries: [...entries, { id: 'nope', query: 'x' }] }));
    expect(extra.code).toBe(3);
    expect(extra.stderr).toContain('1 ids are not pony queries (nope)');
    const otherTask = await evalWith(await write('other.json', { format: QUERIES_FORMAT, task: 'leetcode', queries: entries }));
    expect(otherTask.code).toBe(3);
    expect(otherTask.stderr).toContain('not pony');
    const badVariant = await evalWith('gpt5');
    expect(badVariant.code).toBe(2);
    expect(badVariant.stderr).toContain('neither a query variant');
    await expect(fs.access(path.join(work, 'never'))).rejects.toThrow();
  });
});
