/**
 * One pass over a corpus's document ids, shared by every check that needs it (the dataset cross-check and
 * BRIGHT's duplicate-id collapse): hashing 57k ids twice cost ~20–40 ms per run. The ids are found through an
 * open-addressing table of row numbers in one typed array (FNV-1a over the UTF-16 units, linear probing, at least
 * twice as many slots as rows): a Map of 57k ids cost a cached BM25 eval ~28 ms and ~4 MB of heap, old-space
 * growth that brought a full collection forward.
 */
export interface IdRows {
  /** Whether some row holds `id`. */
  has(id: string): boolean;
  /** The first row holding `id`, or -1. */
  rowOf(id: string): number;
  /** For every row of an id that occurs more than once: row -> first row of that id. Null when ids are unique. */
  readonly groups: ReadonlyMap<number, number> | null;
}

const byCorpus = new WeakMap<readonly string[], IdRows>();

/** The ids' rows, computed once per ids array (which must not be changed afterwards). */
export function idRows(corpusIds: readonly string[]): IdRows {
  const cached = byCorpus.get(corpusIds);
  if (cached !== undefined) return cached;
  let capacity = 16;
  while (capacity < corpusIds.length * 2) capacity *= 2;
  const slots = new Int32Array(capacity).fill(-1);
  const mask = capacity - 1;
  let groups: Map<number, number> | null = null;
  for (let row = 0; row < corpusIds.length; row++) {
    const id = corpusIds[row]!;
    for (let slot = hashOf(id) & mask; ; slot = (slot + 1) & mask) {
      const first = slots[slot]!;
      if (first < 0) {
        slots[slot] = row;
        break;
      }
      if (corpusIds[first] === id) {
        groups ??= new Map();
        groups.set(first, first);
        groups.set(row, first);
        break;
      }
    }
  }
  const rowOf = (id: string): number => {
    for (let slot = hashOf(id) & mask; ; slot = (slot + 1) & mask) {
      const row = slots[slot]!;
      if (row < 0 || corpusIds[row] === id) return row;
    }
  };
  const result: IdRows = { has: (id) => rowOf(id) >= 0, rowOf, groups };
  byCorpus.set(corpusIds, result);
  return result;
}

function hashOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash;
}
