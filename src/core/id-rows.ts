/**
 * One pass over a corpus's document ids, shared by every check that needs it (the dataset cross-check and
 * BRIGHT's duplicate-id collapse): hashing 57k ids twice cost ~20–40 ms per run.
 */
export interface IdRows {
  /** Each distinct id -> the first row that holds it. */
  readonly firstRow: ReadonlyMap<string, number>;
  /** For every row of an id that occurs more than once: row -> first row of that id. Null when ids are unique. */
  readonly groups: ReadonlyMap<number, number> | null;
}

const byCorpus = new WeakMap<readonly string[], IdRows>();

/** The ids' rows, computed once per ids array (which must not be changed afterwards). */
export function idRows(corpusIds: readonly string[]): IdRows {
  const cached = byCorpus.get(corpusIds);
  if (cached !== undefined) return cached;
  const firstRow = new Map<string, number>();
  let groups: Map<number, number> | null = null;
  for (let row = 0; row < corpusIds.length; row++) {
    const id = corpusIds[row]!;
    const first = firstRow.get(id);
    if (first === undefined) {
      firstRow.set(id, row);
      continue;
    }
    groups ??= new Map();
    groups.set(first, first);
    groups.set(row, first);
  }
  const result: IdRows = { firstRow, groups };
  byCorpus.set(corpusIds, result);
  return result;
}
