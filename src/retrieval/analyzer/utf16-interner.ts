/**
 * Dense ids for distinct UTF-16 substrings, looked up straight from `text[start, end)` without creating a string:
 * slicing every token and hashing the slice in a `Map` cost more than the tokenizer itself, and the garbage
 * collector then had to sweep one short string per token. Hand-written because no library interns substrings of
 * a JavaScript string: an open-addressing table (linear probing) over a pool of the tokens' UTF-16 units.
 */
export class Utf16Interner {
  /** Number of distinct substrings interned; ids are 0 .. size - 1 in order of first appearance. */
  size = 0;
  /**
   * One record of SLOT ints per slot (id + 1, 0 when empty; hash; start of the units in the pool; length), side by
   * side so that a probe touches one cache line. The slot count is a power of two kept above 4/3 of `size` (a load
   * of at most 0.75): four records share a cache line and a probe compares the hash first, so the longer probe runs
   * cost little, while every doubling avoided saves a table's worth of fresh memory, which a thread interning a few
   * hundred thousand terms pays for page by page, and a rehash of every entry.
   */
  private slots = new Int32Array(SLOT << 12);
  private mask = (1 << 12) - 1;
  private units = new Uint16Array(1 << 14);
  private unitsUsed = 0;
  /** Where each id's units start in the pool: ids are stored one after the other, in id order. */
  private starts = new Uint32Array(1024);

  /** Id of `text.slice(start, end)`, newly assigned (equal to the previous `size`) when it was not seen before. */
  intern(text: string, start: number, end: number): number {
    const length = end - start;
    let hash = 0x811c9dc5 | 0; // FNV-1a over the units, then a murmur3 finalizer so the low bits mix well
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    const slots = this.slots;
    const mask = this.mask;
    const units = this.units;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const record = slot * SLOT;
      const entry = slots[record]!;
      if (entry === 0) return this.insert(record, hash, text, start, length);
      if (slots[record + 1] !== hash || slots[record + 3] !== length) continue;
      let at = slots[record + 2]!;
      let i = start;
      while (i < end && units[at] === text.charCodeAt(i)) {
        at++;
        i++;
      }
      if (i === end) return entry - 1;
    }
  }

  /** The substring of id `id`. */
  text(id: number): string {
    const end = id + 1 < this.size ? this.starts[id + 1]! : this.unitsUsed;
    return String.fromCharCode.apply(null, this.units.subarray(this.starts[id]!, end) as unknown as number[]);
  }

  /**
   * The substrings of ids `from` .. size - 1 as one string (they are stored contiguously) and the end of each in
   * it: what a thread sends so that another can intern them (exact for lone surrogates, unlike a UTF-16 decoder).
   */
  joined(from: number): { text: string; ends: Uint32Array<ArrayBuffer> } {
    const ends = new Uint32Array(Math.max(0, this.size - from));
    if (ends.length === 0) return { text: '', ends };
    const base = this.starts[from]!;
    for (let id = from + 1; id < this.size; id++) ends[id - from - 1] = this.starts[id]! - base;
    ends[ends.length - 1] = this.unitsUsed - base;
    const pieces: string[] = [];
    for (let at = base; at < this.unitsUsed; at += PIECE) {
      pieces.push(String.fromCharCode.apply(null, this.units.subarray(at, Math.min(at + PIECE, this.unitsUsed)) as unknown as number[]));
    }
    return { text: pieces.join(''), ends };
  }

  private insert(record: number, hash: number, text: string, start: number, length: number): number {
    const id = this.size++;
    if (id === this.starts.length) {
      const starts = new Uint32Array(id * 2);
      starts.set(this.starts);
      this.starts = starts;
    }
    this.starts[id] = this.unitsUsed;
    if (this.unitsUsed + length > this.units.length) {
      const units = new Uint16Array((this.unitsUsed + length) * 2);
      units.set(this.units);
      this.units = units;
    }
    const units = this.units;
    let at = this.unitsUsed;
    const slots = this.slots;
    slots[record] = id + 1;
    slots[record + 1] = hash;
    slots[record + 2] = at;
    slots[record + 3] = length;
    for (let i = start; i < start + length; i++) units[at++] = text.charCodeAt(i);
    this.unitsUsed = at;
    if (this.size * 4 > (this.mask + 1) * 3) this.rehash();
    return id;
  }

  private rehash(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = (this.mask << 1) | 1;
    for (let record = 0; record < old.length; record += SLOT) {
      if (old[record] === 0) continue;
      let slot = old[record + 1]! & mask;
      while (slots[slot * SLOT] !== 0) slot = (slot + 1) & mask;
      const to = slot * SLOT;
      slots[to] = old[record]!;
      slots[to + 1] = old[record + 1]!;
      slots[to + 2] = old[record + 2]!;
      slots[to + 3] = old[record + 3]!;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

const SLOT = 4;
/** Units per `String.fromCharCode` call (its arguments go on the stack). */
const PIECE = 8192;
