import path from 'node:path';
import { reasonirCacheDir } from '../core/cache-dir.js';
import { environmentError, usageError } from '../core/errors.js';
import { normalizeEndpoint, OpenAiClient } from './openai-client.js';
import { ResponseCache } from './response-cache.js';

/** The LLM options `rerank` and `reason` share, as commander hands them over. */
export interface LlmCliOptions {
  endpoint?: string;
  model: string;
  timeout: number;
  retries: number;
  concurrency: number;
  cache: boolean;
}

export interface LlmSetup {
  client: OpenAiClient;
  /** Scheme, host and path only: no credentials or query string ever reach a manifest. */
  endpointLabel: string;
  cache: ResponseCache;
  retries: () => number;
}

/**
 * The client from --endpoint or OPENAI_BASE_URL and OPENAI_API_KEY; backoff from REASONIR_LLM_BACKOFF_MS
 * (default 1000 ms, doubling up to 32x, as dataset/http.ts retries). Answers are cached under $REASONIR_CACHE/llm unless --no-cache.
 */
export function setUpLlm(options: LlmCliOptions, signal: AbortSignal, env: NodeJS.ProcessEnv): LlmSetup {
  const endpoint = options.endpoint ?? env.OPENAI_BASE_URL;
  if (!endpoint) throw usageError('no_endpoint', 'give the LLM server with --endpoint URL (e.g. http://localhost:8000/v1) or set OPENAI_BASE_URL');
  const backoffText = env.REASONIR_LLM_BACKOFF_MS ?? '1000';
  const backoffMs = Number(backoffText);
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw environmentError('bad_env', `REASONIR_LLM_BACKOFF_MS=${backoffText} is not a non-negative number`);
  let retryCount = 0;
  const client = new OpenAiClient({
    endpoint,
    model: options.model,
    apiKey: env.OPENAI_API_KEY || undefined,
    timeoutMs: options.timeout * 1000,
    retries: options.retries,
    backoffMs,
    signal,
    onRetry: () => retryCount++,
  });
  const url = new URL(normalizeEndpoint(endpoint));
  return {
    client,
    endpointLabel: `${url.protocol}//${url.host}${url.pathname}`,
    cache: new ResponseCache(options.cache ? path.join(reasonirCacheDir(env), 'llm') : null),
    retries: () => retryCount,
  };
}
