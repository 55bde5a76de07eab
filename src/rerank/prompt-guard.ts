import { TextTokenizer } from '../encode/tokenizer.js';
import type { OpenAiClient } from '../llm/openai-client.js';
import path from 'node:path';

/** Counts a raw prompt's tokens as the server will: its own `/tokenize` route, or the model's tokenizer.json. */
export interface TokenCounter {
  /** `server /tokenize` or the tokenizer folder. */
  readonly source: string;
  count(text: string): Promise<number>;
}

export async function localTokenCounter(dir: string): Promise<TokenCounter> {
  const tokenizer = await TextTokenizer.load(path.join(dir, 'tokenizer.json'), path.join(dir, 'tokenizer_config.json'));
  return { source: path.resolve(dir), count: async (text) => tokenizer.encode(text, Number.MAX_SAFE_INTEGER).length };
}

/** The server's counter, and its context length when it reports one; null when it has no `/tokenize` route. */
export async function serverTokenCounter(client: OpenAiClient): Promise<{ counter: TokenCounter; maxModelLen: number | null } | null> {
  const probe = await client.tokenize('Relevance score:');
  if (probe === null) return null;
  return {
    counter: {
      source: 'server /tokenize',
      count: async (text) => {
        const counted = await client.tokenize(text);
        if (counted === null) throw new Error('the server stopped answering /tokenize');
        return counted.count;
      },
    },
    maxModelLen: probe.maxModelLen,
  };
}

/**
 * The longest prefix of `document` (in code points) for which `fill(prefix)` fits `budget` tokens, or the whole
 * document when it fits already. vLLM rejects a prompt over max_model_len − max_tokens; ReasonIR's offline vLLM
 * would have crashed on it, so cutting the document (never the query or the instructions) is the one change made,
 * and each cut is counted in the manifest. Binary search: token counts grow with the prefix.
 */
export async function fitDocument(
  document: string,
  fill: (document: string) => string,
  counter: TokenCounter,
  budget: number,
): Promise<{ document: string; truncated: boolean; tokens: number }> {
  const full = await counter.count(fill(document));
  if (full <= budget) return { document, truncated: false, tokens: full };
  const points = Array.from(document);
  let low = 0;
  let high = points.length - 1;
  let best = { document: '', tokens: await counter.count(fill('')) };
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = points.slice(0, middle).join('');
    const tokens = await counter.count(fill(candidate));
    if (tokens <= budget) {
      best = { document: candidate, tokens };
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return { ...best, truncated: true };
}
