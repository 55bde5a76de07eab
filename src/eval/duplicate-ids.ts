/**
 * BRIGHT turns each query's scores into a dict, `{docid: score for docid, score in zip(doc_ids, scores)}`, so a
 * document id that occurs on several corpus rows becomes ONE entry: at the position of its first row (which decides
 * ties in the stable sort) with the score of its last row. This reproduces that collapse; the rows of each repeated
 * id are CorpusIds.groups.
 */

/**
 * Candidates with each duplicated id reduced to one entry: its first row, carrying the score of the last of its
 * rows that was scored. Other candidates pass through unchanged.
 */
export function collapseDuplicateIds(
  rows: (i: number) => number,
  scores: Float32Array,
  count: number,
  groups: ReadonlyMap<number, number>,
): { docIndices: Uint32Array; scores: Float32Array } {
  const outRows: number[] = [];
  const outScores: number[] = [];
  const lastScored = new Map<number, { row: number; score: number }>();
  for (let i = 0; i < count; i++) {
    const row = rows(i);
    const first = groups.get(row);
    if (first === undefined) {
      outRows.push(row);
      outScores.push(scores[i]!);
      continue;
    }
    const seen = lastScored.get(first);
    if (!seen || row > seen.row) lastScored.set(first, { row, score: scores[i]! });
  }
  for (const [first, { score }] of lastScored) {
    outRows.push(first);
    outScores.push(score);
  }
  return { docIndices: Uint32Array.from(outRows), scores: Float32Array.from(outScores) };
}
