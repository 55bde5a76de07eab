/**
 * The OpenAI-compatible API (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs) on top of dataset/http.ts (the
 * one module that calls fetch, with its retries): `/v1/completions` (raw prompts) or `/v1/chat/completions`. The API key comes from
 * OPENAI_API_KEY and is only ever put in the Authorization header: never in a message, a manifest or a cache key.
 * 429 and 5xx answers, timeouts and dropped connections are retried with exponential backoff, honouring
 * Retry-After; other failures name the endpoint and say what to do.
 */
import { environmentError, HarnessError, usageError } from '../core/errors.js';
import { isTransientStatus, request, retryAfterMs, TransientError, withRetries, type HttpSettings } from '../dataset/http.js';

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
  /** First backoff; doubles each retry up to 32x, unless the server sends Retry-After. */
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

  private settings(): HttpSettings {
    const { retries, backoffMs, timeoutMs, onRetry } = this.options;
    return { retries, backoffMs, timeoutMs, onRetry, failureCode: 'llm_unavailable' };
  }

  /** One request, no retries: the answer's status and text. Network failures surface as dataset/http.ts throws them. */
  private async send(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; text: string; retryAfter: string | null }> {
    const { response, done } = await request(this.settings(), new URL(url), {
      method,
      headers: () => this.headers(),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: this.options.signal,
    });
    try {
      return { status: response.status, text: await response.text(), retryAfter: response.headers.get('retry-after') };
    } finally {
      done();
    }
  }

  /**
   * POSTs with dataset/http.ts's retries (429, 5xx, timeouts, dropped connections, and answers `accept` rejects,
   * such as a 200 that is not JSON); Retry-After replaces the backoff.
   */
  private async exchange<T>(route: string, body: unknown, what: string, accept: (value: unknown) => T | null): Promise<T> {
    const url = `${this.baseUrl}${route}`;
    const hint = 'check that the server is up (raise --retries or --timeout for a slow one)';
    return withRetries(this.settings(), `${what} at ${url}`, hint, this.options.signal, async () => {
      const { status, text, retryAfter } = await this.send('POST', url, body);
      if (isTransientStatus(status)) throw new TransientError(`HTTP ${status}: ${serverMessage(text)}`, retryAfterMs(retryAfter));
      if (status === 401 || status === 403) {
        throw environmentError('llm_unauthorized', `${what} at ${url} was refused (HTTP ${status}: ${serverMessage(text)}); set OPENAI_API_KEY to a key this server accepts`);
      }
      if (status === 404) {
        throw usageError('llm_model', `${what} at ${url}: HTTP 404 (${serverMessage(text)}); check --model and that the server offers this API (try --api chat or completions)`);
      }
      if (status < 200 || status >= 300) throw new HarnessError('env.llm_rejected', 3, `${what} at ${url} was rejected (HTTP ${status}: ${serverMessage(text)})`);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new TransientError(`the answer is not JSON (${JSON.stringify(text.slice(0, 80))})`);
      }
      const accepted = accept(value);
      if (accepted === null) throw new TransientError(`the answer has no usable choices[0] (${JSON.stringify(value).slice(0, 120)}); is this an OpenAI-compatible server?`);
      return accepted;
    });
  }

  /**
   * The model ids the server serves (`GET /models`), or null when it has no such route. Unreachable servers fail
   * here, before any output is written.
   */
  async listModels(): Promise<string[] | null> {
    const url = `${this.baseUrl}/models`;
    let answer: { status: number; text: string };
    try {
      answer = await this.send('GET', url);
    } catch (error) {
      if (error instanceof HarnessError) throw error;
      const cause = (error as { cause?: { code?: string } }).cause;
      throw environmentError('llm_unreachable', `cannot reach the LLM server at ${this.baseUrl} (${cause?.code ?? (error as Error).message}); start it or fix --endpoint / OPENAI_BASE_URL`);
    }
    if (answer.status === 401 || answer.status === 403) {
      throw environmentError('llm_unauthorized', `${url} refused the request (HTTP ${answer.status}); set OPENAI_API_KEY to a key this server accepts`);
    }
    if (answer.status < 200 || answer.status >= 300) return null;
    try {
      const parsed = JSON.parse(answer.text) as { data?: Array<{ id?: unknown }> };
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
    let answer: { status: number; text: string };
    try {
      answer = await this.send('POST', `${this.baseUrl.replace(/\/v1$/, '')}/tokenize`, { model: this.options.model, prompt });
    } catch {
      return null;
    }
    if (answer.status < 200 || answer.status >= 300) return null;
    try {
      const parsed = JSON.parse(answer.text) as { count?: unknown; max_model_len?: unknown };
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
    return this.exchange(chat ? '/chat/completions' : '/completions', body, chat ? 'chat completion' : 'completion', (value) => {
      const answer = value as {
        choices?: Array<{ text?: unknown; finish_reason?: unknown; message?: { content?: unknown; refusal?: unknown } }>;
        usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
      } | null;
      const choice = answer?.choices?.[0];
      const content = chat ? choice?.message?.content : choice?.text;
      const refusal = chat && typeof choice?.message?.refusal === 'string' ? choice.message.refusal : null;
      if (!choice || !(typeof content === 'string' || content === null || refusal !== null)) return null;
      return {
        text: typeof content === 'string' ? content : '',
        finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
        refusal,
        promptTokens: typeof answer?.usage?.prompt_tokens === 'number' ? answer.usage.prompt_tokens : 0,
        completionTokens: typeof answer?.usage?.completion_tokens === 'number' ? answer.usage.completion_tokens : 0,
      };
    });
  }
}
