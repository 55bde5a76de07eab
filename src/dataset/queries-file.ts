import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { dataError, usageError } from '../core/errors.js';
import type { Query } from '../core/types.js';

/**
 * A task's queries rewritten by an LLM (`reasonir reason`), read by `eval --queries FILE`:
 * `{"format": "reasonir-queries/1", "task", "source": {...provenance}, "queries": [{"id", "query"}]}`.
 * The ids are the task's own; texts replace the `query` field exactly as BRIGHT's `<llm>_reason` configs do.
 */
export const QUERIES_FORMAT = 'reasonir-queries/1';

export interface QueriesFile {
  format: typeof QUERIES_FORMAT;
  task: string;
  /** Who wrote the texts and how (model, endpoint, prompt, parameters, seed, token counts). */
  source: Record<string, unknown>;
  queries: Array<{ id: string; query: string }>;
}

/** `{task}` in a path is the task name; a path without it serves one task only. */
export function queriesFilePath(template: string, task: string): string {
  return template.replaceAll('{task}', task);
}

export function checkQueriesTemplate(template: string, taskCount: number, flag: string): void {
  if (taskCount > 1 && !template.includes('{task}')) {
    throw usageError('queries_template', `${flag} ${template} names one file for ${taskCount} tasks; put {task} in the path (e.g. queries/{task}.json)`);
  }
}

export async function readQueriesFile(filePath: string, task: string): Promise<QueriesFile> {
  let text: string;
  try {
    text = await fs.readFile(filePath, 'utf8');
  } catch (error) {
    throw dataError('queries_file', `cannot read the queries file ${filePath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); write it with \`reasonir reason --task ${task}\``, error);
  }
  const fail = (what: string) => dataError('queries_file', `${filePath}: ${what}; expected a file written by \`reasonir reason\` ({"format": "${QUERIES_FORMAT}", "task", "queries": [{"id", "query"}]})`);
  let value: Partial<QueriesFile>;
  try {
    value = JSON.parse(text) as Partial<QueriesFile>;
  } catch (error) {
    throw fail(`not valid JSON (${(error as Error).message})`);
  }
  if (value?.format !== QUERIES_FORMAT) throw fail(`"format" is ${JSON.stringify(value?.format)}`);
  if (value.task !== task) throw fail(`it holds queries of task ${JSON.stringify(value.task)}, not ${task}`);
  if (!Array.isArray(value.queries)) throw fail('"queries" is not a list');
  value.queries.forEach((entry, index) => {
    if (typeof entry?.id !== 'string' || typeof entry.query !== 'string') throw fail(`queries[${index}] needs string "id" and "query"`);
  });
  return { format: QUERIES_FORMAT, task, source: value.source ?? {}, queries: value.queries };
}

/** The task's queries with the file's texts; every id must be the task's, each once, and none missing. */
export function applyQueriesFile(queries: readonly Query[], file: QueriesFile, filePath: string): Query[] {
  const texts = new Map<string, string>();
  for (const { id, query } of file.queries) {
    if (texts.has(id)) throw dataError('queries_file', `${filePath}: query id ${id} appears twice`);
    texts.set(id, query);
  }
  const known = new Set(queries.map((query) => query.id));
  const unknown = [...texts.keys()].filter((id) => !known.has(id));
  const missing = queries.filter((query) => !texts.has(query.id)).map((query) => query.id);
  if (unknown.length > 0 || missing.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`${missing.length} of the task's ${queries.length} queries are missing (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`] : []),
      ...(unknown.length > 0 ? [`${unknown.length} ids are not ${file.task} queries (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''})`] : []),
    ];
    throw dataError('queries_file', `${filePath}: ${parts.join('; ')}; was it written for another task or dataset revision?`);
  }
  return queries.map((query) => ({ ...query, text: texts.get(query.id)! }));
}

export async function writeQueriesFile(filePath: string, file: QueriesFile): Promise<void> {
  await writeFileAtomic(filePath, `${JSON.stringify(file, null, 2)}\n`);
}
