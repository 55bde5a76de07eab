/**
 * `reasonir rerank` without the command line: a results folder's top-k candidates per query reranked by an LLM
 * behind an OpenAI-compatible server, written as new results folders scored like every run.
 *
 * - `qwen-rerank`: ReasonIR's QwenRerank (reranker.py): one raw completion per (query, document) with the task's
 *   pointwise prompt, the query the run used (the reasoning text for `--queries gpt4`), temperature 0.6, top_p 0.9,
 *   max_tokens 32, the `Relevance score:` parse rule; the reranker-only run and 0.5·reranker + 0.5·retriever.
 * - `bright-listwise`: BRIGHT's rerank.py for GPT-style models: one chat request per query over its top documents
 *   (original queries, as rerank.py reads `examples`), scores k − rank.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError, HarnessError, usageError } from '../core/errors.js';
import { checkWritableDirectory } from '../core/directories.js';
import { log } from '../core/log.js';
import { startProgress } from '../core/progress.js';
import type { Query } from '../core/types.js';
import { packageVersion } from '../core/version.js';
import { loadTask, type LoadedTask } from '../dataset/load-task.js';
import { DEFAULT_DATASET, getTask, QUERY_VARIANTS, type QueryVariant } from '../dataset/registry.js';
import { qrelsFromQueries } from '../eval/build-run.js';
import { evaluate } from '../eval/evaluate.js';
import { parseMeasure } from '../eval/measure.js';
import { RankedList, type Run } from '../eval/ranked-list.js';
import { evalMeasures } from '../pipeline/run-evaluation.js';
import { readRunFile } from '../eval/run-file.js';
import type { LlmApi, LlmRequest, OpenAiClient } from '../llm/openai-client.js';
import type { ResponseCache } from '../llm/response-cache.js';
import { addUsage, emptyUsage, runRequests, type LlmUsage } from '../llm/run-requests.js';
import { chooseOutputDir, datasetManifest, hostManifest, writeSummary, writeTaskFolder } from '../results/results-folder.js';
import { readResultsDir, runRevision, taskScoreFile, type RerankSummary, type ResultsDir, type RunSummary } from '../results/results-folder.js';
import { BRIGHT_LISTWISE_SAMPLING, brightListwiseMessages, brightListwiseScores, parseBrightListwise } from './bright-listwise.js';
import { fitDocument, type TokenCounter } from './prompt-guard.js';
import { parseRelevanceScore, qwenRerankPrompt, qwenRerankPromptsPath, qwenRerankPrompts } from './qwen-rerank-prompts.js';
import { nowMs } from '../core/clock.js';

export type RerankFamily = 'qwen-rerank' | 'bright-listwise';

/** ReasonIR's SamplingParams (logprobs=10 is requested there but never read, so it is not sent). */
export const QWEN_RERANK_SAMPLING = { temperature: 0.6, top_p: 0.9, max_tokens: 32 } as const;

export interface RerankRequest {
  input: string;
  family: RerankFamily;
  client: OpenAiClient;
  /** What the endpoint is recorded as in manifests: scheme, host and path, never credentials or query strings. */
  endpointLabel: string;
  model: string;
  api: LlmApi;
  /** Documents taken from the run per query (ReasonIR's --input_k). */
  topK: number;
  /** Documents kept per query (ReasonIR's --k); defaults to topK. */
  k: number;
  seed: number | null;
  concurrency: number;
  cache: ResponseCache;
  /** Prompt-length guard: a counter and the model's context length; null counter disables it. */
  guard: { counter: TokenCounter | null; maxModelLen: number | null };
  out?: string;
  /** ReasonIR's optional `100 * reranker + bm25_score` run, from this BM25 results folder (every candidate scored). */
  bm25?: string;
  revision?: string;
  dataDir?: string;
  argv: string[];
  signal: AbortSignal;
  retries: () => number;
}

export interface RerankOutcome {
  outDir: string;
  /** The folder with the reranker-only run (the same as outDir for bright-listwise). */
  rerankerOnlyDir: string;
  summary: RunSummary;
  usage: LlmUsage;
}

interface TaskInput {
  task: string;
  run: Run;
}

/** The best `limit` by a stable sort on score, highest first: Python's `sorted(..., reverse=True)` keeps ties in their input order. */
function sortStable(docs: RankedList, limit = docs.length): RankedList {
  const order = Array.from({ length: docs.length }, (_, i) => i).sort((a, b) => docs.scores[b]! - docs.scores[a]! || a - b);
  return docs.pick(order.slice(0, limit));
}

/** Every task's score.json, read and checked before anything is sent or written. */
async function readCandidates(input: ResultsDir, topK: number): Promise<TaskInput[]> {
  const tasks = Object.keys(input.summary.tasks);
  if (tasks.length === 0) throw dataError('rerank_no_tasks', `${input.dir} holds no finished task; run \`reasonir eval\` to completion first`);
  const inputs: TaskInput[] = [];
  for (const task of tasks) {
    getTask(task);
    const file = taskScoreFile(input, task);
    try {
      await fs.access(file);
    } catch {
      throw dataError('rerank_no_candidates', `${file} does not exist: rerank reads the retriever's candidates from each task's score.json, as \`reasonir eval\` writes it`);
    }
    const run = await readRunFile(file);
    const longest = Math.max(0, ...[...run.values()].map((docs) => docs.length));
    if (longest < topK) {
      throw usageError('rerank_depth', `--top-k ${topK} is larger than the run: ${file} has at most ${longest} documents per query; use --top-k ${longest} or re-run eval with --top-k ${topK} or more`);
    }
    inputs.push({ task, run });
  }
  return inputs;
}

/** `{id: content}` as ReasonIR and BRIGHT build it: a repeated id keeps its last row's text. */
async function documentTexts(loaded: LoadedTask, signal?: AbortSignal): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for await (const batch of loaded.corpus.texts({ signal })) {
    batch.texts.forEach((text, i) => texts.set(loaded.corpus.ids.id(batch.start + i), text));
  }
  return texts;
}

interface RerankedTask {
  rerankerOnly: Run;
  interpolated: Run | null;
  usage: LlmUsage;
  parse: Record<string, number>;
  guard: { counted_by: string | null; max_model_len: number | null; truncated_documents: number; longest_prompt_tokens: number | null };
}

async function rerankTask(request: RerankRequest, input: TaskInput, loaded: LoadedTask): Promise<RerankedTask> {
  const texts = await documentTexts(loaded, request.signal);
  const queries = new Map<string, Query>(loaded.queries.map((query) => [query.id, query]));
  const candidates = new Map<string, RankedList>();
  for (const [queryId, docs] of input.run) {
    if (!queries.has(queryId)) throw dataError('rerank_unknown_query', `${input.task}/score.json: query ${queryId} is not a ${input.task} query; was the run made on another task or revision?`);
    const top = sortStable(docs, request.topK);
    for (const docId of top.docIds()) {
      if (!texts.has(docId)) throw dataError('rerank_unknown_document', `${input.task}/score.json: document ${docId} (query ${queryId}) is not in the ${input.task} corpus`);
    }
    candidates.set(queryId, top);
  }
  const guard = { counted_by: request.guard.counter?.source ?? null, max_model_len: request.guard.maxModelLen, truncated_documents: 0, longest_prompt_tokens: null as number | null };
  const progress = startProgress(`${input.task} rerank`, 0);
  try {
    if (request.family === 'bright-listwise') {
      const order = [...candidates.keys()];
      const requests: LlmRequest[] = order.map((queryId) => ({
        api: 'chat',
        messages: brightListwiseMessages(queries.get(queryId)!.text, candidates.get(queryId)!.docIds().map((docId) => texts.get(docId)!), request.k),
        ...BRIGHT_LISTWISE_SAMPLING,
        seed: request.seed,
      }));
      progress.setTotal(requests.length);
      const { responses, usage } = await runRequests(requests, { ...request, progress });
      const parse = { parsed: 0, failed_kept_retriever_order: 0 };
      const rerankerOnly: Run = new Map();
      order.forEach((queryId, index) => {
        const docIds = candidates.get(queryId)!.docIds();
        const ranks = parseBrightListwise(responses[index]!.text, docIds.length);
        parse[ranks === null ? 'failed_kept_retriever_order' : 'parsed']++;
        rerankerOnly.set(queryId, brightListwiseScores(docIds, ranks, request.k));
      });
      return { rerankerOnly, interpolated: null, usage, parse, guard };
    }

    const pairs: Array<{ queryId: string; docId: string; retrieverScore: number }> = [];
    const requests: LlmRequest[] = [];
    const budget = request.guard.maxModelLen === null ? null : request.guard.maxModelLen - QWEN_RERANK_SAMPLING.max_tokens;
    for (const [queryId, docs] of candidates) {
      const query = queries.get(queryId)!;
      for (let i = 0; i < docs.length; i++) {
        const docId = docs.docId(i);
        let document = texts.get(docId)!;
        const fill = (text: string) => qwenRerankPrompt(input.task, query.text, text);
        if (request.guard.counter && budget !== null) {
          const fitted = await fitDocument(document, fill, request.guard.counter, budget);
          if (fitted.tokens > budget) {
            throw dataError('rerank_prompt_too_long', `${input.task} query ${queryId}: the prompt is ${fitted.tokens} tokens without any document text, over the ${budget} the model's context (${request.guard.maxModelLen} − ${QWEN_RERANK_SAMPLING.max_tokens}) allows`);
          }
          if (fitted.truncated) guard.truncated_documents++;
          guard.longest_prompt_tokens = Math.max(guard.longest_prompt_tokens ?? 0, fitted.tokens);
          document = fitted.document;
        }
        pairs.push({ queryId, docId, retrieverScore: docs.scores[i]! });
        const prompt = fill(document);
        requests.push(
          request.api === 'chat'
            ? { api: 'chat', messages: [{ role: 'user', content: prompt }], ...QWEN_RERANK_SAMPLING, seed: request.seed }
            : { api: 'completions', prompt, ...QWEN_RERANK_SAMPLING, seed: request.seed },
        );
      }
    }
    progress.setTotal(requests.length);
    const { responses, usage } = await runRequests(requests, { ...request, progress });
    const parse = { parsed: 0, unparsable: 0, missing: 0 };
    const reranked = new Map<string, { docIds: string[]; scores: number[] }>();
    const interpolatedScores = new Map<string, Map<string, number>>();
    pairs.forEach(({ queryId, docId, retrieverScore }, index) => {
      const { score, outcome } = parseRelevanceScore(responses[index]!.text);
      parse[outcome]++;
      if (!reranked.has(queryId)) {
        reranked.set(queryId, { docIds: [], scores: [] });
        interpolatedScores.set(queryId, new Map());
      }
      reranked.get(queryId)!.docIds.push(docId);
      reranked.get(queryId)!.scores.push(score);
      interpolatedScores.get(queryId)!.set(docId, 0.5 * score + 0.5 * retrieverScore);
    });
    const rerankerOnly: Run = new Map();
    const interpolated: Run = new Map();
    for (const [queryId, { docIds, scores }] of reranked) {
      const kept = sortStable(RankedList.of(docIds, scores), request.k);
      rerankerOnly.set(queryId, kept);
      const keptIds = kept.docIds();
      const mixed = interpolatedScores.get(queryId)!;
      interpolated.set(queryId, sortStable(RankedList.of(keptIds, keptIds.map((docId) => mixed.get(docId)!))));
    }
    return { rerankerOnly, interpolated, usage, parse, guard };
  } finally {
    progress.stop();
  }
}

/**
 * ReasonIR's reranker_bm25 file: `100 * reranker + bm25_score` for the reranked documents, which the BM25 run must
 * all score (ReasonIR runs BM25 with --store_all_scores; here `eval --retriever bm25 --top-k all`).
 */
function bm25Interpolation(rerankerOnly: Run, bm25: Run, task: string, bm25File: string): Run {
  const interpolated: Run = new Map();
  for (const [queryId, docs] of rerankerOnly) {
    const bm25Docs = bm25.get(queryId);
    const scores = new Map(bm25Docs ? bm25Docs.docIds().map((docId, i) => [docId, bm25Docs.scores[i]!]) : []);
    const docIds = docs.docIds();
    const combined = docIds.map((docId, i) => {
      const bm25Score = scores.get(docId);
      if (bm25Score === undefined) {
        throw dataError('rerank_bm25_missing', `${bm25File} has no BM25 score for document ${docId} of ${task} query ${queryId}; --bm25 needs every candidate scored: run \`reasonir eval --retriever bm25 --top-k all\``);
      }
      return 100 * docs.scores[i]! + bm25Score;
    });
    interpolated.set(queryId, sortStable(RankedList.of(docIds, combined)));
  }
  return interpolated;
}

function rerankerRecord(request: RerankRequest, sampling: Record<string, number>): Record<string, unknown> {
  return {
    family: request.family,
    model: request.model,
    endpoint: request.endpointLabel,
    api: request.api,
    parameters: { ...sampling, seed: request.seed, n: 1 },
    top_k: request.topK,
    k: request.k,
    prompts:
      request.family === 'qwen-rerank'
        ? { file: path.relative(path.dirname(path.dirname(qwenRerankPromptsPath)), qwenRerankPromptsPath), source: qwenRerankPrompts().source }
        : { source: 'xlang-ai/BRIGHT rerank.py, OpenAIModel.rerank (listwise, system "You are a helpful assistant")' },
    concurrency: request.concurrency,
    cache: request.cache.dir,
  };
}

export async function runRerank(request: RerankRequest): Promise<RerankOutcome> {
  const input = await readResultsDir(request.input);
  if (input.summary.reranker) {
    throw usageError('rerank_reranked', `${request.input} is already a reranked run (${input.summary.reranker.family} ${input.summary.reranker.model}); rerank the retriever's results folder`);
  }
  if (!(QUERY_VARIANTS as readonly string[]).includes(input.summary.queries)) {
    throw usageError('rerank_queries', `${request.input} used queries "${input.summary.queries}", not one text per query the reranker can be given (${QUERY_VARIANTS.join(', ')}); rerank each input folder instead`);
  }
  const revision = request.dataDir ? undefined : (request.revision ?? runRevision(input));
  if (!request.dataDir && revision === undefined) {
    throw usageError('rerank_data', `${request.input} was evaluated from a local --data-dir; pass the same --data-dir so rerank reads the same documents`);
  }
  const tasks = await readCandidates(input, request.topK);
  const bm25Runs = new Map<string, { run: Run; file: string }>();
  if (request.bm25 !== undefined) {
    if (request.family !== 'qwen-rerank') throw usageError('rerank_bm25', '--bm25 interpolates QwenRerank scores; it does not apply to bright-listwise');
    const bm25Input = await readResultsDir(request.bm25);
    for (const { task } of tasks) {
      if (bm25Input.summary.tasks[task] === undefined) throw usageError('rerank_bm25', `--bm25 ${request.bm25} has no ${task} run`);
      const file = taskScoreFile(bm25Input, task);
      bm25Runs.set(task, { run: await readRunFile(file), file });
    }
    // every candidate must have a BM25 score: found out now, not after the LLM requests
    for (const { task, run } of tasks) {
      const { run: bm25, file } = bm25Runs.get(task)!;
      bm25Interpolation(new Map([...run].map(([queryId, docs]) => [queryId, sortStable(docs, request.topK)])), bm25, task, file);
    }
  }
  if (request.cache.dir !== null) await checkWritableDirectory(request.cache.dir, 'the LLM response cache ($REASONIR_CACHE/llm)');
  // an unreachable server or an unknown model fails here, before any folder is made
  await request.client.checkModel();

  const isQwen = request.family === 'qwen-rerank';
  const sampling = isQwen ? QWEN_RERANK_SAMPLING : BRIGHT_LISTWISE_SAMPLING;
  const queries: QueryVariant = isQwen ? (input.summary.queries as QueryVariant) : 'original';
  const modelShort = request.model.split('/').pop()!.toLowerCase();
  const outDir = await chooseOutputDir(request.out, { name: `${path.basename(path.resolve(request.input))}-rerank-${modelShort}` });
  const onlyDir = isQwen ? path.join(outDir, 'reranker-only') : outDir;
  const bm25Dir = path.join(outDir, 'reranker-bm25');
  log.info(`reasonir ${packageVersion()}: reranking ${request.input} with ${request.model} (${request.family}); writing ${outDir}`);

  const headline = parseMeasure(input.summary.long ? 'Recall@1' : 'NDCG@10');
  // the input's setting, not its history: this run has its own tasks, completion and (for BRIGHT folders) no inference
  const { inferred: _inferred, requested_tasks: _requested, completed_tasks: _completed, interrupted: _interrupted, ...setting } = input.summary;
  const base = {
    ...setting,
    reasonir_version: packageVersion(),
    created: new Date().toISOString(),
    headline: headline.name,
    top_k: request.k,
    requested_tasks: tasks.map(({ task }) => task),
    completed_tasks: [] as string[],
    interrupted: false,
    tasks: {},
  };
  const rerankerSummary = (run: RerankSummary['run']): RerankSummary => ({ model: request.model, family: request.family, run, top_k: request.topK, input: request.input });
  const summaries = {
    main: { ...base, tasks: {}, completed_tasks: [], reranker: rerankerSummary(isQwen ? 'interpolated' : 'reranker-only') } as RunSummary,
    only: { ...base, tasks: {}, completed_tasks: [], reranker: rerankerSummary('reranker-only') } as RunSummary,
    bm25: { ...base, tasks: {}, completed_tasks: [], reranker: rerankerSummary('bm25-interpolated') } as RunSummary,
  };
  const total = emptyUsage();
  try {
    for (const { task, run } of tasks) {
      const started = nowMs();
      const loaded = await loadTask({ task, queries, long: input.summary.long, revision, dataDir: request.dataDir, signal: request.signal });
      const load_s = (nowMs() - started) / 1000;
      const result = await rerankTask(request, { task, run }, loaded);
      addUsage(total, result.usage);
      const qrels = qrelsFromQueries(loaded.queries, input.summary.long);
      const outputs: Array<{ dir: string; run: Run; summary: RunSummary; kind: RerankSummary['run'] }> = [
        ...(result.interpolated ? [{ dir: outDir, run: result.interpolated, summary: summaries.main, kind: 'interpolated' as const }] : []),
        { dir: onlyDir, run: result.rerankerOnly, summary: isQwen ? summaries.only : summaries.main, kind: 'reranker-only' as const },
        ...(bm25Runs.has(task)
          ? [{ dir: bm25Dir, run: bm25Interpolation(result.rerankerOnly, bm25Runs.get(task)!.run, task, bm25Runs.get(task)!.file), summary: summaries.bm25, kind: 'bm25-interpolated' as const }]
          : []),
      ];
      for (const output of outputs) {
        const evaluation = evaluate(output.run, qrels, evalMeasures());
        await fs.mkdir(output.dir, { recursive: true });
        await writeTaskFolder(output.dir, task, {
          run: output.run,
          tag: `reasonir-rerank-${modelShort.replace(/\s+/g, '_')}`,
          qrels,
          evaluation,
          measures: evalMeasures(),
          manifest: (write_s) => ({
            task,
            dataset: datasetManifest(loaded),
            queries,
            long: input.summary.long,
            top_k: request.k,
            num_queries: output.run.size,
            input: { dir: request.input, score_file: taskScoreFile(input, task), retriever: input.summary.retriever, model: input.summary.model, queries: input.summary.queries, ...(input.summary.inferred ? { inferred: input.summary.inferred } : {}) },
            reranker: {
              ...rerankerRecord(request, sampling),
              run: output.kind,
              ...(output.kind === 'interpolated' ? { interpolation: { reranker: 0.5, retriever: 0.5 } } : {}),
              ...(output.kind === 'bm25-interpolated' ? { interpolation: { reranker: 100, bm25: 1, bm25_run: bm25Runs.get(task)!.file } } : {}),
            },
            parse: result.parse,
            prompt_guard: result.guard,
            llm: result.usage,
            data_warnings: loaded.warnings,
            versions: { reasonir: packageVersion(), node: process.version },
            host: hostManifest(),
            timings_s: { load_s, rerank_s: result.usage.wall_s, write_s },
            argv: request.argv,
            created: new Date().toISOString(),
          }),
        });
        output.summary.dataset = { repo: DEFAULT_DATASET.repo, revision: loaded.revision };
        output.summary.tasks[task] = { num_queries: evaluation.queryOrder.length, aggregate: evaluation.aggregate };
        output.summary.completed_tasks!.push(task);
        await writeSummary(output.dir, output.summary);
      }
      const value = summaries.main.tasks[task]!.aggregate[headline.name] ?? 0;
      log.info(`${task}: ${headline.name} ${(100 * value).toFixed(2)} (${result.usage.sent} sent, ${result.usage.cached} cached, ${result.usage.retries} retries, ${result.usage.wall_s.toFixed(1)} s)`);
      if (result.guard.truncated_documents > 0) log.warn(`${task}: ${result.guard.truncated_documents} document(s) cut to fit the model's context (${result.guard.max_model_len} tokens)`);
    }
  } catch (error) {
    if (error instanceof HarnessError && error.code === 'interrupted' && summaries.main.completed_tasks!.length > 0) {
      const written: Array<[string, RunSummary]> = isQwen ? [[outDir, summaries.main], [onlyDir, summaries.only]] : [[outDir, summaries.main]];
      if (bm25Runs.size > 0) written.push([bm25Dir, summaries.bm25]);
      for (const [dir, summary] of written) {
        summary.interrupted = true;
        await writeSummary(dir, summary);
      }
    }
    // leave no empty folders behind; rmdir refuses a folder that holds finished tasks
    if (onlyDir !== outDir) await fs.rmdir(onlyDir).catch(() => undefined);
    await fs.rmdir(bm25Dir).catch(() => undefined);
    await fs.rmdir(outDir).catch(() => undefined);
    throw error;
  }
  return { outDir, rerankerOnlyDir: onlyDir, summary: summaries.main, usage: total };
}
