/**
 * Int values keyed by UTF-16 substrings, looked up straight from `text[start, end)` without creating a string.
 * Built for the analyzer's hot loop, where every token is looked up once and a cold run meets a few hundred
 * thousand distinct ones, so most lookups of rarer tokens miss the CPU caches: a slot holds the key's length, its
 * value and, for keys of up to INLINE_UNITS units (nearly every word), the units themselves, in 32 bytes that
 * share one cache line. A lookup thus reads one line, where a table with a separate unit pool and a separate value
 * array reads three. Hand-written because no library maps substrings of a JavaScript string.
 */
export class SubstringMap {
  /** Number of keys. */
  size = 0;
  /**
   * SLOT ints per slot: length + 1 (0 when empty), value, then the units two per int or, for a longer key, its
   * start in `long`. No hash is kept: comparing the length and the first units rejects a stranger as quickly, and
   * the slot has room for two more units instead.
   */
  private slots: Int32Array;
  private mask: number;
  /** Most keys the table takes at its current size before it doubles (a load factor of at most 0.7). */
  private limit: number;
  /** Units of the keys longer than INLINE_UNITS. */
  private long = new Uint16Array(1 << 12);
  private longUsed = 0;

  /**
   * `expectedKeys`: how many keys the caller expects to store, when it knows; the table starts at the size that
   * holds them, skipping the doublings on the way there (each one allocates a fresh table, paid for page by page,
   * and rehashes every key). Any number of keys can be stored whatever the hint.
   */
  constructor(expectedKeys = 0) {
    let size = 1 << 12;
    while (loadLimit(size) < expectedKeys) size *= 2;
    this.slots = new Int32Array(SLOT * size);
    this.mask = size - 1;
    this.limit = loadLimit(size);
  }

  /**
   * The value of `text[start, end)`; when it has none yet, `valueOf(text, start, end)` gives it, and it is stored
   * and returned (`valueOf` must not use this map).
   */
  get(text: string, start: number, end: number, valueOf: (text: string, start: number, end: number) => number): number {
    const length = end - start;
    const slots = this.slots;
    const mask = this.mask;
    for (let slot = hashUnits(text, start, end) & mask; ; slot = (slot + 1) & mask) {
      const record = slot * SLOT;
      const lengthPlusOne = slots[record]!;
      if (lengthPlusOne === 0) return this.insert(record, text, start, end, valueOf(text, start, end));
      if (lengthPlusOne !== length + 1) continue;
      if (length <= INLINE_UNITS ? this.inlineEquals(record, text, start, end) : this.longEquals(record, text, start, end)) {
        return slots[record + 1]!;
      }
    }
  }

  private inlineEquals(record: number, text: string, start: number, end: number): boolean {
    const slots = this.slots;
    let word = record + 2;
    let i = start;
    for (; i + 1 < end; i += 2) {
      if (slots[word++] !== (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16))) return false;
    }
    return i === end || slots[word] === text.charCodeAt(i);
  }

  private longEquals(record: number, text: string, start: number, end: number): boolean {
    const long = this.long;
    let at = this.slots[record + 2]!;
    for (let i = start; i < end; i++) if (long[at++] !== text.charCodeAt(i)) return false;
    return true;
  }

  private insert(record: number, text: string, start: number, end: number, value: number): number {
    const length = end - start;
    const slots = this.slots;
    slots[record] = length + 1;
    slots[record + 1] = value;
    if (length <= INLINE_UNITS) {
      let word = record + 2;
      let i = start;
      for (; i + 1 < end; i += 2) slots[word++] = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
      if (i < end) slots[word] = text.charCodeAt(i);
    } else {
      if (this.longUsed + length > this.long.length) {
        const long = new Uint16Array((this.longUsed + length) * 2);
        long.set(this.long);
        this.long = long;
      }
      slots[record + 2] = this.longUsed;
      const long = this.long;
      for (let i = start; i < end; i++) long[this.longUsed++] = text.charCodeAt(i);
    }
    if (++this.size > this.limit) this.grow();
    return value;
  }

  /** Doubles the table; each key's hash is computed again from its units (in the slot itself for most keys). */
  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = (this.mask << 1) | 1;
    const long = this.long;
    for (let record = 0; record < old.length; record += SLOT) {
      const length = old[record]! - 1;
      if (length < 0) continue;
      let hash: number;
      if (length <= INLINE_UNITS) {
        hash = length;
        const words = record + 2 + (length >> 1);
        for (let word = record + 2; word < words; word++) hash = step(hash, old[word]!);
        if ((length & 1) === 1) hash = step(hash, old[words]!);
      } else {
        hash = length;
        const at = old[record + 2]!;
        let i = at;
        for (; i + 1 < at + length; i += 2) hash = step(hash, long[i]! | (long[i + 1]! << 16));
        if (i < at + length) hash = step(hash, long[i]!);
      }
      let slot = finish(hash) & mask;
      while (slots[slot * SLOT] !== 0) slot = (slot + 1) & mask;
      for (let i = 0; i < SLOT; i++) slots[slot * SLOT + i] = old[record + i]!;
    }
    this.slots = slots;
    this.mask = mask;
    this.limit = loadLimit(mask + 1);
  }
}

/** Slot size in ints (32 bytes: two slots per 64-byte cache line). */
const SLOT = 8;
/** Units kept in the slot itself: two per int in the six ints after length and value. */
const INLINE_UNITS = 12;

const loadLimit = (slots: number) => Math.floor(slots * 0.7);

/**
 * Hash of `text[start, end)` taken two units at a time, as the slots pack them (FxHash's rotate-xor-multiply),
 * then murmur3's finalizer so that the low bits, which pick the slot, depend on every unit.
 */
function hashUnits(text: string, start: number, end: number): number {
  let hash = end - start;
  let i = start;
  for (; i + 1 < end; i += 2) hash = step(hash, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
  if (i < end) hash = step(hash, text.charCodeAt(i));
  return finish(hash);
}

const step = (hash: number, word: number) => Math.imul(((hash << 5) | (hash >>> 27)) ^ word, 0x9e3779b9);

function finish(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}
