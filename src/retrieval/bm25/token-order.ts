import { compareRuns, prefixKey } from '../analyzer/utf16-interner.js';

/**
 * Tokens as TokenOrder reads them, by number: `prefixKey` and `compare` as the interner's (Utf16Interner, or a
 * chunk's new terms as `JoinedRuns`).
 */
export interface RunKeys {
  prefixKey(run: number): number;
  compare(a: number, b: number): number;
}

/**
 * A chunk's new terms as they travel (ChunkAnalysis): term `first + i` is the run `units[ends[i - 1] .. ends[i])`,
 * the first from 0. Lets the builder order a document's new terms before they are interned, so that they are
 * interned in id order.
 */
export class JoinedRuns implements RunKeys {
  constructor(
    private readonly units: Uint16Array,
    private readonly ends: Uint32Array,
    private readonly first: number,
  ) {}

  prefixKey(run: number): number {
    const i = run - this.first;
    return prefixKey(this.units, i > 0 ? this.ends[i - 1]! : 0, this.ends[i]!);
  }

  compare(a: number, b: number): number {
    if (a === b) return 0;
    const i = a - this.first;
    const j = b - this.first;
    return compareRuns(this.units, i > 0 ? this.ends[i - 1]! : 0, this.ends[i]!, j > 0 ? this.ends[j - 1]! : 0, this.ends[j]!);
  }
}

/** Up to this many tokens an insertion sort; above it a merge sort. */
const SMALL_SORT = 24;

/**
 * Orders a document's new tokens by code point, as gensim's `doc2bow` sorts a document's missing tokens (Python
 * strings) before giving them ids. Each token's first units are packed into one small integer (`prefixKey`), read
 * once per token, so that most comparisons compare two numbers instead of reading both tokens' units from the
 * interner's pool (random reads, several per token in a sort); only tokens sharing that prefix are compared unit by
 * unit. The working arrays are kept from call to call, so a sort allocates nothing: the builder runs on the main
 * thread while the analysis streams in, and garbage there costs collections of the whole main heap.
 */
export class TokenOrder {
  private keys = new Int32Array(64);
  private items = new Uint32Array(64);
  private spareKeys = new Int32Array(64);
  private spareItems = new Uint32Array(64);

  /** Orders `positions[from .. to)` by the code points of their tokens, `terms[position]`, runs of `runs`. */
  sort(positions: Uint32Array, from: number, to: number, terms: Uint32Array, runs: RunKeys): void {
    const count = to - from;
    if (count < 2) return;
    if (count > this.keys.length) this.grow(count);
    let { keys, items } = this;
    for (let k = 0; k < count; k++) {
      const position = positions[from + k]!;
      items[k] = position;
      keys[k] = runs.prefixKey(terms[position]!);
    }
    if (count <= SMALL_SORT) {
      for (let i = 1; i < count; i++) {
        const key = keys[i]!;
        const item = items[i]!;
        let j = i - 1;
        for (; j >= 0 && (keys[j]! > key || (keys[j] === key && runs.compare(terms[items[j]!]!, terms[item]!) > 0)); j--) {
          keys[j + 1] = keys[j]!;
          items[j + 1] = items[j]!;
        }
        keys[j + 1] = key;
        items[j + 1] = item;
      }
    } else {
      // bottom-up merge sort, runs of `width` merged from one pair of arrays into the other
      let toKeys = this.spareKeys;
      let toItems = this.spareItems;
      for (let width = 1; width < count; width *= 2) {
        for (let left = 0; left < count; left += 2 * width) {
          const middle = Math.min(left + width, count);
          const right = Math.min(left + 2 * width, count);
          let a = left;
          let b = middle;
          for (let out = left; out < right; out++) {
            const takeA =
              b >= right ||
              (a < middle && (keys[a]! < keys[b]! || (keys[a] === keys[b] && runs.compare(terms[items[a]!]!, terms[items[b]!]!) < 0)));
            const source = takeA ? a++ : b++;
            toKeys[out] = keys[source]!;
            toItems[out] = items[source]!;
          }
        }
        const sortedKeys = toKeys;
        const sortedItems = toItems;
        toKeys = keys;
        toItems = items;
        keys = sortedKeys;
        items = sortedItems;
      }
    }
    for (let k = 0; k < count; k++) positions[from + k] = items[k]!;
  }

  private grow(count: number): void {
    const length = 2 * count;
    this.keys = new Int32Array(length);
    this.items = new Uint32Array(length);
    this.spareKeys = new Int32Array(length);
    this.spareItems = new Uint32Array(length);
  }
}
