/**
 * Checks a task's rows the way BRIGHT's run.py would meet them (SPEC §1, §8.1). What BRIGHT would crash or assert on
 * is an error; what it silently tolerates is a counted warning, because the published numbers include it.
 */
import { dataError } from '../core/errors.js';
import type { Query } from '../core/types.js';
import type { CorpusIds } from '../core/corpus-ids.js';

/** `["N/A"]` is BRIGHT's "none" placeholder in excluded_ids and (for tasks without long documents) gold_ids_long. */
export const PLACEHOLDER = 'N/A';

export interface ExampleRow {
  id: string;
  query: string;
  excludedIds: string[];
  goldIds: string[];
  goldIdsLong: string[];
}

/** Examples rows -> queries: placeholder removed, ids checked. Throws on duplicate query ids or excluded ∩ gold. */
export function toQueries(rows: ExampleRow[], label: string): Query[] {
  const seen = new Set<string>();
  return rows.map((row, index) => {
    if (seen.has(row.id)) {
      // BRIGHT keys excluded ids and qrels by query id: a duplicate silently merges two queries
      throw dataError('duplicate_query_id', `${label}: query id "${row.id}" appears twice (row ${index}); the data is not the BRIGHT layout`);
    }
    seen.add(row.id);
    const excludedIds = row.excludedIds.filter((id) => id !== PLACEHOLDER);
    // run.py checks gold_ids even in the long setting
    const gold = new Set(row.goldIds);
    const overlap = excludedIds.filter((id) => gold.has(id));
    if (overlap.length > 0) {
      // run.py asserts this (L62-67)
      throw dataError('excluded_gold_overlap', `${label}: query "${row.id}" excludes its own gold document(s) ${overlap.map((id) => `"${id}"`).join(', ')}; BRIGHT asserts excluded_ids and gold_ids are disjoint`);
    }
    return {
      id: row.id,
      text: row.query,
      goldIds: row.goldIds,
      goldIdsLong: row.goldIdsLong.length === 1 && row.goldIdsLong[0] === PLACEHOLDER ? [] : row.goldIdsLong,
      excludedIds,
    };
  });
}

/**
 * Cross-checks queries against the corpus. Excluded ids missing from the corpus are an error (BRIGHT's
 * `cur_scores.pop(did)` raises KeyError); gold ids missing from it are counted (they still count in num_rel, so
 * they cap the reachable score); duplicate document ids are counted (BRIGHT scores every row, then its
 * `{doc_id: score}` dict keeps one entry per id: the first row's rank position with the last row's score).
 */
export function checkAgainstCorpus(queries: Query[], ids: CorpusIds, label: string, long: boolean): string[] {
  const warnings: string[] = [];
  const { groups } = ids;
  // duplicated ids in the order of their second occurrence (each group's first row enters `groups` then)
  const duplicates = new Set<string>();
  if (groups) for (const [row, first] of groups) if (row === first) duplicates.add(ids.id(row));
  if (duplicates.size > 0) {
    const sample = [...duplicates].slice(0, 3).map((id) => `"${id}"`).join(', ');
    warnings.push(`${label}: ${duplicates.size} document id(s) occur more than once (${sample}${duplicates.size > 3 ? ', ...' : ''}); BRIGHT keeps one score per id`);
  }
  const missingGold: string[] = [];
  let queriesWithMissingGold = 0;
  let queriesWithoutGold = 0;
  for (const query of queries) {
    const missingExcluded = query.excludedIds.filter((id) => !ids.has(id));
    if (missingExcluded.length > 0) {
      throw dataError(
        'excluded_not_in_corpus',
        `${label}: query "${query.id}" excludes ${missingExcluded.length} id(s) that are not in the corpus (${missingExcluded.slice(0, 3).map((id) => `"${id}"`).join(', ')}${missingExcluded.length > 3 ? ', ...' : ''}); BRIGHT would fail with KeyError. The examples and documents files are probably from different revisions`,
      );
    }
    const gold = long ? query.goldIdsLong : query.goldIds;
    if (gold.length === 0) queriesWithoutGold++;
    const missing = gold.filter((id) => !ids.has(id));
    if (missing.length > 0) {
      queriesWithMissingGold++;
      missingGold.push(...missing);
    }
  }
  if (missingGold.length > 0) {
    const distinct = [...new Set(missingGold)];
    warnings.push(`${label}: ${missingGold.length} gold id(s) of ${queriesWithMissingGold} quer${queriesWithMissingGold === 1 ? 'y are' : 'ies are'} not in the corpus (${distinct.slice(0, 3).map((id) => `"${id}"`).join(', ')}${distinct.length > 3 ? ', ...' : ''}); they still count as relevant`);
  }
  if (queriesWithoutGold > 0) {
    warnings.push(`${label}: ${queriesWithoutGold} quer${queriesWithoutGold === 1 ? 'y has' : 'ies have'} no gold ids${long ? ' (gold_ids_long)' : ''}; trec_eval skips queries without judgments`);
  }
  return warnings;
}

/**
 * Reasoning-query rows must be the examples' queries: same ids. Their own gold/excluded ids are not used
 * (BRIGHT would use them), so a difference is reported.
 */
export function alignReasonRows(queries: Query[], rows: ExampleRow[], label: string): { texts: Map<string, string>; warnings: string[] } {
  const texts = new Map<string, string>();
  const warnings: string[] = [];
  for (const row of rows) {
    if (texts.has(row.id)) throw dataError('duplicate_query_id', `${label}: query id "${row.id}" appears twice`);
    texts.set(row.id, row.query);
  }
  const queryById = new Map(queries.map((query) => [query.id, query]));
  const missing = queries.filter((query) => !texts.has(query.id)).map((query) => query.id);
  const extra = rows.filter((row) => !queryById.has(row.id)).map((row) => row.id);
  if (missing.length > 0 || extra.length > 0) {
    throw dataError(
      'reason_misaligned',
      `${label}: query ids differ from the examples (${missing.length} missing${missing.length ? `: "${missing.slice(0, 3).join('", "')}"` : ''}; ${extra.length} extra${extra.length ? `: "${extra.slice(0, 3).join('", "')}"` : ''}); the files are probably from different revisions`,
    );
  }
  let differentJudgments = 0;
  let differentOrder = false;
  rows.forEach((row, index) => {
    if (queries[index]?.id !== row.id) differentOrder = true;
    const query = queryById.get(row.id)!;
    const excluded = row.excludedIds.filter((id) => id !== PLACEHOLDER);
    if (!sameSet(row.goldIds, query.goldIds) || !sameSet(excluded, query.excludedIds)) differentJudgments++;
  });
  if (differentOrder) warnings.push(`${label}: rows are in a different order than the examples; queries keep the examples' order`);
  if (differentJudgments > 0) {
    warnings.push(`${label}: ${differentJudgments} quer${differentJudgments === 1 ? 'y has' : 'ies have'} gold/excluded ids that differ from the examples; the examples' judgments are used`);
  }
  return { texts, warnings };
}

function sameSet(a: string[], b: string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((id) => right.has(id));
}
