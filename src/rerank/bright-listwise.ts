import { RankedList } from '../eval/ranked-list.js';
import type { ChatMessage } from '../llm/openai-client.js';

/**
 * BRIGHT's own LLM reranking (xlang-ai/BRIGHT rerank.py, `OpenAIModel.rerank`, SPEC §1.12): one listwise chat
 * request per query over its top documents, answered with a JSON list of passage numbers.
 */
export const BRIGHT_LISTWISE_SAMPLING = { temperature: 0.8, top_p: 0.8, max_tokens: 2048 } as const;

/** The system message exactly as rerank.py passes it to format_chat (no final period). */
export const BRIGHT_LISTWISE_SYSTEM = 'You are a helpful assistant';

/** rerank.py's prompt: passages as `[i]. text` with newline runs collapsed, query newlines as two spaces. */
export function brightListwiseMessages(query: string, documents: readonly string[], topk: number): ChatMessage[] {
  let docString = '';
  documents.forEach((text, index) => {
    docString += `[${index + 1}]. ${text.replace(/\n+/g, ' ')}\n\n`;
  });
  const curQuery = query.replaceAll('\n', '  ');
  const prompt =
    `The following passages are related to query: ${curQuery}\n\n` +
    `${docString}` +
    'First identify the essential problem in the query.\n' +
    'Think step by step to reason about why each document is relevant or irrelevant.\n' +
    'Rank these passages based on their relevance to the query.\n' +
    'Please output the ranking result of passages as a list, where the first element is the id of the most relevant ' +
    'passage, the second element is the id of the second most element, etc.\n' +
    `Please strictly follow the format to output a list of ${topk} ids corresponding to the most relevant ${topk} passages, sorted from the most to least relevant passage. First think step by step and write the reasoning process, then output the ranking results as a list of ids in a json format.`;
  return [
    { role: 'system', content: BRIGHT_LISTWISE_SYSTEM },
    { role: 'user', content: prompt },
  ];
}

/**
 * rerank.py's `parse_json` and id mapping: the last ```json … ``` block (greedy, across newlines) parsed as JSON;
 * the passage numbers (1-based) it lists that exist, in order, repeats kept. Null (keep the retriever's order) when
 * there is no block, it is not JSON, or it is null or a number (which would crash rerank.py). A JSON object or
 * string yields no valid numbers, so the query keeps no documents, as in rerank.py.
 */
export function parseBrightListwise(output: string, candidates: number): number[] | null {
  const matches = [...output.matchAll(/```json\s*([\s\S]+)```/g)];
  if (matches.length === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(matches[matches.length - 1]![1]!.trim());
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean') return null;
  if (!Array.isArray(parsed)) return [];
  const ranks: number[] = [];
  for (const item of parsed) {
    // Python: `r in indices_map` with int keys 1..n also matches 3.0 and True (== 1)
    const value = item === true ? 1 : item;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= candidates) ranks.push(value);
  }
  return ranks;
}

/**
 * rerank.py's scores: `k - rank` for each listed passage (a repeated passage keeps its first place and its last
 * score), or, when parsing failed, `k - rank` over the retriever's order.
 */
export function brightListwiseScores(docIds: readonly string[], ranks: number[] | null, k: number): RankedList {
  const order = ranks === null ? docIds.map((_, index) => index + 1) : ranks;
  const scores = new Map<string, number>();
  order.forEach((rank, position) => scores.set(docIds[rank - 1]!, k - position));
  return RankedList.of([...scores.keys()], [...scores.values()]);
}
