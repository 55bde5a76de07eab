import { afterEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/core/errors.js';
import { retryAfterMs } from '../../src/dataset/http.js';
import { normalizeEndpoint, OpenAiClient, type LlmRequest } from '../../src/llm/openai-client.js';
import { startOpenAiServer, type OpenAiServer } from '../helpers/openai-server.js';

const request: LlmRequest = { api: 'completions', prompt: 'p', temperature: 0.6, top_p: 0.9, max_tokens: 32, seed: 42 };
let server: OpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(baseUrl: string, extra: Partial<ConstructorParameters<typeof OpenAiClient>[0]> = {}) {
  return new OpenAiClient({ endpoint: baseUrl, model: 'test-model', timeoutMs: 2000, retries: 3, backoffMs: 1, ...extra });
}

describe('OpenAiClient', () => {
  it('takes base URLs as the OpenAI SDKs do, adding /v1 to a bare host', () => {
    expect(normalizeEndpoint('http://localhost:8000')).toBe('http://localhost:8000/v1');
    expect(normalizeEndpoint('http://localhost:8000/v1/')).toBe('http://localhost:8000/v1');
    expect(normalizeEndpoint('https://example.com/api/openai')).toBe('https://example.com/api/openai');
    expect(() => normalizeEndpoint('localhost:8000')).toThrow(/not a URL|only http/);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('0.5')).toBe(500);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 7_000)).toBe(3000);
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });

  it('waits as long as Retry-After says (not its own 1 ms backoff) before retrying a 429', async () => {
    server = await startOpenAiServer({ fault: (index) => (index === 0 ? { status: 429, retryAfter: '1' } : undefined) });
    const waits: number[] = [];
    const started = performance.now();
    const answer = await client(server.baseUrl, { onRetry: (_reason, wait) => waits.push(wait) }).complete(request);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(waits).toEqual([1000]);
    expect(answer.text).toMatch(/^Relevance score: \d\.$/);
  });

  it('backs off exponentially on 5xx and gives up with a sentence after the retries', async () => {
    server = await startOpenAiServer({ fault: () => ({ status: 502, message: 'upstream down' }) });
    const waits: number[] = [];
    const error = await client(server.baseUrl, { backoffMs: 2, onRetry: (_r, wait) => waits.push(wait) }).complete(request).catch((e: unknown) => e);
    expect(waits).toEqual([2, 4, 8]);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(3);
    expect((error as HarnessError).message).toContain('failed after 4 attempts (HTTP 502: upstream down)');
  });

  it('retries a request that outlives --timeout', async () => {
    server = await startOpenAiServer({ fault: (index) => (index === 0 ? { delayMs: 1500 } : undefined) });
    const reasons: string[] = [];
    await client(server.baseUrl, { timeoutMs: 300, onRetry: (reason) => reasons.push(reason) }).complete(request);
    expect(reasons).toEqual([`no response within 300 ms from ${server.url}`]);
  });

  it('names the key variable on 401 without printing the key', async () => {
    server = await startOpenAiServer({ fault: () => ({ status: 401, message: 'bad key' }) });
    const error = (await client(server.baseUrl, { apiKey: 'sk-secret' }).complete(request).catch((e: unknown) => e)) as HarnessError;
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('OPENAI_API_KEY');
    expect(error.message).not.toContain('sk-secret');
    expect(server.requests[0]!.authorization).toBe('Bearer sk-secret');
  });

  it('lists models, refuses an unknown one, and reads vLLM /tokenize', async () => {
    server = await startOpenAiServer({ models: ['a', 'b'], maxModelLen: 4096 });
    await expect(client(server.baseUrl, { model: 'c' }).checkModel()).rejects.toThrow('does not serve --model "c"; it serves: a, b');
    await expect(client(server.baseUrl, { model: 'a' }).checkModel()).resolves.toBeUndefined();
    expect(await client(server.baseUrl, { model: 'a' }).tokenize('one two three')).toEqual({ count: 3, maxModelLen: 4096 });
  });
});
