import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dataError } from '../core/errors.js';
import { packageRoot } from '../core/version.js';

/**
 * ReasonIR's QwenRerank prompts (facebookresearch/ReasonIR @ 0aac962, evaluation/bright/prompts.py), kept
 * byte for byte in configs/rerank/reasonir-qwen-rerank.json with their provenance and task map.
 */
export interface QwenRerankPrompts {
  source: string;
  fill: string;
  task_to_prompt: Record<string, string>;
  prompts: Record<string, string>;
}

export const qwenRerankPromptsPath = path.join(packageRoot, 'configs', 'rerank', 'reasonir-qwen-rerank.json');

let loaded: QwenRerankPrompts | undefined;

export function qwenRerankPrompts(): QwenRerankPrompts {
  if (loaded) return loaded;
  let parsed: QwenRerankPrompts;
  try {
    parsed = JSON.parse(readFileSync(qwenRerankPromptsPath, 'utf8')) as QwenRerankPrompts;
  } catch (error) {
    throw dataError('rerank_prompts', `cannot read ${qwenRerankPromptsPath}: ${(error as Error).message}; reinstall reasonir`, error);
  }
  for (const [task, name] of Object.entries(parsed.task_to_prompt ?? {})) {
    const template = parsed.prompts?.[name];
    // Python's str.format would also treat other braces as fields; the shipped templates have exactly two `{}`
    if (typeof template !== 'string' || template.split('{}').length !== 3 || /[{}]/.test(template.replaceAll('{}', ''))) {
      throw dataError('rerank_prompts', `${qwenRerankPromptsPath}: the prompt for ${task} (${name}) must be a string with exactly two "{}" placeholders`);
    }
  }
  loaded = parsed;
  return parsed;
}

/** `template.format(query, document)` for the task's template. */
export function qwenRerankPrompt(task: string, query: string, document: string): string {
  const prompts = qwenRerankPrompts();
  const name = prompts.task_to_prompt[task];
  if (name === undefined) throw dataError('rerank_prompts', `${qwenRerankPromptsPath} has no prompt for task ${task}`);
  const [before, middle, after] = prompts.prompts[name]!.split('{}') as [string, string, string];
  return `${before}${query}${middle}${document}${after}`;
}

/** Python's str.isspace() characters, which float() strips. */
const PY_SPACE = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** A Unicode decimal digit's value (Python's float() accepts any, e.g. fullwidth ４): runs of Nd come in tens. */
function digitValue(char: string): string {
  if (char >= '0' && char <= '9') return char;
  let start = char.codePointAt(0)!;
  while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
  return String((char.codePointAt(0)! - start) % 10);
}

/** Python's float(text) for the short strings the parse rule slices; null where Python raises ValueError. */
export function pythonFloat(text: string): number | null {
  const stripped = text.replace(PY_SPACE, '').replace(/\p{Nd}/gu, digitValue);
  if (/^[+-]?(\d+(_\d+)*\.?(\d+(_\d+)*)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?$/.test(stripped)) return Number(stripped.replaceAll('_', ''));
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(stripped);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  return null;
}

/**
 * ReasonIR's parse rule: `pos = out.rfind("Relevance score:")`; found → `float(out[pos+16:pos+18]) / 5` (the two
 * characters after the colon, counted in code points as Python slices), ValueError → −1; not found → 0.
 */
export function parseRelevanceScore(output: string): { score: number; outcome: 'parsed' | 'unparsable' | 'missing' } {
  const marker = 'Relevance score:';
  const at = output.lastIndexOf(marker);
  if (at === -1) return { score: 0, outcome: 'missing' };
  const twoChars = Array.from(output.slice(at + marker.length, at + marker.length + 4)).slice(0, 2).join('');
  const value = pythonFloat(twoChars);
  return value === null ? { score: -1, outcome: 'unparsable' } : { score: value / 5, outcome: 'parsed' };
}
