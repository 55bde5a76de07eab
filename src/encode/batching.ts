/**
 * Length-sorted batches under a token budget (padded tokens: rows x longest row), as sentence-transformers
 * sorts by length: little padding, and long texts run in small batches. Ties keep input order; every batch
 * holds at least one row, so a text longer than the budget still runs alone. `scoreBudget` bounds rows x longest²
 * as well, for graphs whose attention materialises a [rows, heads, S, S] scores tensor.
 */
export function planBatches(lengths: ArrayLike<number>, tokenBudget: number, maxRows = Number.POSITIVE_INFINITY, scoreBudget = Number.POSITIVE_INFINITY): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const index of order) {
    const length = Math.max(1, lengths[index]!);
    const nextLongest = Math.max(longest, length);
    if (current.length > 0 && (nextLongest * (current.length + 1) > tokenBudget || nextLongest * nextLongest * (current.length + 1) > scoreBudget || current.length >= maxRows)) {
      batches.push(current);
      current = [];
    }
    longest = current.length === 0 ? length : nextLongest;
    current.push(index);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
