/**
 * A corpus's document ids as one block of UTF-8 bytes with an offset per row, and the rows of each id. The loader
 * decodes the id column into bytes (dataset/parquet-texts.ts readStoredUtf8), and a BM25 eval makes no JS string
 * per corpus id: exclusions and judgments are found by row, ids are ordered by their bytes (which is code point
 * order, strcmp's), and the run writer copies the bytes of the ids it ranks. 57k strings on biology (414k on
 * leetcode) cost a cached eval ~50 ms of main-thread CPU to make and a scavenge to collect; only the ids that are
 * asked for by string (`id`, `strings`: messages, the dense and rerank stages) are decoded.
 *
 * Rows are found through an open-addressing table of row numbers in one typed array (FNV-1a over the bytes, linear
 * probing, at least twice as many slots as rows), built once when first needed: a Map of 57k ids cost a cached BM25
 * eval ~28 ms and ~4 MB of heap, old-space growth that brought a full collection forward.
 */
import { Buffer } from 'node:buffer';
import { compareCodePoints } from './code-point-order.js';
import { compareBytes, equalsUtf8, hashBytes, hashUtf8, writeUtf8 } from './id-bytes.js';

interface RowIndex {
  slots: Int32Array;
  /** Each row's hash: ids are compared only where their hashes are equal. */
  hashes: Int32Array;
  mask: number;
  groups: ReadonlyMap<number, number> | null;
}

const ofStrings = new WeakMap<readonly string[], CorpusIds>();

export class CorpusIds {
  private index: RowIndex | undefined;
  private decoded: readonly string[] | undefined;

  private constructor(
    /** Row r's id is `bytes[offsets[r], offsets[r + 1])`. */
    readonly bytes: Buffer,
    readonly offsets: Uint32Array,
    /** The strings the ids were given as (CorpusIds.of). */
    private readonly given: readonly string[] | undefined,
  ) {
    this.decoded = given;
  }

  /**
   * Ids given as well-formed UTF-8 (`offsets` has one entry more than there are ids): each id is the string that
   * TextDecoder makes of its bytes. The arrays are kept, not copied, and must not change.
   */
  static fromUtf8(bytes: Uint8Array, offsets: Uint32Array): CorpusIds {
    return new CorpusIds(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), offsets, undefined);
  }

  /** Ids given as strings (tests, library callers, a corpus in memory); one table per array, which must not change. */
  static of(ids: readonly string[]): CorpusIds {
    let table = ofStrings.get(ids);
    if (table !== undefined) return table;
    let room = 0;
    for (const id of ids) room += 3 * id.length;
    const bytes = Buffer.allocUnsafe(room);
    const offsets = new Uint32Array(ids.length + 1);
    let at = 0;
    for (let row = 0; row < ids.length; row++) offsets[row + 1] = at = writeUtf8(ids[row]!, bytes, at);
    table = new CorpusIds(bytes.subarray(0, at), offsets, ids);
    ofStrings.set(ids, table);
    return table;
  }

  get length(): number {
    return this.offsets.length - 1;
  }

  /** Row `row`'s id as a string. */
  id(row: number): string {
    return this.decoded !== undefined ? this.decoded[row]! : this.bytes.toString('utf8', this.offsets[row], this.offsets[row + 1]);
  }

  /** Every id as a string, in row order (decoded once, then kept): for the stages that work with strings. */
  strings(): readonly string[] {
    if (this.decoded === undefined) {
      const strings = new Array<string>(this.length);
      for (let row = 0; row < strings.length; row++) strings[row] = this.id(row);
      this.decoded = strings;
    }
    return this.decoded;
  }

  /**
   * The order of two rows' ids by code point (C's strcmp on UTF-8). Ids given as strings compare as strings
   * (compareCodePoints), where a lone surrogate has a place of its own.
   */
  compare(a: number, b: number): number {
    if (this.given !== undefined) return compareCodePoints(this.given[a]!, this.given[b]!);
    const { bytes, offsets } = this;
    return compareBytes(bytes, offsets[a]!, offsets[a + 1]!, bytes, offsets[b]!, offsets[b + 1]!);
  }

  /** The first row holding `id`, or -1. */
  rowOf(id: string): number {
    const { slots, hashes, mask } = this.rows();
    const { bytes, offsets } = this;
    const hash = hashUtf8(id);
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const row = slots[slot]!;
      if (row < 0 || (hashes[row] === hash && equalsUtf8(bytes, offsets[row]!, offsets[row + 1]!, id))) return row;
    }
  }

  /** Whether some row holds `id`. */
  has(id: string): boolean {
    return this.rowOf(id) >= 0;
  }

  /** For every row of an id that occurs more than once: row -> first row of that id. Null when ids are unique. */
  get groups(): ReadonlyMap<number, number> | null {
    return this.rows().groups;
  }

  private rows(): RowIndex {
    if (this.index !== undefined) return this.index;
    const { bytes, offsets } = this;
    const count = this.length;
    let capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    const slots = new Int32Array(capacity).fill(-1);
    const mask = capacity - 1;
    const hashes = new Int32Array(count);
    let groups: Map<number, number> | null = null;
    for (let row = 0; row < count; row++) {
      const start = offsets[row]!;
      const end = offsets[row + 1]!;
      const hash = hashBytes(bytes, start, end);
      hashes[row] = hash;
      for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
        const first = slots[slot]!;
        if (first < 0) {
          slots[slot] = row;
          break;
        }
        if (hashes[first] === hash && compareBytes(bytes, offsets[first]!, offsets[first + 1]!, bytes, start, end) === 0) {
          groups ??= new Map();
          groups.set(first, first);
          groups.set(row, first);
          break;
        }
      }
    }
    this.index = { slots, hashes, mask, groups };
    return this.index;
  }
}
