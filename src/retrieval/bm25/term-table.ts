/**
 * The BM25 vocabulary's term table (vocabulary.ts), in a module of its own: a cached index loads it as it is, and
 * the builder's interner (analyzer/utf16-interner.ts) keeps its ids in the same table while it interns them, so
 * that a built index is handed the table instead of building it again. The id of the term in each slot, -1 for an
 * empty slot; FNV-1a over the term's UTF-16 units, linear probing, a power-of-two capacity at least twice the
 * number of ids, ids inserted in order.
 */

/** The hash a term's units `text[start .. end)` are filed under: FNV-1a (as `Vocabulary.id` hashes a string's char codes). */
export function hashUnits(text: Uint8Array | Uint16Array, start: number, end: number): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text[i]!, 0x01000193);
  return hash;
}

/** Slots of the table of `count` ids: the smallest power of two (16 at least) that is at least twice `count`. */
export function tableCapacity(count: number): number {
  let capacity = 16;
  while (capacity < count * 2) capacity *= 2;
  return capacity;
}

/**
 * Fills `slots` (a power-of-two length) with the table of ids 0 .. count - 1, id `id` being the units
 * `units[starts[id] .. starts[id + 1])`, inserted in id order, each at the first empty slot from its hash on.
 */
export function placeIds(slots: Int32Array, units: Uint8Array | Uint16Array, starts: Uint32Array, count: number): Int32Array {
  slots.fill(-1);
  const mask = slots.length - 1;
  // the probe's step runs for every id, from the slot before the first probed: the loop is compiled (on the stack,
  // while it runs) with feedback for it, where a step first taken at the first collision threw the compiled code away
  // (a deoptimisation and a second compile: ~40 -> ~25 ms of CPU for a biology-sized vocabulary on the VM)
  for (let id = 0; id < count; id++) {
    let slot = (hashUnits(units, starts[id]!, starts[id + 1]!) - 1) & mask;
    do slot = (slot + 1) & mask;
    while (slots[slot] !== -1);
    slots[slot] = id;
  }
  return slots;
}
