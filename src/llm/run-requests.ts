import { throwIfAborted } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import type { LlmRequest, LlmResponse, OpenAiClient } from './openai-client.js';
import { ResponseCache } from './response-cache.js';
import { nowMs } from '../core/clock.js';

/** Counts for the manifest: what was asked, what the cache answered, what the server charged. */
export interface LlmUsage {
  requests: number;
  cached: number;
  sent: number;
  retries: number;
  refusals: number;
  /** Token counts reported by the server for the requests sent now (cached answers cost nothing this time). */
  prompt_tokens: number;
  completion_tokens: number;
  /** The same counts over every answer used, cached or not. */
  total_prompt_tokens: number;
  total_completion_tokens: number;
  wall_s: number;
}

export function emptyUsage(): LlmUsage {
  return { requests: 0, cached: 0, sent: 0, retries: 0, refusals: 0, prompt_tokens: 0, completion_tokens: 0, total_prompt_tokens: 0, total_completion_tokens: 0, wall_s: 0 };
}

export function addUsage(into: LlmUsage, from: LlmUsage): void {
  for (const key of Object.keys(into) as Array<keyof LlmUsage>) into[key] += from[key];
}

export interface RunRequestsOptions {
  client: OpenAiClient;
  model: string;
  cache: ResponseCache;
  concurrency: number;
  progress: Progress;
  signal?: AbortSignal;
  /** Retries counted by the client's onRetry hook since the run began. */
  retries: () => number;
}

/**
 * Answers every request, at most `concurrency` in flight, each answer cached the moment it arrives. Answers come
 * back in request order whatever order the server finished them in.
 */
export async function runRequests(requests: readonly LlmRequest[], options: RunRequestsOptions): Promise<{ responses: LlmResponse[]; usage: LlmUsage }> {
  const { client, model, cache, progress, signal } = options;
  const started = nowMs();
  const retriesBefore = options.retries();
  const usage = emptyUsage();
  usage.requests = requests.length;
  const responses = new Array<LlmResponse>(requests.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < requests.length && !failed) {
      throwIfAborted(signal);
      const index = next++;
      const request = requests[index]!;
      const key = ResponseCache.key(model, request);
      let response = await cache.get(key);
      if (response) {
        usage.cached++;
      } else {
        try {
          response = await client.complete(request);
        } catch (error) {
          failed = true;
          throw error;
        }
        usage.sent++;
        usage.prompt_tokens += response.promptTokens;
        usage.completion_tokens += response.completionTokens;
        await cache.put(key, model, request, response);
      }
      if (response.refusal !== null) usage.refusals++;
      usage.total_prompt_tokens += response.promptTokens;
      usage.total_completion_tokens += response.completionTokens;
      responses[index] = response;
      progress.increment(1, { rate: `${usage.cached} cached` });
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, requests.length)) }, () => worker());
  // every worker is awaited (and stops taking work) so none keeps sending after the first failure is reported
  const outcomes = await Promise.allSettled(workers);
  const rejected = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (rejected) throw rejected.reason;
  usage.retries = options.retries() - retriesBefore;
  usage.wall_s = (nowMs() - started) / 1000;
  return { responses, usage };
}
