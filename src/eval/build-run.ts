import type { Candidates, Qrels, Query } from '../core/types.js';
import { dataError } from '../core/errors.js';
import { CorpusIds } from '../core/corpus-ids.js';
import { collapseDuplicateIds } from './duplicate-ids.js';
import { RankedList, type Run } from './ranked-list.js';

/** BRIGHT's placeholder for "nothing excluded"; never a document id. */
const NO_EXCLUSION = 'N/A';

/** BRIGHT keeps 1000 documents per query for every retriever. */
export const DEFAULT_DEPTH = 1000;

/**
 * BRIGHT's `get_scores` for one query: drop the excluded ids from the full score list, sort by score descending
 * with ties in corpus row order (Python's stable `sorted(..., reverse=True)`), keep the first `depth`.
 * Scores are float32 (what every retriever hands over); -0 and +0 tie as in Python. Excluded ids that are not in
 * the corpus are ignored (BRIGHT would raise KeyError; the dataset loader reports them). An id on several rows is
 * one document, as in BRIGHT's dict (see duplicate-ids.ts).
 *
 * With a finite depth this is a single pass with a bounded heap, so a 400k-document score array costs about one
 * comparison per document rather than a full sort. The list's rows index `corpusIds`; excluded ids are found by
 * row, so no corpus id is made a string.
 */
export function buildRankedList(
  candidates: Candidates,
  corpusIds: CorpusIds | readonly string[],
  excludedIds: readonly string[],
  depth: number | 'all',
): RankedList {
  const ids = corpusIds instanceof CorpusIds ? corpusIds : CorpusIds.of(corpusIds);
  const { queryId } = candidates;
  let { docIndices, scores } = candidates;
  let count = docIndices ? docIndices.length : ids.length;
  if (scores.length !== count) {
    throw dataError('candidates_length', `query ${queryId}: ${scores.length} scores for ${count} candidate documents`);
  }
  if (docIndices) {
    for (let i = 0; i < count; i++) {
      if (docIndices[i]! >= ids.length) throw dataError('candidates_row', `query ${queryId}: row ${docIndices[i]} is outside the corpus`);
    }
  }
  for (let i = 0; i < count; i++) {
    if (Number.isNaN(scores[i])) {
      throw dataError('nan_score', `query ${queryId}: the retriever scored document ${ids.id(docIndices ? docIndices[i]! : i)} as NaN`);
    }
  }
  const duplicates = ids.groups;
  if (duplicates) {
    const rows = docIndices;
    ({ docIndices, scores } = collapseDuplicateIds((i) => (rows ? rows[i]! : i), scores, count, duplicates));
    count = docIndices.length;
  }
  if (depth !== 'all' && excludedIds.length > depth) return rankAroundMany(scores, docIndices, count, ids, excludedIds, depth);
  const excluded = markExcluded(ids, excludedIds);
  try {
    const keep = depth === 'all' ? count : Math.min(count, depth + excluded.length);
    const order = bestFirst(scores, docIndices, count, keep);
    const limit = depth === 'all' ? Infinity : depth;
    // most BRIGHT queries exclude nothing: then no row is checked
    if (excluded.length === 0) return firstOf(order, Math.min(order.length, limit), ids);
    let kept = 0;
    for (let i = 0; i < order.length && kept < limit; i++) {
      const row = order.rows[i]!;
      if (excludedRows[row] !== 0) continue;
      order.rows[kept] = row;
      order.scores[kept++] = order.scores[i]!;
    }
    return firstOf(order, kept, ids);
  } finally {
    for (const row of excluded) excludedRows[row] = 0;
  }
}

/** The first `length` entries of `order` as a list over `ids`, in arrays of its own. */
function firstOf(order: Ordered, length: number, ids: CorpusIds): RankedList {
  return new RankedList(ids, order.rows.slice(0, length), new Float64Array(order.scores.subarray(0, length)));
}

/**
 * Per corpus row, 1 while the query being ranked excludes its id (reused from query to query, all zeros between
 * them): an excluded id is looked up once, and a candidate is then checked by its row.
 */
let excludedRows = new Uint8Array(0);

/**
 * Marks in excludedRows the rows of `excludedIds` that are in the corpus (an id on several rows at its first row,
 * where collapseDuplicateIds leaves its one candidate) and returns them, for the caller to clear.
 */
function markExcluded(ids: CorpusIds, excludedIds: readonly string[]): number[] {
  const marked: number[] = [];
  if (excludedIds.length === 0) return marked;
  if (excludedRows.length < ids.length) excludedRows = new Uint8Array(ids.length);
  for (const id of excludedIds) {
    if (id === NO_EXCLUSION) continue;
    const row = ids.rowOf(id);
    if (row < 0 || excludedRows[row] !== 0) continue;
    excludedRows[row] = 1;
    marked.push(row);
  }
  return marked;
}

/**
 * buildRankedList for an exclusion list longer than `depth` (leetcode: ~30k ids per query, 1000 kept): the best
 * candidates are taken in rounds, each round's ids go into a small map, and the excluded ids are looked up in it.
 * Putting every excluded id into a Set of its own cost several times more than such a scan (a table of ~30k
 * scattered strings per query), and so did finding each one's row in the corpus's table (hashing each excluded
 * id, where a Map reuses the hash a string keeps); ordering all `depth + |excluded|` candidates cost several times
 * more than ordering the few that are needed. A round takes as many candidates again as all rounds before it, so a
 * query whose best candidates are mostly excluded needs only a few rounds. The rounds' ids are the only corpus ids
 * made strings on this path: about depth + a fifth per query, not the corpus.
 */
function rankAroundMany(
  scores: Float32Array,
  docIndices: Uint32Array | null,
  count: number,
  ids: CorpusIds,
  excludedIds: readonly string[],
  depth: number,
): RankedList {
  // about a fifth more than depth: on BRIGHT's long lists, few of the best candidates are excluded
  let keep = Math.min(count, depth + (depth >> 2) + 16);
  let order = bestFirst(scores, docIndices, count, keep);
  let isExcluded = new Uint8Array(0);
  let checked = 0;
  let kept = 0;
  for (;;) {
    // the best `keep` candidates begin with the best of the previous round, in the same order
    const round = new Map<string, number>();
    for (let i = checked; i < order.length; i++) round.set(ids.id(order.rows[i]!), i);
    const flags = new Uint8Array(order.length);
    flags.set(isExcluded);
    isExcluded = flags;
    kept += order.length - checked;
    for (const id of excludedIds) {
      const at = id === NO_EXCLUSION ? undefined : round.get(id);
      if (at !== undefined && isExcluded[at] === 0) {
        isExcluded[at] = 1;
        kept--;
      }
    }
    checked = order.length;
    if (kept >= depth || keep === count) break;
    keep = Math.min(count, 2 * keep);
    order = bestFirst(scores, docIndices, count, keep);
  }
  let ranked = 0;
  for (let i = 0; i < order.length && ranked < depth; i++) {
    if (isExcluded[i] !== 0) continue;
    order.rows[ranked] = order.rows[i]!;
    order.scores[ranked++] = order.scores[i]!;
  }
  return firstOf(order, ranked, ids);
}

/** The best `keep` of the candidates, best first (-0 as +0). */
function bestFirst(scores: Float32Array, docIndices: Uint32Array | null, count: number, keep: number): Ordered {
  return keep >= count ? sortEntries(scores, docIndices, count) : selectTop(scores, docIndices, count, keep);
}

/**
 * Rows and their scores, best first, in the working arrays below: valid until the next bestFirst, and the caller
 * may rearrange them.
 */
interface Ordered {
  rows: Uint32Array;
  scores: Float32Array;
  length: number;
}

/**
 * Working arrays reused from query to query, grown as needed: a typed array of more than 64 bytes lives outside
 * the JavaScript heap, and V8 counts each new one towards a limit of external memory that brings a full garbage
 * collection forward. Fresh heap, sort keys and ordered copies were ~20 KB of the ~32 KB each biology list cost
 * (about 2 MB per eval); only the finished list's two arrays are new now. They hold the largest candidate list
 * seen (24 bytes a candidate: ~10 MB after a leetcode `--top-k all`).
 */
let heapScores = new Float32Array(0);
let heapRows = new Uint32Array(0);
let sortKeys = new Float64Array(0);
let orderedScores = new Float32Array(0);
let orderedRows = new Uint32Array(0);

/** Does (scoreA, rowA) rank before (scoreB, rowB)? Higher score first, then lower row. */
function before(scoreA: number, rowA: number, scoreB: number, rowB: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && rowA < rowB);
}

/** Top `keep` by a min-heap whose root is the worst kept entry; then the kept entries sorted best first. */
function selectTop(scores: Float32Array, docIndices: Uint32Array | null, count: number, keep: number): Ordered {
  if (heapScores.length < keep) {
    heapScores = new Float32Array(keep);
    heapRows = new Uint32Array(keep);
  }
  let size = 0;
  for (let i = 0; i < count; i++) {
    const score = scores[i]! + 0; // -0 -> +0
    const row = docIndices ? docIndices[i]! : i;
    if (size < keep) {
      // sift up: move worse parents down
      let child = size++;
      while (child > 0) {
        const parent = (child - 1) >> 1;
        if (!before(heapScores[parent]!, heapRows[parent]!, score, row)) break;
        heapScores[child] = heapScores[parent]!;
        heapRows[child] = heapRows[parent]!;
        child = parent;
      }
      heapScores[child] = score;
      heapRows[child] = row;
    } else if (before(score, row, heapScores[0]!, heapRows[0]!)) {
      siftDown(heapScores, heapRows, size, score, row);
    }
  }
  return sortEntries(heapScores, heapRows, size);
}

/** Replaces the heap root with (score, row) and restores the heap (worst entry at the root). */
function siftDown(heapScores: Float32Array, heapRows: Uint32Array, size: number, score: number, row: number): void {
  let parent = 0;
  for (;;) {
    let child = 2 * parent + 1;
    if (child >= size) break;
    const right = child + 1;
    if (right < size && before(heapScores[child]!, heapRows[child]!, heapScores[right]!, heapRows[right]!)) child = right;
    if (!before(score, row, heapScores[child]!, heapRows[child]!)) break;
    heapScores[parent] = heapScores[child]!;
    heapRows[parent] = heapRows[child]!;
    parent = child;
  }
  heapScores[parent] = score;
  heapRows[parent] = row;
}

/**
 * Sorts (score, row) pairs (row i when `rows` is null) best first with a native numeric sort on packed keys: the
 * float32 score mapped to an order-preserving unsigned integer (inverted, for descending; -0 as +0) times 2^21 plus
 * the row is an exact double while rows stay below 2^21; larger corpora fall back to a comparator sort.
 */
function sortEntries(scores: Float32Array, rows: Uint32Array | null, length: number): Ordered {
  if (orderedRows.length < length) {
    orderedScores = new Float32Array(length);
    orderedRows = new Uint32Array(length);
    sortKeys = new Float64Array(length);
  }
  const outScores = orderedScores;
  const outRows = orderedRows;
  let maxRow = rows ? 0 : length - 1;
  if (rows) for (let i = 0; i < length; i++) if (rows[i]! > maxRow) maxRow = rows[i]!;
  if (maxRow < ROW_LIMIT) {
    const bits = new Uint32Array(scores.buffer, scores.byteOffset, length);
    const outBits = new Uint32Array(outScores.buffer);
    const keys = sortKeys.subarray(0, length);
    for (let i = 0; i < length; i++) {
      const b = bits[i] === 0x80000000 ? 0 : bits[i]!;
      const ordered = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
      keys[i] = (0xffffffff - ordered) * ROW_LIMIT + (rows ? rows[i]! : i);
    }
    keys.sort();
    for (let i = 0; i < length; i++) {
      const key = keys[i]!;
      const ordered = 0xffffffff - Math.floor(key / ROW_LIMIT);
      outBits[i] = ordered & 0x80000000 ? ordered & 0x7fffffff : ~ordered >>> 0;
      outRows[i] = key % ROW_LIMIT;
    }
  } else {
    const rowOf = (i: number): number => (rows ? rows[i]! : i);
    const order = Array.from({ length }, (_, i) => i).sort((a, b) =>
      before(scores[a]!, rowOf(a), scores[b]!, rowOf(b)) ? -1 : before(scores[b]!, rowOf(b), scores[a]!, rowOf(a)) ? 1 : 0,
    );
    order.forEach((from, to) => {
      outRows[to] = rowOf(from);
      outScores[to] = scores[from]! + 0;
    });
  }
  return { rows: outRows, scores: outScores, length };
}

const ROW_LIMIT = 2 ** 21;

/** BRIGHT's qrels: `{gold_id: 1}` per query from `gold_ids` (or `gold_ids_long`), duplicates collapsed. */
export function qrelsFromQueries(queries: readonly Query[], long: boolean): Qrels {
  const qrels: Qrels = new Map();
  for (const query of queries) {
    const goldIds = long ? query.goldIdsLong : query.goldIds;
    // a query without judgments cannot exist in trec_eval (and is undefined behaviour in pytrec_eval): it is not judged
    if (goldIds.length === 0) continue;
    qrels.set(query.id, new Map(goldIds.map((goldId) => [goldId, 1])));
  }
  return qrels;
}

/**
 * Removes each query's excluded ids from an existing run (for runs made elsewhere, e.g. the official scripts or
 * another toolkit), as BRIGHT removes them before its top-k cut. Lists are not shortened further: the run keeps
 * the depth its producer chose. Returns the filtered run and how many documents were removed.
 */
export function removeExcludedIds(run: Run, queries: readonly Query[]): { run: Run; removed: number } {
  const excludedByQuery = new Map(queries.map((query) => [query.id, new Set(query.excludedIds.filter((id) => id !== NO_EXCLUSION))]));
  const filtered: Run = new Map();
  let removed = 0;
  for (const [queryId, docs] of run) {
    const excluded = excludedByQuery.get(queryId);
    const kept = excluded && excluded.size > 0 ? docs.pick(positionsWhere(docs, (docId) => !excluded.has(docId))) : docs;
    removed += docs.length - kept.length;
    filtered.set(queryId, kept);
  }
  return { run: filtered, removed };
}

function positionsWhere(docs: RankedList, keep: (docId: string) => boolean): number[] {
  const kept: number[] = [];
  for (let i = 0; i < docs.length; i++) if (keep(docs.docId(i))) kept.push(i);
  return kept;
}
