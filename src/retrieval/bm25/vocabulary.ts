import { placeIds, tableCapacity } from './term-table.js';

/**
 * The BM25 dictionary's terms as one buffer of UTF-16 units in id order, with offsets, and an open-addressing hash
 * table over those units for term -> id. A cached index loads as three typed arrays (the table is cached too):
 * no string per term and no Map of a quarter of a million strings (which cost more than scoring all of biology's
 * queries); only query tokens are hashed. Units, not UTF-8, so a lookup compares a JS string's char codes directly
 * and unpaired surrogates survive.
 */
export class Vocabulary {
  private table: Int32Array | null;

  constructor(
    /** The terms' UTF-16 units, concatenated in id order (8-bit in a cached index when every unit fits). */
    readonly units: Uint8Array | Uint16Array,
    /** Term `id` is `units[offsets[id] .. offsets[id + 1])`. */
    readonly offsets: Uint32Array,
    /** A table made by `slots` for these terms (from the cache), or null to build it at the first lookup. */
    slots: Int32Array | null = null,
    /**
     * Memory the table may be built in, when it holds the table (any contents: overwritten), rather than in a new
     * array: memory already written costs nothing more, a new table a page fault per 4 KiB (~12 us here).
     */
    private room?: Int32Array,
  ) {
    this.table = slots;
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  term(id: number): string {
    return String.fromCharCode(...this.units.subarray(this.offsets[id], this.offsets[id + 1]));
  }

  terms(): string[] {
    return Array.from({ length: this.size }, (_, id) => this.term(id));
  }

  /** The term's id, or undefined when it is not in the dictionary. */
  id(term: string): number | undefined {
    const slots = this.slots;
    const mask = slots.length - 1;
    let hash = 0x811c9dc5;
    for (let i = 0; i < term.length; i++) hash = Math.imul(hash ^ term.charCodeAt(i), 0x01000193);
    const { units, offsets } = this;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot]!;
      if (id < 0) return undefined;
      const start = offsets[id]!;
      if (offsets[id + 1]! - start !== term.length) continue;
      let i = 0;
      while (i < term.length && units[start + i] === term.charCodeAt(i)) i++;
      if (i === term.length) return id;
    }
  }

  /**
   * The hash table: the id of the term in each slot, -1 for an empty slot; FNV-1a over the term's units (`hashUnits`),
   * linear probing, a power-of-two capacity at least twice the vocabulary (`tableCapacity`), ids inserted in order
   * (`placeIds`). Cached indexes store it as it is; a built index's comes from its builder's interner.
   */
  get slots(): Int32Array {
    return (this.table ??= this.build());
  }

  private build(): Int32Array {
    const capacity = tableCapacity(this.size);
    const { room } = this;
    this.room = undefined;
    return placeIds(room !== undefined && room.length >= capacity ? room.subarray(0, capacity) : new Int32Array(capacity), this.units, this.offsets, this.size);
  }
}
