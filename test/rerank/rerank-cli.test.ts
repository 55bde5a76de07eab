import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { qrelsFromQueries } from '../../src/eval/build-run.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { evalMeasures } from '../../src/pipeline/run-evaluation.js';
import { readRunFile } from '../../src/eval/run-file.js';
import { brightListwiseMessages } from '../../src/rerank/bright-listwise.js';
import { localTokenCounter } from '../../src/rerank/prompt-guard.js';
import { qwenRerankPrompt } from '../../src/rerank/qwen-rerank-prompts.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import { docsByQuery, runFromDocs, type Doc } from '../helpers/runs.js';
import { countWords, deterministicScore, startOpenAiServer, type OpenAiServer } from '../helpers/openai-server.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const KEY = 'sk-test-secret-never-printed';

let work: string;
let original: string;
let gpt4: string;

async function evalRun(out: string, extra: string[]): Promise<void> {
  const result = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out, '--top-k', '20', '--json', ...extra], {
    env: { REASONIR_CACHE: path.join(work, 'bm25-cache') },
  });
  expect(result.stderr).not.toContain('error');
  expect(result.code).toBe(0);
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-rerank-'));
  original = path.join(work, 'bm25');
  gpt4 = path.join(work, 'bm25-gpt4');
  await evalRun(original, []);
  await evalRun(gpt4, ['--queries', 'gpt4']);
}, 120_000);
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

function rerank(server: { baseUrl: string } | string, input: string, out: string, extra: string[] = [], cache = 'llm-cache') {
  const endpoint = typeof server === 'string' ? server : server.baseUrl;
  return runReasonir(['rerank', input, '--endpoint', endpoint, '--model', 'test-model', '--data-dir', fixtureData, '--out', out, '--json', ...extra], {
    env: { REASONIR_CACHE: path.join(work, cache), OPENAI_API_KEY: KEY, REASONIR_LLM_BACKOFF_MS: '5' },
  });
}

/** Every file under dir, as text. */
async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) text += await fs.readFile(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

/** The expected QwenRerank runs, computed here from the input run and the task, independently of src/rerank. */
async function expectedRuns(input: string, queries: 'original' | 'gpt4', topK: number) {
  const task = await loadTask({ task: 'pony', dataDir: fixtureData, queries });
  const texts = new Map<string, string>();
  for await (const batch of task.corpus.texts()) batch.texts.forEach((text, i) => texts.set(task.corpus.ids.id(batch.start + i), text));
  const queryText = new Map(task.queries.map((q) => [q.id, q.text]));
  const retrieved = docsByQuery(await readRunFile(path.join(input, 'pony', 'score.json')));
  const prompts: string[] = [];
  const rerankerOnly = new Map<string, Doc[]>();
  const interpolated = new Map<string, Doc[]>();
  for (const [queryId, docs] of retrieved) {
    const top = docs.slice(0, topK); // eval writes rank order
    const scored = top.map((doc, index) => {
      const prompt = qwenRerankPrompt('pony', queryText.get(queryId)!, texts.get(doc.docId)!);
      prompts.push(prompt);
      return { docId: doc.docId, index, retriever: doc.score, reranker: deterministicScore(prompt) / 5 };
    });
    scored.sort((a, b) => b.reranker - a.reranker || a.index - b.index);
    rerankerOnly.set(queryId, scored.map((d) => ({ docId: d.docId, score: d.reranker })));
    const mixed = scored.map((d, index) => ({ docId: d.docId, index, score: 0.5 * d.reranker + 0.5 * d.retriever }));
    mixed.sort((a, b) => b.score - a.score || a.index - b.index);
    interpolated.set(queryId, mixed.map(({ docId, score }) => ({ docId, score })));
  }
  return { prompts, rerankerOnly: runFromDocs(rerankerOnly), interpolated: runFromDocs(interpolated), qrels: qrelsFromQueries(task.queries, false) };
}

describe('reasonir rerank (QwenRerank against a local OpenAI-compatible server)', () => {
  let server: OpenAiServer;
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(async () => server.close());

  it('sends ReasonIR\'s exact prompts and parameters, writes both runs scored, and reuses the cache on a rerun', async () => {
    const out = path.join(work, 'rr1');
    const result = await rerank(server, original, out, ['--top-k', '3']);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const expected = await expectedRuns(original, 'original', 3);
    const sent = server.completions();
    expect(sent).toHaveLength(112 * 3);
    // concurrency reorders arrival, not content
    expect(sent.map((r) => r.body!.prompt).sort()).toEqual([...expected.prompts].sort());
    for (const request of sent) {
      expect(request.body).toMatchObject({ model: 'test-model', temperature: 0.6, top_p: 0.9, max_tokens: 32, seed: 42, n: 1 });
      expect(request.authorization).toBe(`Bearer ${KEY}`);
    }
    // the same runs, in the same order, with the same scores
    const interpolated = await readRunFile(path.join(out, 'pony', 'score.json'));
    const rerankerOnly = await readRunFile(path.join(out, 'reranker-only', 'pony', 'score.json'));
    expect(docsByQuery(rerankerOnly)).toEqual(docsByQuery(expected.rerankerOnly));
    expect(docsByQuery(interpolated)).toEqual(docsByQuery(expected.interpolated));
    const summary = JSON.parse(result.stdout);
    expect(summary.reranker).toMatchObject({ model: 'test-model', family: 'qwen-rerank', run: 'interpolated', top_k: 3 });
    expect(summary.top_k).toBe(3);
    expect(summary.tasks.pony.aggregate).toEqual(evaluate(expected.interpolated, expected.qrels, evalMeasures()).aggregate);
    const onlySummary = JSON.parse(await fs.readFile(path.join(out, 'reranker-only', 'summary.json'), 'utf8'));
    expect(onlySummary.tasks.pony.aggregate).toEqual(evaluate(expected.rerankerOnly, expected.qrels, evalMeasures()).aggregate);
    for (const file of ['run.trec', 'qrels.txt', 'results.json', 'metrics.json', 'per_query.tsv', 'manifest.json']) expect(existsSync(path.join(out, 'pony', file))).toBe(true);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
    expect(manifest.reranker).toMatchObject({
      family: 'qwen-rerank', model: 'test-model', api: 'completions', run: 'interpolated',
      parameters: { temperature: 0.6, top_p: 0.9, max_tokens: 32, seed: 42 }, interpolation: { reranker: 0.5, retriever: 0.5 },
    });
    expect(manifest.llm).toMatchObject({ requests: 336, sent: 336, cached: 0, retries: 0, prompt_tokens: expected.prompts.reduce((sum, p) => sum + countWords(p), 0) });
    expect(manifest.parse).toEqual({ parsed: 336, unparsable: 0, missing: 0 });
    expect(manifest.prompt_guard).toMatchObject({ counted_by: 'server /tokenize', max_model_len: 16384, truncated_documents: 0 });
    // the key is sent, never printed or written
    expect(result.stdout + result.stderr).not.toContain(KEY);
    expect(await allText(out)).not.toContain(KEY);
    expect(await allText(path.join(work, 'llm-cache'))).not.toContain(KEY);

    // a rerun is answered from the cache: nothing is sent, the files are identical
    const before = server.completions().length;
    const again = await rerank(server, original, path.join(work, 'rr1-again'), ['--top-k', '3']);
    expect(again.code).toBe(0);
    expect(server.completions().length).toBe(before);
    expect(await fs.readFile(path.join(work, 'rr1-again', 'pony', 'score.json'), 'utf8')).toBe(await fs.readFile(path.join(out, 'pony', 'score.json'), 'utf8'));
    const againManifest = JSON.parse(await fs.readFile(path.join(work, 'rr1-again', 'pony', 'manifest.json'), 'utf8'));
    expect(againManifest.llm).toMatchObject({ sent: 0, cached: 336, prompt_tokens: 0, total_prompt_tokens: manifest.llm.prompt_tokens });

    // the published-row machinery: an interpolated rerank is a "+rerank" run in tables
    const table = await runReasonir(['table', out, path.join(out, 'reranker-only'), '--format', 'csv', '--baselines', 'none']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('bm25 +rerank test-model');
    expect(table.stdout).toContain('bm25 +rerank test-model only');
  });

  it('gives the reranker the reasoning text of a --queries gpt4 run', async () => {
    const out = path.join(work, 'rr-gpt4');
    const before = server.completions().length;
    const result = await rerank(server, gpt4, out, ['--top-k', '2']);
    expect(result.code).toBe(0);
    const expected = await expectedRuns(gpt4, 'gpt4', 2);
    expect(server.completions().slice(before).map((r) => r.body!.prompt).sort()).toEqual([...expected.prompts].sort());
    expect(JSON.parse(result.stdout).queries).toBe('gpt4');
    expect(docsByQuery(await readRunFile(path.join(out, 'pony', 'score.json')))).toEqual(docsByQuery(expected.interpolated));
  });
  it("writes ReasonIR's optional 100 * reranker + BM25 run with --bm25 (every candidate scored), and refuses a BM25 run that lacks one", async () => {
    const all = path.join(work, 'bm25-all');
    await evalRun(all, ['--top-k', 'all']);
    const out = path.join(work, 'rr-bm25');
    const result = await rerank(server, original, out, ['--top-k', '3', '--bm25', all]);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const expected = await expectedRuns(original, 'original', 3);
    const bm25 = docsByQuery(await readRunFile(path.join(all, 'pony', 'score.json')));
    const interpolated = new Map<string, Doc[]>();
    for (const [queryId, docs] of docsByQuery(expected.rerankerOnly)) {
      const scores = new Map(bm25.get(queryId)!.map((doc) => [doc.docId, doc.score]));
      const mixed = docs.map((doc, index) => ({ docId: doc.docId, index, score: 100 * doc.score + scores.get(doc.docId)! }));
      mixed.sort((a, b) => b.score - a.score || a.index - b.index);
      interpolated.set(queryId, mixed.map(({ docId, score }) => ({ docId, score })));
    }
    expect(docsByQuery(await readRunFile(path.join(out, 'reranker-bm25', 'pony', 'score.json')))).toEqual(interpolated);
    const summary = JSON.parse(await fs.readFile(path.join(out, 'reranker-bm25', 'summary.json'), 'utf8'));
    expect(summary.reranker.run).toBe('bm25-interpolated');
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'reranker-bm25', 'pony', 'manifest.json'), 'utf8'));
    expect(manifest.reranker.interpolation).toEqual({ reranker: 100, bm25: 1, bm25_run: path.join(all, 'pony', 'score.json') });

    const partial = path.join(work, 'bm25-partial');
    await fs.cp(all, partial, { recursive: true });
    const lastOnly = Object.fromEntries([...bm25].map(([queryId, docs]) => [queryId, { [docs.at(-1)!.docId]: docs.at(-1)!.score }]));
    await fs.writeFile(path.join(partial, 'pony', 'score.json'), JSON.stringify(lastOnly));
    const sentBefore = server.completions().length;
    const refused = await rerank(server, original, path.join(work, 'rr-bm25-partial'), ['--top-k', '3', '--bm25', partial], 'bm25-partial-cache');
    expect(server.completions().length).toBe(sentBefore); // refused before any request
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('--bm25 needs every candidate scored');
    expect(existsSync(path.join(work, 'rr-bm25-partial'))).toBe(false);
  });

  it("reranks ReasonIR's own output folder ({task}_{model}_long_False/gpt4_score.json), as reranker_script.sh does", async () => {
    const folder = path.join(work, 'outputs', 'pony_bm25_long_False');
    await fs.mkdir(folder, { recursive: true });
    await fs.copyFile(path.join(gpt4, 'pony', 'score.json'), path.join(folder, 'gpt4_score.json'));
    await fs.copyFile(path.join(gpt4, 'pony', 'results.json'), path.join(folder, 'results.json'));
    const out = path.join(work, 'rr-reasonir-outputs');
    const before = server.completions().length;
    const result = await rerank(server, folder, out, ['--top-k', '2'], 'reasonir-outputs-cache');
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const expected = await expectedRuns(gpt4, 'gpt4', 2);
    // the reasoning texts reach the reranker, as for our own gpt4 run
    expect(server.completions().slice(before).map((r) => r.body!.prompt).sort()).toEqual([...expected.prompts].sort());
    expect(docsByQuery(await readRunFile(path.join(out, 'pony', 'score.json')))).toEqual(docsByQuery(expected.interpolated));
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ queries: 'gpt4', retriever: 'bm25', requested_tasks: ['pony'], completed_tasks: ['pony'], interrupted: false });
    expect(summary.inferred).toBeUndefined();
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
    expect(manifest.input.score_file).toBe(path.join(folder, 'gpt4_score.json'));
    expect(manifest.input.inferred).toContain('BRIGHT outputs folder');
  });
});

describe('reasonir rerank against a hostile server', () => {
  it('retries 429 (Retry-After), 500, slow and non-JSON answers; counts refusals and unparsable outputs', async () => {
    const server = await startOpenAiServer({
      fault: (index) =>
        index === 0 ? { status: 429, retryAfter: '0' } :
        index === 1 ? { status: 500 } :
        index === 2 ? { delayMs: 12_000 } :
        index === 3 ? { notJson: true } :
        index === 4 ? { noChoices: true } :
        undefined,
      answer: (prompt) => ['Relevance score: high', 'No idea.', 'Relevance score: 3.'][deterministicScore(prompt) % 3]!,
    });
    try {
      const out = path.join(work, 'hostile');
      // the slow answer (12 s) outlives --timeout; every other request must not: one that took over 1 s on a busy
      // machine (this process stalled, e.g. by an fsync) timed out a /tokenize count and failed the run
      const result = await rerank(server, original, out, ['--top-k', '1', '--concurrency', '1', '--timeout', '4'], 'hostile-cache');
      expect(result.stderr).not.toContain('error:');
      expect(result.code).toBe(0);
      const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
      expect(manifest.llm).toMatchObject({ requests: 112, sent: 112, retries: 5 });
      const { parsed, unparsable, missing } = manifest.parse;
      expect(parsed + unparsable + missing).toBe(112);
      expect(missing).toBeGreaterThan(0);
      const scores = [...(await readRunFile(path.join(out, 'reranker-only', 'pony', 'score.json'))).values()].map((docs) => docs.scores[0]!);
      expect(scores.filter((s) => s === 0)).toHaveLength(missing);
      expect(scores.filter((s) => s === -1)).toHaveLength(unparsable);
      expect(scores.filter((s) => s === 0.6)).toHaveLength(parsed);
    } finally {
      await server.close();
    }
  });

  it('records chat refusals (--api chat) as outputs without a score', async () => {
    const server = await startOpenAiServer({ fault: (index) => (index % 2 === 0 ? { refusal: 'I cannot help with that.' } : undefined) });
    try {
      const out = path.join(work, 'refusals');
      const result = await rerank(server, original, out, ['--top-k', '1', '--api', 'chat'], 'refusal-cache');
      expect(result.code).toBe(0);
      const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
      expect(manifest.llm.refusals).toBe(56);
      expect(manifest.parse.missing).toBe(56);
      const chat = server.completions()[0]!.body!;
      expect(chat.messages).toEqual([{ role: 'user', content: expect.stringContaining('I will use the programming language pony.') }]);
    } finally {
      await server.close();
    }
  });

  it('resumes an interrupted rerank from the cache and leaves nothing half-written', async () => {
    let failing = true;
    const server = await startOpenAiServer({ fault: (index) => (failing && index >= 150 ? { status: 503 } : undefined) });
    try {
      const out = path.join(work, 'resume');
      const broken = await rerank(server, original, out, ['--top-k', '2', '--retries', '1', '--concurrency', '1'], 'resume-cache');
      expect(broken.code).toBe(3);
      expect(broken.stderr).toMatch(/failed after 2 attempts \(HTTP 503/);
      expect(existsSync(out)).toBe(false);
      failing = false;
      const sentBefore = server.completions().length;
      const resumed = await rerank(server, original, out, ['--top-k', '2'], 'resume-cache');
      expect(resumed.code).toBe(0);
      // 150 answers came back before the failure: only the other 74 are asked again
      expect(server.completions().length - sentBefore).toBe(224 - 150);
      const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
      expect(manifest.llm).toMatchObject({ cached: 150, sent: 74 });
    } finally {
      await server.close();
    }
  });

  it('cuts documents to the model context with a count in the manifest (vLLM /tokenize)', async () => {
    // room for every query with its instructions plus 5 words of document (the fixture's documents have 8 or 9)
    const task = await loadTask({ task: 'pony', dataDir: fixtureData });
    const maxModelLen = Math.max(...task.queries.map((q) => countWords(qwenRerankPrompt('pony', q.text, '')))) + 32 + 5;
    const server = await startOpenAiServer({ maxModelLen });
    try {
      const out = path.join(work, 'guard');
      const result = await rerank(server, original, out, ['--top-k', '3'], 'guard-cache');
      expect(result.code).toBe(0);
      const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
      expect(manifest.prompt_guard.max_model_len).toBe(maxModelLen);
      expect(manifest.prompt_guard.truncated_documents).toBeGreaterThan(0);
      for (const request of server.completions()) expect(countWords(String(request.body!.prompt))).toBeLessThanOrEqual(maxModelLen - 32);
    } finally {
      await server.close();
    }
  });
});

describe('reasonir rerank refuses bad input with a sentence and writes nothing', () => {
  it('unreachable endpoint (3), unknown model (2), no score.json (3), depth beyond the run (2), already reranked (2)', async () => {
    const server = await startOpenAiServer();
    try {
      const closed = await startOpenAiServer();
      const deadUrl = closed.baseUrl;
      await closed.close();
      const out = path.join(work, 'bad');
      const unreachable = await rerank(deadUrl, original, out, ['--top-k', '5']);
      expect(unreachable.code).toBe(3);
      expect(unreachable.stderr).toContain('cannot reach the LLM server');

      const wrongModel = await runReasonir(['rerank', original, '--endpoint', server.baseUrl, '--model', 'Qwen/nope', '--data-dir', fixtureData, '--out', out, '--top-k', '5']);
      expect(wrongModel.code).toBe(2);
      expect(wrongModel.stderr).toContain('does not serve --model "Qwen/nope"; it serves: test-model');

      const noScores = path.join(work, 'no-scores');
      await fs.cp(original, noScores, { recursive: true });
      await fs.rm(path.join(noScores, 'pony', 'score.json'));
      const missing = await rerank(server, noScores, out, ['--top-k', '5']);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain("score.json does not exist: rerank reads the retriever's candidates");

      const deep = await rerank(server, original, out, ['--top-k', '100']);
      expect(deep.code).toBe(2);
      expect(deep.stderr).toContain('--top-k 100 is larger than the run');

      const twice = await rerank(server, path.join(work, 'rr1'), out, ['--top-k', '3']);
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain('is already a reranked run');

      const noEndpoint = await runReasonir(['rerank', original, '--model', 'test-model'], { env: { OPENAI_BASE_URL: '' } });
      expect(noEndpoint.code).toBe(2);
      expect(noEndpoint.stderr).toContain('--endpoint');

      expect(existsSync(out)).toBe(false);
      expect(server.completions()).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('reasonir rerank: BRIGHT listwise, local tokenizer, Ctrl-C', () => {
  it('bright-listwise sends rerank.py\'s chat messages over the original queries and scores k - rank', async () => {
    // the answer ranks the second passage first, then the first; the third is left out (it gets no score)
    const server = await startOpenAiServer({ answer: () => 'Reasoning...\n```json\n[2, 1]\n```' });
    try {
      const out = path.join(work, 'listwise');
      const result = await rerank(server, gpt4, out, ['--family', 'bright-listwise', '--top-k', '3', '--k', '3'], 'listwise-cache');
      expect(result.stderr).not.toContain('error');
      expect(result.code).toBe(0);
      const task = await loadTask({ task: 'pony', dataDir: fixtureData });
      const texts = new Map<string, string>();
      for await (const batch of task.corpus.texts()) batch.texts.forEach((text, i) => texts.set(task.corpus.ids.id(batch.start + i), text));
      const retrieved = docsByQuery(await readRunFile(path.join(gpt4, 'pony', 'score.json')));
      const first = task.queries[0]!;
      const top = retrieved.get(first.id)!.slice(0, 3);
      const sent = server.completions();
      expect(sent).toHaveLength(112);
      // rerank.py reads `examples`: the original query even for a gpt4 run (requests run concurrently, so the first
      // query's may arrive after others)
      expect(sent.map((request) => request.body)).toContainEqual(expect.objectContaining({
        model: 'test-model', temperature: 0.8, top_p: 0.8, max_tokens: 2048,
        messages: brightListwiseMessages(first.text, top.map((doc) => texts.get(doc.docId)!), 3),
      }));
      const reranked = await readRunFile(path.join(out, 'pony', 'score.json'));
      expect(docsByQuery(reranked).get(first.id)).toEqual([{ docId: top[1]!.docId, score: 3 }, { docId: top[0]!.docId, score: 2 }]);
      const summary = JSON.parse(result.stdout);
      expect(summary.reranker).toMatchObject({ family: 'bright-listwise', run: 'reranker-only' });
      expect(existsSync(path.join(out, 'reranker-only'))).toBe(false);
      const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
      expect(manifest.parse).toEqual({ parsed: 112, failed_kept_retriever_order: 0 });
    } finally {
      await server.close();
    }
  });

  it('counts prompt tokens with --tokenizer DIR when the server has no /tokenize', async () => {
    const server = await startOpenAiServer({ tokenize: false });
    try {
      const out = path.join(work, 'local-tokenizer');
      const tokenizer = path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-llama-bidir');
      // room for every query's prompt plus 3 tokens of document, counted by the same tokenizer
      const counter = await localTokenCounter(tokenizer);
      const task = await loadTask({ task: 'pony', dataDir: fixtureData });
      const withoutDocument = await Promise.all(task.queries.map((q) => counter.count(qwenRerankPrompt('pony', q.text, ''))));
      const maxModelLen = Math.max(...withoutDocument) + 32 + 3;
      const result = await rerank(server, original, out, ['--top-k', '1', '--tokenizer', tokenizer, '--max-model-len', String(maxModelLen)], 'tokenizer-cache');
      expect(result.stderr).not.toContain('error');
      expect(result.code).toBe(0);
      const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
      expect(manifest.prompt_guard).toMatchObject({ counted_by: tokenizer, max_model_len: maxModelLen });
      expect(manifest.prompt_guard.truncated_documents).toBeGreaterThan(0);
      for (const request of server.completions()) expect(await counter.count(String(request.body!.prompt))).toBeLessThanOrEqual(maxModelLen - 32);
      expect(server.requests.filter((r) => r.path === '/tokenize')).toHaveLength(0);

      const unchecked = await rerank(server, original, path.join(work, 'unchecked'), ['--top-k', '1'], 'tokenizer-cache');
      expect(unchecked.code).toBe(0);
      expect(unchecked.stderr).toContain('prompt lengths are not checked');
    } finally {
      await server.close();
    }
  });

  it('stops at Ctrl-C (exit 130) leaving no results folder; the rerun resumes from the cache', async () => {
    const controller = new AbortController();
    const server = await startOpenAiServer({ fault: (index) => (index === 40 ? (controller.abort(), undefined) : undefined) });
    try {
      const out = path.join(work, 'interrupted');
      const args = ['rerank', original, '--endpoint', server.baseUrl, '--model', 'test-model', '--data-dir', fixtureData, '--out', out, '--top-k', '1', '--concurrency', '1'];
      const options = { env: { REASONIR_CACHE: path.join(work, 'interrupt-cache') } };
      const stopped = await runReasonir(args, { ...options, signal: controller.signal });
      expect(stopped.code).toBe(130);
      expect(existsSync(out)).toBe(false);
      const before = server.completions().length;
      const resumed = await runReasonir(args, options);
      expect(resumed.code).toBe(0);
      // the 40 answers that came back before Ctrl-C are not asked again
      const manifest = JSON.parse(await fs.readFile(path.join(out, 'pony', 'manifest.json'), 'utf8'));
      expect(manifest.llm.cached).toBeGreaterThanOrEqual(40);
      expect(manifest.llm.cached + manifest.llm.sent).toBe(112);
      expect(server.completions().length - before).toBe(manifest.llm.sent);
    } finally {
      await server.close();
    }
  });
});
