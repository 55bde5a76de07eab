/**
 * An OpenAI-compatible server imitation on 127.0.0.1 for tests: `GET /v1/models`, `POST /v1/completions`,
 * `POST /v1/chat/completions` and vLLM's `POST /tokenize` (one token per whitespace-separated word). Answers are
 * derived from the prompt (deterministic, so tests can predict every score) and every request is logged. Faults
 * are injected per request: an HTTP status with or without Retry-After, a delay, a non-JSON body, a refusal.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedLlmRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
}

export type Fault =
  | { status: number; retryAfter?: string; message?: string }
  | { delayMs: number }
  | { notJson: true }
  | { refusal: string }
  | { noChoices: true };

export interface OpenAiServerOptions {
  /** Served model ids (default ['test-model']). */
  models?: string[];
  /** The text answered for a prompt (or the last user message); default: `deterministicAnswer`. */
  answer?: (prompt: string) => string;
  /** A fault for the n-th (0-based) completion request, or undefined for a normal answer. */
  fault?: (index: number, prompt: string) => Fault | undefined;
  /** `/tokenize` answers 404 when false (default true); `max_model_len` it reports. */
  tokenize?: boolean;
  maxModelLen?: number;
}

/** 0-5 from the prompt's hash: the score a test expects for a prompt. */
export function deterministicScore(prompt: string): number {
  return createHash('sha256').update(prompt).digest()[0]! % 6;
}

export function deterministicAnswer(prompt: string): string {
  return `Relevance score: ${deterministicScore(prompt)}.`;
}

/** Tokens as the imitation counts them. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

export interface OpenAiServer {
  url: string;
  /** Base URL with /v1. */
  baseUrl: string;
  requests: LoggedLlmRequest[];
  /** Completion and chat requests only, in arrival order. */
  completions(): LoggedLlmRequest[];
  close(): Promise<void>;
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const models = options.models ?? ['test-model'];
  const answer = options.answer ?? deterministicAnswer;
  const requests: LoggedLlmRequest[] = [];
  let completionIndex = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const body = raw === '' ? null : (JSON.parse(raw) as Record<string, unknown>);
      const path = (req.url ?? '').split('?')[0]!;
      requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
      const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(typeof value === 'string' ? value : JSON.stringify(value));
      };
      if (req.method === 'GET' && path === '/v1/models') return send(200, { object: 'list', data: models.map((id) => ({ id, object: 'model' })) });
      if (req.method === 'POST' && path === '/tokenize') {
        if (options.tokenize === false) return send(404, { detail: 'Not Found' });
        const prompt = String(body?.prompt ?? '');
        return send(200, { count: countWords(prompt), max_model_len: options.maxModelLen ?? 16384, tokens: [] });
      }
      const chat = path === '/v1/chat/completions';
      if (req.method !== 'POST' || (path !== '/v1/completions' && !chat)) return send(404, { error: { message: `no route ${path}` } });
      if (!models.includes(String(body?.model))) return send(404, { error: { message: `The model \`${String(body?.model)}\` does not exist.` } });
      const messages = (body?.messages ?? []) as Array<{ role: string; content: string }>;
      const prompt = chat ? (messages.filter((m) => m.role === 'user').pop()?.content ?? '') : String(body?.prompt ?? '');
      const fault = options.fault?.(completionIndex++, prompt);
      const respond = (refusal: string | null = null) => {
        const text = refusal === null ? answer(prompt) : null;
        const usage = { prompt_tokens: countWords(chat ? messages.map((m) => m.content).join(' ') : prompt), completion_tokens: text === null ? 0 : countWords(text) };
        const choice = chat
          ? { index: 0, message: { role: 'assistant', content: text, refusal }, finish_reason: refusal === null ? 'stop' : 'content_filter' }
          : { index: 0, text, finish_reason: 'stop' };
        send(200, { id: 'cmpl-test', object: chat ? 'chat.completion' : 'text_completion', model: body?.model, choices: [choice], usage });
      };
      if (!fault) return respond();
      if ('status' in fault) return send(fault.status, { error: { message: fault.message ?? `injected ${fault.status}` } }, fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter });
      if ('delayMs' in fault) return void setTimeout(() => (res.destroyed ? undefined : respond()), fault.delayMs);
      if ('notJson' in fault) return send(200, '<html>bad gateway</html>');
      if ('noChoices' in fault) return send(200, { id: 'x', choices: [] });
      return respond(fault.refusal);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    completions: () => requests.filter((r) => r.path === '/v1/completions' || r.path === '/v1/chat/completions'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
