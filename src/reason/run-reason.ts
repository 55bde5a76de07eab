/**
 * `reasonir reason` without the command line: BRIGHT's reasoning-query generation (xlang-ai/BRIGHT reason.py, SPEC
 * §1.11) against any OpenAI-compatible chat server, one queries file per task that `eval --queries FILE` reads.
 * ReasonIR's query rewriting (test_time_techniques) runs the same reason.py with an output token limit: that is
 * `--max-tokens`.
 */
import { promises as fs } from 'node:fs';
import { usageError } from '../core/errors.js';
import { checkWritableDirectory } from '../core/directories.js';
import { log } from '../core/log.js';
import { startProgress } from '../core/progress.js';
import { packageVersion } from '../core/version.js';
import { loadTask } from '../dataset/load-task.js';
import { queriesFilePath, QUERIES_FORMAT, writeQueriesFile } from '../dataset/queries-file.js';
import type { TaskInfo } from '../dataset/registry.js';
import type { ChatMessage, OpenAiClient } from '../llm/openai-client.js';
import type { ResponseCache } from '../llm/response-cache.js';
import { runRequests, type LlmUsage } from '../llm/run-requests.js';

/** reason.py's sampling (OpenAIModel: temperature 0.8, top_p 0.8; its max_tokens 2048 is the CLI's default). */
export const BRIGHT_REASON_SAMPLING = { temperature: 0.8, top_p: 0.8 } as const;

/** reason.py's messages: the post with newlines as spaces, its three instructions, system `You are a helpful assistant`. */
export function brightReasonMessages(query: string): ChatMessage[] {
  const post = query.replaceAll('\n', ' ');
  const prompt =
    `${post}\n\n` +
    'Instructions:\n' +
    '1. Identify the essential problem.\n' +
    '2. Think step by step to reason and describe what information could be relevant and helpful to address the questions in detail.\n' +
    '3. Draft an answer with as many thoughts as you have.\n';
  return [
    { role: 'system', content: 'You are a helpful assistant' },
    { role: 'user', content: prompt },
  ];
}

export interface ReasonRequest {
  tasks: TaskInfo[];
  client: OpenAiClient;
  endpointLabel: string;
  model: string;
  maxTokens: number;
  seed: number | null;
  concurrency: number;
  cache: ResponseCache;
  /** Output path; `{task}` is the task name. */
  out: string;
  revision?: string;
  dataDir?: string;
  signal: AbortSignal;
  retries: () => number;
}

export async function runReason(request: ReasonRequest): Promise<Array<{ task: string; file: string; usage: LlmUsage; keptOriginal: number }>> {
  const targets = request.tasks.map((task) => ({ task: task.name, file: queriesFilePath(request.out, task.name) }));
  for (const { file } of targets) {
    if (await fs.stat(file).then(() => true, () => false)) throw usageError('reason_exists', `${file} already exists; choose another --out or remove it (a rerun costs nothing: answers are cached)`);
  }
  await request.client.checkModel();
  if (request.cache.dir !== null) await checkWritableDirectory(request.cache.dir, 'the LLM response cache ($REASONIR_CACHE/llm)');
  const written = [];
  for (const { task, file } of targets) {
    const loaded = await loadTask({ task, revision: request.revision, dataDir: request.dataDir, signal: request.signal });
    const requests = loaded.queries.map((query) => ({
      api: 'chat' as const,
      messages: brightReasonMessages(query.text),
      ...BRIGHT_REASON_SAMPLING,
      max_tokens: request.maxTokens,
      seed: request.seed,
    }));
    const progress = startProgress(`reason ${task}`, requests.length);
    let result;
    try {
      result = await runRequests(requests, { ...request, progress });
    } finally {
      progress.stop();
    }
    // reason.py keeps the original query when the API gives nothing back (a refusal has no content)
    let keptOriginal = 0;
    const queries = loaded.queries.map((query, index) => {
      const response = result.responses[index]!;
      if (response.refusal !== null) {
        keptOriginal++;
        return { id: query.id, query: query.text };
      }
      return { id: query.id, query: response.text };
    });
    await writeQueriesFile(file, {
      format: QUERIES_FORMAT,
      task,
      source: {
        kind: 'bright-reason',
        prompt: 'xlang-ai/BRIGHT reason.py (OpenAIModel.generate, system "You are a helpful assistant")',
        model: request.model,
        endpoint: request.endpointLabel,
        parameters: { ...BRIGHT_REASON_SAMPLING, max_tokens: request.maxTokens, seed: request.seed, n: 1 },
        dataset: { repo: loaded.repo, revision: loaded.revision },
        kept_original: keptOriginal,
        llm: result.usage,
        reasonir_version: packageVersion(),
        created: new Date().toISOString(),
      },
      queries,
    });
    log.info(`${task}: ${queries.length} queries written to ${file} (${result.usage.sent} sent, ${result.usage.cached} cached${keptOriginal > 0 ? `, ${keptOriginal} refused: original kept` : ''})`);
    written.push({ task, file, usage: result.usage, keptOriginal });
  }
  return written;
}
