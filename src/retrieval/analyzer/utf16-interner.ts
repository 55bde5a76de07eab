import { compareUnits, unitRank } from '../../core/code-point-order.js';
import { hashUnits, placeIds, tableCapacity } from '../bm25/term-table.js';

/**
 * Dense ids for distinct runs of UTF-16 units, looked up straight from `units[start, end)` without creating a
 * string: slicing every token and hashing the slice in a `Map` cost more than the tokenizer itself, and the garbage
 * collector then had to sweep one short string per token. Hand-written because no library interns runs of units:
 * an open-addressing table (linear probing) over a pool of the tokens' UTF-16 units.
 */
export class Utf16Interner {
  /** Number of distinct substrings interned; ids are 0 .. size - 1 in order of first appearance. */
  size = 0;
  /**
   * The id in each slot, -1 when empty: the BM25 vocabulary's own table (bm25/term-table.ts: FNV-1a over the units,
   * linear probing, a power-of-two capacity at least twice `size`, `tableCapacity`). Ids interned in id order (the
   * BM25 builder's, while nothing is pruned) and rehashed in id order lie exactly where the vocabulary's build puts
   * them, so the builder hands this table over (`vocabularyTable`) instead of hashing every term again into a second
   * table at the end of a cold build (~75M instructions and a table's pages for a biology-sized vocabulary). A probe
   * reads a key's start and length for each id it meets; at a load of at most 1/2 that is about one id per lookup.
   */
  private slots: Int32Array;
  private mask: number;
  /**
   * The pool, 8-bit while every unit interned fits (English-like terms: half the fresh pages, and the vocabulary's
   * units are the pool itself, not a copy); widened to 16 bits by the first wider unit.
   */
  private units: Uint8Array | Uint16Array;
  private unitsUsed = 0;
  private maxUnit = 0;
  /**
   * Where each id's units start in the pool: ids are stored one after the other, in id order, and `starts[size]` is
   * where the next one will (so an id's end is always the next start: no branch for the last id, which an optimised
   * caller that had not met it yet would deoptimise on).
   */
  private starts: Uint32Array;
  /** The hashes of a batch of `lookUpAll` or `internAll`. */
  private readonly hashes = new Int32Array(BATCH);
  /** What `readAhead` read (unused: it only keeps its loads). */
  private seen = 0;

  /**
   * `expectedIds`: how many distinct substrings the caller expects, when it knows; the table, the list of starts
   * and the pool of units (at UNITS_PER_ID each) begin at the size that holds them, skipping the doublings on the
   * way there. `roomIds` (at least `expectedIds`): the ids the list of starts and the pool are reserved for. They
   * are filled in order, so a page of them costs only once written, while outgrowing them copies them into fresh
   * pages; the table is probed at random (every page is touched), so it is sized for `expectedIds` only. Any
   * number can be interned whatever the hints. `shared`: these three begin in SharedArrayBuffers, which V8 leaves
   * out of the isolate's external memory: an unshared reservation counts in full (untouched pages too) against the
   * old generation's limit, and the BM25 builder's (~7 MB for a biology-sized corpus) set off a full collection on
   * the main thread in the cold build.
   */
  constructor(expectedIds = 0, roomIds = expectedIds, shared = false) {
    const capacity = tableCapacity(expectedIds);
    const room = Math.max(expectedIds, roomIds);
    const bytes = (length: number) => (shared ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
    // written whole before any probe reads it: a page read before its first write maps the zero page, and that
    // write then faults a second time
    this.slots = new Int32Array(bytes(4 * capacity)).fill(-1);
    this.mask = capacity - 1;
    this.starts = new Uint32Array(bytes(4 * Math.max(1024, room)));
    this.units = new Uint8Array(bytes(Math.max(1 << 14, room * UNITS_PER_ID)));
  }

  /** Id of the units `text[start .. end)`, newly assigned (equal to the previous `size`) when not seen before. */
  intern(text: Uint16Array, start: number, end: number): number {
    this.checkTable();
    const hash = hashUnits(text, start, end);
    const found = this.find(text, start, end, hash);
    return found >= 0 ? found : this.insert(-1 - found, text, start, end - start);
  }

  /**
   * Writes to `ids` from `at` the id of each run `text[ends[i - 1] .. ends[i])` (the first from 0), or -1 for a run
   * not interned; interns nothing. Each batch's hashes are computed first, and the slots they probe first (with the
   * units of a key whose hash matches) are read in a loop of independent loads, which the processor overlaps, so
   * that the probes then find them in the cache. Probing a table of a few MB run by run waits for one cache and TLB
   * miss at a time, each behind the previous run's branches: it was half of the main thread's numbering of a cold
   * BM25 build.
   */
  lookUpAll(text: Uint16Array, ends: Uint32Array, ids: Int32Array, at: number): void {
    this.checkTable();
    const { hashes } = this;
    const count = ends.length;
    if (this.size === 0) {
      // every run is new: and the probes are first compiled where they also meet keys that are there
      ids.fill(-1, at, at + count);
      return;
    }
    for (let from = 0; from < count; from += BATCH) {
      const to = Math.min(count, from + BATCH);
      for (let i = from; i < to; i++) hashes[i - from] = hashUnits(text, i > 0 ? ends[i - 1]! : 0, ends[i]!);
      this.readAhead(hashes, to - from);
      for (let i = from; i < to; i++) ids[at + i] = Math.max(-1, this.find(text, i > 0 ? ends[i - 1]! : 0, ends[i]!, hashes[i - from]!));
    }
  }

  /**
   * Interns the runs `text[starts[k] .. ends[k])`, `k < count`, as `intern` would one by one; their ids go to
   * `ids[k]`. Batched as `lookUpAll` (a loop of its own: optimised for what it meets, inserts).
   */
  internAll(text: Uint16Array, starts: Uint32Array, ends: Uint32Array, count: number, ids: Int32Array): void {
    this.checkTable();
    const { hashes } = this;
    for (let from = 0; from < count; from += BATCH) {
      const to = Math.min(count, from + BATCH);
      for (let k = from; k < to; k++) hashes[k - from] = hashUnits(text, starts[k]!, ends[k]!);
      this.readAhead(hashes, to - from);
      for (let k = from; k < to; k++) {
        const hash = hashes[k - from]!;
        const found = this.find(text, starts[k]!, ends[k]!, hash);
        ids[k] = found >= 0 ? found : this.insert(-1 - found, text, starts[k]!, ends[k]! - starts[k]!);
      }
    }
  }

  /** The substring of id `id`. */
  text(id: number): string {
    return String.fromCharCode.apply(null, this.units.subarray(this.starts[id]!, this.end(id)) as unknown as number[]);
  }

  /** Units in the substring of id `id`. */
  length(id: number): number {
    return this.end(id) - this.starts[id]!;
  }

  /** The largest UTF-16 unit of every substring interned so far. */
  get largestUnit(): number {
    return this.maxUnit;
  }

  /**
   * The units of ids 0 .. count - 1 concatenated in id order (8-bit when every unit interned fits), and where each
   * id's start (`count + 1` offsets, the last where they end): views of the pool and of the starts, no copy (a copy
   * is fresh memory, paid page by page). Interning more never changes them: ids only append to both.
   */
  joined(count: number): { units: Uint8Array | Uint16Array; offsets: Uint32Array } {
    const offsets = this.starts.subarray(0, count + 1);
    return { units: this.units.subarray(0, offsets[count]), offsets };
  }

  /** Copies the units of id `id` into `target` from `at`; returns where they end. */
  copy(id: number, target: Uint8Array | Uint16Array, at: number): number {
    const { units } = this;
    const end = this.end(id);
    for (let i = this.starts[id]!; i < end; i++) target[at++] = units[i]!;
    return at;
  }

  /**
   * Its table, when it is the table `Vocabulary` would build for ids 0 .. count - 1 as interned (all of them, in id
   * order, its capacity the vocabulary's); null otherwise. The interner is done with it: it interns nothing more.
   */
  vocabularyTable(count: number): Int32Array | null {
    if (count !== this.size || this.mask + 1 !== tableCapacity(count)) return null;
    return this.spareTable();
  }

  /**
   * Its hash table's memory, for a caller done with interning (a table of its own is new memory, paid page by page):
   * the interner then looks nothing up and interns nothing (it throws), but reads ids back as before.
   */
  spareTable(): Int32Array {
    const { slots } = this;
    this.slots = new Int32Array(0);
    this.mask = -1;
    return slots;
  }

  /** Compares the substrings of ids `a` and `b` by Unicode code point (as `compareCodePoints` compares strings). */
  compare(a: number, b: number): number {
    if (a === b) return 0;
    return compareRuns(this.units, this.starts[a]!, this.end(a), this.starts[b]!, this.end(b));
  }

  /** `prefixKey` of the substring of id `id`. */
  prefixKey(id: number): number {
    return prefixKey(this.units, this.starts[id]!, this.end(id));
  }

  private checkTable(): void {
    if (this.mask < 0) throw new Error('Utf16Interner: its table was given away (spareTable)');
  }

  private end(id: number): number {
    return this.starts[id + 1]!;
  }

  /**
   * The id of the units `text[start .. end)`, whose hash is `hash`; when they are not interned, -1 - the empty slot
   * where they would go.
   */
  private find(text: Uint16Array, start: number, end: number, hash: number): number {
    const length = end - start;
    const { slots, mask, units, starts } = this;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot]!;
      if (id < 0) return -1 - slot;
      let at = starts[id]!;
      if (starts[id + 1]! - at !== length) continue;
      let i = start;
      while (i < end && units[at] === text[i]) {
        at++;
        i++;
      }
      if (i === end) return id;
    }
  }

  /**
   * Reads the first slot each of `hashes[0 .. count)` probes, and the first unit of the key there (id 0's for an
   * empty slot): only to bring them into the cache (their xor is kept so that the compiler cannot drop the loads).
   * Every key's units, not only those whose hash matches: no branch, so the loads overlap, and no path that the
   * first chunks never take (into an empty table, nothing matches), which the optimised code would be dropped for.
   */
  private readAhead(hashes: Int32Array, count: number): void {
    const { slots, mask, units, starts } = this;
    let seen = 0;
    for (let i = 0; i < count; i++) seen ^= units[starts[Math.max(slots[hashes[i]! & mask]!, 0)]!]!;
    this.seen ^= seen;
  }

  private insert(slot: number, text: Uint16Array, start: number, length: number): number {
    const id = this.size++;
    if (id + 1 === this.starts.length) {
      const starts = new Uint32Array((id + 1) * 2);
      starts.set(this.starts);
      this.starts = starts;
    }
    let maxUnit = this.maxUnit;
    for (let i = start; i < start + length; i++) if (text[i]! > maxUnit) maxUnit = text[i]!;
    if (maxUnit > 0xff && this.units instanceof Uint8Array) {
      // the room past the units used stays untouched (no page paid for it)
      const wide = new Uint16Array(this.units.length);
      wide.set(this.units.subarray(0, this.unitsUsed));
      this.units = wide;
    }
    if (this.unitsUsed + length > this.units.length) {
      const units = this.units instanceof Uint8Array ? new Uint8Array((this.unitsUsed + length) * 2) : new Uint16Array((this.unitsUsed + length) * 2);
      units.set(this.units);
      this.units = units;
    }
    const units = this.units;
    let at = this.unitsUsed;
    this.slots[slot] = id;
    for (let i = start; i < start + length; i++) units[at++] = text[i]!;
    this.maxUnit = maxUnit;
    this.unitsUsed = at;
    this.starts[id + 1] = at;
    if (this.size * 2 > this.mask + 1) {
      // ids placed again in id order: the table stays the one the vocabulary would build
      this.slots = placeIds(new Int32Array(2 * (this.mask + 1)), this.units, this.starts, this.size);
      this.mask = this.slots.length - 1;
    }
    return id;
  }
}

/**
 * Runs per batch of `lookUpAll` and `internAll`: their slots (a cache line each) and units stay in the cache between the batch's
 * read-ahead and its probes.
 */
const BATCH = 256;
/**
 * Compares the runs `units[startA .. endA)` and `units[startB .. endB)` by Unicode code point (as
 * `compareCodePoints` compares strings).
 */
export function compareRuns(units: Uint8Array | Uint16Array, startA: number, endA: number, startB: number, endB: number): number {
  const lengthA = endA - startA;
  const lengthB = endB - startB;
  const length = Math.min(lengthA, lengthB);
  for (let i = 0; i < length; i++) {
    const x = units[startA + i]!;
    const y = units[startB + i]!;
    if (x !== y) return compareUnits(x, y);
  }
  return lengthA - lengthB;
}

/**
 * A small integer (a V8 Smi: never a heap number, even in unoptimised code) from the start of the run
 * `units[start .. end)`: its first unit's code-point rank and the second's, 0 past the end, each + 1, the second
 * capped. Two runs' keys order as `compareRuns` orders them whenever the keys differ; equal keys (a shared first
 * unit and second unit, or both units at or past the caps) leave it to `compareRuns`.
 */
export function prefixKey(units: Uint8Array | Uint16Array, start: number, end: number): number {
  const length = end - start;
  const first = length > 0 ? unitRank(units[start]!) + 1 : 0;
  // past the cap, the second unit is left out: a capped first unit followed by it would not order like the units
  if (first >= FIRST_CAP) return FIRST_CAP * SECOND_CAP;
  const second = length > 1 ? Math.min(unitRank(units[start + 1]!) + 1, SECOND_CAP - 1) : 0;
  return first * SECOND_CAP + second;
}

/** `prefixKey`'s caps: FIRST_CAP * SECOND_CAP is 2^30 - 2^14, below the largest Smi (2^30 - 1). */
const FIRST_CAP = 0xffff;
const SECOND_CAP = 1 << 14;
/** Units per substring a hinted pool is sized for: the analyzer's terms of English-like text average ~9 (8.9 on the bench's). */
const UNITS_PER_ID = 9;
