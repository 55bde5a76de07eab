import { promises as fs } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { environmentError } from '../core/errors.js';

/**
 * HF `tokenizer(text, truncation=True, max_length=L)` for single sequences. @huggingface/tokenizers has no
 * truncation, so content tokens are encoded without special tokens, cut from the right to L minus the number of
 * special tokens, and the post-processor's prefix/suffix ids are put back (a trailing [SEP] survives, as in HF).
 */
export class TextTokenizer {
  readonly padId: number;
  readonly prefixIds: number[];
  readonly suffixIds: number[];
  /** tokenizer_config.json's padding_side (Qwen3-Embedding pads on the left). */
  readonly paddingSide: 'left' | 'right';

  private constructor(private readonly tokenizer: Tokenizer, padId: number, paddingSide: 'left' | 'right') {
    this.padId = padId;
    this.paddingSide = paddingSide;
    // the post-processor's template, read off a probe: whatever surrounds the plain content ids
    const content = tokenizer.encode('a', { add_special_tokens: false }).ids;
    const full = tokenizer.encode('a').ids;
    const at = findSubsequence(full, content);
    if (at < 0) throw environmentError('model.tokenizer', 'tokenizer: cannot locate the content tokens inside the post-processed encoding');
    this.prefixIds = full.slice(0, at);
    this.suffixIds = full.slice(at + content.length);
  }

  /** `appendEos`: a token to end every sequence with unless the template already does (gte-Qwen2's remote tokenizer). */
  static async load(tokenizerPath: string, tokenizerConfigPath: string, options: { appendEos?: string } = {}): Promise<TextTokenizer> {
    const tokenizerJson = await readJsonObject(tokenizerPath);
    const tokenizerConfig = await readJsonObject(tokenizerConfigPath);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw environmentError('model.tokenizer', `tokenizer: ${tokenizerPath} is not a tokenizer the tokenizers library can load (${(error as Error).message}); replace it with the model's tokenizer.json`, error);
    }
    const loaded = new TextTokenizer(tokenizer, resolvePadId(tokenizer, tokenizerJson, tokenizerConfig), tokenizerConfig.padding_side === 'left' ? 'left' : 'right');
    if (options.appendEos !== undefined) {
      const id = tokenizer.token_to_id(options.appendEos);
      if (id === undefined) throw environmentError('model.tokenizer', `tokenizer: ${tokenizerPath} has no token ${JSON.stringify(options.appendEos)} (the model config's build.appendEos)`);
      if (loaded.suffixIds[loaded.suffixIds.length - 1] !== id) loaded.suffixIds.push(id);
    }
    return loaded;
  }

  /** The largest id the tokenizer can emit, added tokens included. */
  get maxTokenId(): number {
    let max = -1;
    for (const id of this.tokenizer.get_vocab(true).values()) if (id > max) max = id;
    return max;
  }

  get specialCount(): number {
    return this.prefixIds.length + this.suffixIds.length;
  }

  encode(text: string, maxLength: number): number[] {
    const content = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const room = Math.max(0, maxLength - this.specialCount);
    const kept = content.length > room ? content.slice(0, room) : content;
    return [...this.prefixIds, ...kept, ...this.suffixIds];
  }

  /**
   * Positions GritLM/ReasonIR/Instructor mask out of mean pooling: len(tokenizer(instruction)) without the
   * trailing special tokens, i.e. the prefix specials (BOS/[CLS]) plus the instruction's own tokens. GritLM
   * masks nothing for an empty instruction (`if instruction:`), so neither do we.
   */
  instructionLength(instruction: string, maxLength: number): number {
    if (instruction === '') return 0;
    const content = this.tokenizer.encode(instruction, { add_special_tokens: false }).ids.length;
    return Math.min(this.prefixIds.length + content, maxLength);
  }
}

function findSubsequence(haystack: number[], needle: number[]): number {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let i = 0; i < needle.length; i++) if (haystack[start + i] !== needle[i]) continue outer;
    return start;
  }
  return -1;
}

/** pad_token from tokenizer_config.json, else tokenizer.json's padding, else EOS (padded positions are masked). */
function resolvePadId(tokenizer: Tokenizer, tokenizerJson: Record<string, unknown>, config: Record<string, unknown>): number {
  const tokenText = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : value && typeof value === 'object' && 'content' in value ? String((value as { content: unknown }).content) : undefined;
  for (const candidate of [tokenText(config.pad_token), tokenText(config.eos_token)]) {
    if (candidate === undefined) continue;
    const id = tokenizer.token_to_id(candidate);
    if (id !== undefined) return id;
  }
  const padding = tokenizerJson.padding as { pad_id?: number } | null | undefined;
  if (typeof padding?.pad_id === 'number') return padding.pad_id;
  return 0;
}

/** A model's JSON file as an object; a truncated or malformed one names the file (exit 3), not a SyntaxError. */
async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  const text = await fs.readFile(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw environmentError('model.bad_json', `tokenizer: ${file} is not valid JSON (${(error as Error).message}; ${text.length} bytes, truncated?); download or export the model again`, error);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw environmentError('model.bad_json', `tokenizer: ${file} holds JSON but not an object; download or export the model again`);
  }
  return value as Record<string, unknown>;
}
