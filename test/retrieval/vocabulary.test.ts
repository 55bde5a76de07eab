import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import { Vocabulary } from '../../src/retrieval/bm25/vocabulary.js';

/** The table as its documentation defines it: FNV-1a over each term's units, linear probing, ids inserted in order. */
function referenceSlots(terms: string[]): Int32Array {
  let capacity = 16;
  while (capacity < terms.length * 2) capacity *= 2;
  const slots = new Int32Array(capacity).fill(-1);
  terms.forEach((term, id) => {
    let hash = 0x811c9dc5;
    for (let i = 0; i < term.length; i++) hash = Math.imul(hash ^ term.charCodeAt(i), 0x01000193);
    let slot = hash & (capacity - 1);
    while (slots[slot] !== -1) slot = (slot + 1) & (capacity - 1);
    slots[slot] = id;
  });
  return slots;
}

function vocabularyOf(terms: string[], wide: boolean, room?: Int32Array): Vocabulary {
  const offsets = new Uint32Array(terms.length + 1);
  terms.forEach((term, id) => (offsets[id + 1] = offsets[id]! + term.length));
  const units = wide ? new Uint16Array(offsets[terms.length]!) : new Uint8Array(offsets[terms.length]!);
  terms.forEach((term, id) => {
    for (let i = 0; i < term.length; i++) units[offsets[id]! + i] = term.charCodeAt(i);
  });
  return new Vocabulary(units, offsets, null, room);
}

describe('Vocabulary lookup table', () => {
  it('is the table of its definition, slot for slot (the cache stores it), across batches of ids and crowded probes', () => {
    const random = seededRandom(31);
    const word = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]!).join('');
    for (const [count, wide] of [[0, false], [1, false], [255, false], [256, false], [257, true], [3000, false], [70_000, true]] as const) {
      const terms = new Set<string>();
      // short words from a small alphabet (many neighbours on the table), an empty term, astral and unpaired-surrogate units
      if (count > 0) terms.add('');
      while (terms.size < count) terms.add(wide && random() < 0.2 ? word('\u00e9\u4e2d\ud83e\udddf\ud800', 1 + Math.floor(random() * 4)) : word('abcde', 1 + Math.floor(random() * 9)));
      const list = [...terms];
      const vocabulary = vocabularyOf(list, wide);
      expect(vocabulary.slots).toEqual(referenceSlots(list));
      for (const [id, term] of list.entries()) if (id % 97 === 0) expect(vocabulary.id(term)).toBe(id);
      expect(vocabulary.id('zzzz-not-a-term')).toBeUndefined();
      // built in memory given for it, whatever it held, when the table fits; in a new array when it does not
      const reference = referenceSlots(list);
      for (const extra of [0, 1, 5_000]) {
        const room = new Int32Array(reference.length + extra).fill(7);
        const inRoom = vocabularyOf(list, wide, room).slots;
        expect(inRoom).toEqual(reference);
        expect(inRoom.buffer).toBe(room.buffer);
      }
      const small = new Int32Array(reference.length - 1).fill(7);
      const own = vocabularyOf(list, wide, small).slots;
      expect(own).toEqual(reference);
      expect(own.buffer).not.toBe(small.buffer);
    }
  });
});
