import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import type { LlmRequest, LlmResponse } from './openai-client.js';

/**
 * LLM answers stored by the hash of what decides them (model, API, prompt or messages, sampling parameters, seed),
 * one atomically written file each: an interrupted rerank resumes where it stopped and a rerun sends nothing.
 * The endpoint URL and the API key are not part of the key: the same model behind another URL gives the same answer.
 */
export class ResponseCache {
  constructor(readonly dir: string | null) {}

  static key(model: string, request: LlmRequest): string {
    return sha256Hex(canonicalJson({ format: 'reasonir-llm-response/1', model, request }));
  }

  private file(key: string): string {
    return path.join(this.dir!, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<LlmResponse | null> {
    if (this.dir === null) return null;
    let text: string;
    try {
      text = await fs.readFile(this.file(key), 'utf8');
    } catch {
      return null;
    }
    try {
      const entry = JSON.parse(text) as { key?: string; response?: LlmResponse };
      // a damaged or foreign file is a miss, never a wrong answer
      if (entry.key !== key || typeof entry.response?.text !== 'string') return null;
      return entry.response;
    } catch {
      return null;
    }
  }

  async put(key: string, model: string, request: LlmRequest, response: LlmResponse): Promise<void> {
    if (this.dir === null) return;
    await writeFileAtomic(this.file(key), `${JSON.stringify({ key, model, request, response })}\n`);
  }
}
