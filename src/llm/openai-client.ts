/**
 * The only module that talks to LLM servers: any OpenAI-compatible API (vLLM, SGLang, llama.cpp server, Ollama,
 * hosted APIs) through `/v1/completions` (raw prompts) or `/v1/chat/completions`. The API key comes from
 * OPENAI_API_KEY and is only ever put in the Authorization header: never in a message, a manifest or a cache key.
 * 429 and 5xx answers, timeouts and dropped connections are retried with exponential backoff, honouring
 * Retry-After; other failures name the endpoint and say what to do.
 */
import { dataError, environmentError, HarnessError, interruptedError, usageError } from '../core/errors.js';

export type LlmApi = 'completions' | 'chat';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What is sent; also the content-addressed cache key (with the model). */
export interface LlmRequest {
  api: LlmApi;
  /** The raw prompt (`completions`) or the messages (`chat`). */
  prompt?: string;
  messages?: ChatMessage[];
  temperature: number;
  top_p: number;
  max_tokens: number;
  seed: number | null;
}

export interface LlmResponse {
  /** The generated text; '' when the model refused or returned no content. */
  text: string;
  finishReason: string | null;
  /** The refusal text of a chat answer (OpenAI's `message.refusal`), or null. */
  refusal: string | null;
  promptTokens: number;
  completionTokens: number;
}

export interface ClientOptions {
  /** Base URL as the OpenAI SDKs take it (`http://host:8000/v1`); a bare host gets `/v1`. */
  endpoint: string;
  model: string;
  apiKey?: string;
  /** Per-request limit. */
  timeoutMs: number;
  /** Retries after the first attempt for 429/5xx/timeouts/connection errors. */
  retries: number;
  /** First backoff; doubles each retry, capped at 60 s, unless the server sends Retry-After. */
  backoffMs: number;
  signal?: AbortSignal;
  /** Called once per retry (for the manifest's count and a log line). */
  onRetry?: (reason: string, waitMs: number) => void;
}

export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw usageError('bad_endpoint', `--endpoint ${JSON.stringify(endpoint)} is not a URL; give the server's base URL, e.g. http://localhost:8000/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError('bad_endpoint', `--endpoint ${endpoint}: only http and https URLs are supported`);
  const base = url.toString().replace(/\/+$/, '');
  return url.pathname === '/' || url.pathname === '' ? `${base}/v1` : base;
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header.trim()) * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

class Retryable extends Error {
  constructor(
    message: string,
    readonly waitMs: number | null,
  ) {
    super(message);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(interruptedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(interruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A short reason from a server's error body (OpenAI's `{"error": {"message"}}` or vLLM's `{"message"}`). */
function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message ?? parsed.detail);
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return body.trim().slice(0, 300) || '(empty body)';
}

export class OpenAiClient {
  readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = normalizeEndpoint(options.endpoint);
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    return headers;
  }

  /** One HTTP exchange with retries; returns the parsed JSON body of a 2xx answer. */
  private async exchange(method: 'GET' | 'POST', route: string, body: unknown, what: string): Promise<unknown> {
    const { retries, backoffMs, timeoutMs, signal } = this.options;
    const url = `${this.baseUrl}${route}`;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw interruptedError();
      try {
        return await this.attempt(method, url, body, what, timeoutMs, signal);
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        if (attempt >= retries) {
          throw environmentError('llm_unavailable', `${what} at ${url} failed after ${attempt + 1} attempts: ${error.message}; check that the server is up (raise --retries or --timeout for a slow one)`);
        }
        const wait = error.waitMs ?? Math.min(60_000, backoffMs * 2 ** attempt);
        this.options.onRetry?.(error.message, wait);
        await sleep(wait, signal);
      }
    }
  }

  private async attempt(method: 'GET' | 'POST', url: string, body: unknown, what: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: this.headers(),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw interruptedError();
      if (timeout.aborted) throw new Retryable(`no answer within ${timeoutMs / 1000} s`, null);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      // a server restarting mid-run refuses connections for a while: retried like a 503
      throw new Retryable(`connection failed (${cause?.code ?? cause?.message ?? (error as Error).message})`, null);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new Retryable(`HTTP ${response.status}: ${serverMessage(text)}`, retryAfterMs(response.headers.get('retry-after')));
    }
    if (response.status === 401 || response.status === 403) {
      throw environmentError('llm_unauthorized', `${what} at ${url} was refused (HTTP ${response.status}: ${serverMessage(text)}); set OPENAI_API_KEY to a key this server accepts`);
    }
    if (response.status === 404 && body !== undefined) {
      throw usageError('llm_model', `${what} at ${url}: HTTP 404 (${serverMessage(text)}); check --model and that the server offers this API (try --api chat or completions)`);
    }
    if (!response.ok) {
      throw new HarnessError('env.llm_rejected', 3, `${what} at ${url} was rejected (HTTP ${response.status}: ${serverMessage(text)})`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new Retryable(`the answer is not JSON (${JSON.stringify(text.slice(0, 80))})`, null);
    }
  }

  /**
   * The model ids the server serves (`GET /models`), or null when it has no such route. Unreachable servers fail
   * here, before any output is written.
   */
  async listModels(): Promise<string[] | null> {
    const url = `${this.baseUrl}/models`;
    let response: Response;
    try {
      response = await fetch(url, { headers: this.headers(), signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      throw environmentError('llm_unreachable', `cannot reach the LLM server at ${this.baseUrl} (${cause?.code ?? (error as Error).message}); start it or fix --endpoint / OPENAI_BASE_URL`);
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw environmentError('llm_unauthorized', `${url} refused the request (HTTP ${response.status}); set OPENAI_API_KEY to a key this server accepts`);
    }
    if (!response.ok) return null;
    try {
      const parsed = JSON.parse(text) as { data?: Array<{ id?: unknown }> };
      return (parsed.data ?? []).map((entry) => entry.id).filter((id): id is string => typeof id === 'string');
    } catch {
      return null;
    }
  }

  /** Refuses a model the server does not list (when it lists any). */
  async checkModel(): Promise<void> {
    const models = await this.listModels();
    if (models === null || models.length === 0) return;
    if (!models.includes(this.options.model)) {
      throw usageError('llm_model', `the server at ${this.baseUrl} does not serve --model ${JSON.stringify(this.options.model)}; it serves: ${models.join(', ')}`);
    }
  }

  /**
   * Token count of a raw prompt by vLLM's `/tokenize` route (at the server root, beside `/v1`), with the server's
   * context length when it reports one; null when the server has no such route.
   */
  async tokenize(prompt: string): Promise<{ count: number; maxModelLen: number | null } | null> {
    const url = `${this.baseUrl.replace(/\/v1$/, '')}/tokenize`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify({ model: this.options.model, prompt }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch {
      return null;
    }
    if (!response.ok) return null;
    try {
      const parsed = (await response.json()) as { count?: unknown; max_model_len?: unknown };
      if (typeof parsed.count !== 'number') return null;
      return { count: parsed.count, maxModelLen: typeof parsed.max_model_len === 'number' ? parsed.max_model_len : null };
    } catch {
      return null;
    }
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const { model } = this.options;
    const sampling = { temperature: request.temperature, top_p: request.top_p, max_tokens: request.max_tokens, n: 1, ...(request.seed === null ? {} : { seed: request.seed }) };
    const chat = request.api === 'chat';
    const body = chat ? { model, messages: request.messages, ...sampling } : { model, prompt: request.prompt, ...sampling };
    const what = chat ? 'chat completion' : 'completion';
    for (let attempt = 0; ; attempt++) {
      const value = (await this.exchange('POST', chat ? '/chat/completions' : '/completions', body, what)) as {
        choices?: Array<{ text?: unknown; finish_reason?: unknown; message?: { content?: unknown; refusal?: unknown } }>;
        usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
      };
      const choice = value?.choices?.[0];
      const content = chat ? choice?.message?.content : choice?.text;
      const refusal = chat && typeof choice?.message?.refusal === 'string' ? choice.message.refusal : null;
      if (choice && (typeof content === 'string' || content === null || refusal !== null)) {
        return {
          text: typeof content === 'string' ? content : '',
          finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
          refusal,
          promptTokens: typeof value.usage?.prompt_tokens === 'number' ? value.usage.prompt_tokens : 0,
          completionTokens: typeof value.usage?.completion_tokens === 'number' ? value.usage.completion_tokens : 0,
        };
      }
      if (attempt >= this.options.retries) {
        throw dataError('llm_malformed', `the ${what} from ${this.baseUrl} has no choices[0].${chat ? 'message.content' : 'text'} (got ${JSON.stringify(value).slice(0, 120)}); is this an OpenAI-compatible server?`);
      }
      this.options.onRetry?.('answer without choices', 0);
    }
  }
}
