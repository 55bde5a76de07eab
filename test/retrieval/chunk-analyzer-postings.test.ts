import { describe, expect, it } from 'vitest';
import { ChunkAnalyzer } from '../../src/retrieval/bm25/chunk-analysis.js';
import { chunkPostings, type ChunkPostings } from '../../src/retrieval/bm25/chunk-postings.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { goldenCorpusRows } from './bm25-golden.js';

const goldenTexts = goldenCorpusRows.map((row) => row.content);

/** Every field, with the arrays' element types (the worker transfers them as they are). */
function plain(postings: ChunkPostings): unknown {
  const types = [postings.postingDocs, postings.postingTfs, postings.docLengths, postings.terms, postings.termOffsets, postings.newTermEnds];
  return { ...postings, numbering: '', types: types.map((array) => array.constructor.name) };
}

/** `texts` as one UTF-8 blob and each one's start in it, as the parquet reader hands a row group's texts. */
function utf8Chunk(texts: readonly (string | Uint8Array)[]): { bytes: Uint8Array; offsets: Uint32Array } {
  const parts = texts.map((text) => (typeof text === 'string' ? Buffer.from(text, 'utf8') : text));
  const offsets = new Uint32Array(parts.length + 1);
  parts.forEach((part, i) => (offsets[i + 1] = offsets[i]! + part.length));
  return { bytes: Buffer.concat(parts), offsets };
}

/**
 * Chunk after chunk through three analyzers of one raw-token limit: the JavaScript layout of the bags (the
 * reference), the module's layout, and the module's layout of the texts' UTF-8 bytes; all must agree field for field.
 */
function expectSameLayouts(chunks: readonly (readonly string[])[], rawTokenLimit?: number): void {
  const reference = new ChunkAnalyzer(rawTokenLimit);
  const laidOut = new ChunkAnalyzer(rawTokenLimit);
  const fromUtf8 = new ChunkAnalyzer(rawTokenLimit);
  const kept: { postings: ChunkPostings; copy: unknown }[] = [];
  for (const texts of chunks) {
    const expected = plain(chunkPostings(reference.analyzeTransient(texts)));
    const postings = laidOut.postings(texts);
    expect(plain(postings)).toEqual(expected);
    const { bytes, offsets } = utf8Chunk(texts);
    expect(plain(fromUtf8.postingsUtf8(bytes, offsets))).toEqual(expected);
    kept.push({ postings, copy: plain(postings) });
  }
  // arrays of their own: later chunks do not overwrite them
  for (const { postings, copy } of kept) expect(plain(postings)).toEqual(copy);
}

describe('ChunkAnalyzer: chunks laid out by term inside the WebAssembly module, from strings or UTF-8 bytes', () => {
  it('equals chunkPostings of the bags on the golden corpus, chunk after chunk, its raw-token table restarting', () => {
    const chunks = [];
    for (let at = 0; at < goldenTexts.length; at += 13) chunks.push(goldenTexts.slice(at, at + 13));
    expectSameLayouts(chunks);
    expectSameLayouts(chunks, 300);
  });

  it('hands every array over on a SharedArrayBuffer, which the main thread receiving it does not count against its heap', () => {
    const texts = goldenTexts.slice(0, 50);
    const { bytes, offsets } = utf8Chunk(texts);
    for (const postings of [new ChunkAnalyzer().postings(texts), new ChunkAnalyzer().postingsUtf8(bytes, offsets)]) {
      const { newTermUnits, newTermEnds, docLengths, terms, termOffsets, postingDocs, postingTfs } = postings;
      const arrays = { newTermUnits, newTermEnds, docLengths, terms, termOffsets, postingDocs, postingTfs };
      expect(Object.entries(arrays).filter(([, array]) => !(array.buffer instanceof SharedArrayBuffer)).map(([name]) => name)).toEqual([]);
    }
  });

  it('writes posting documents and term frequencies 8, 16 or 32 bits wide, as the chunk needs', () => {
    const word = (i: number) => `w${i.toString(36)}x`;
    const chunks = [
      ['', 'a b c', ''], // empty documents; 'a' is a stop word
      [],
      Array.from({ length: 300 }, (_, i) => `${word(i % 50)} common`), // documents past 255
      ['rare', 'common '.repeat(300)], // a term frequency past 255
      Array.from({ length: 66_000 }, (_, i) => (i % 1000 === 0 ? `${word(i)} common` : 'common')), // documents past 65,535
      [`${'common '.repeat(70_000)}rare`], // a term frequency past 65,535
    ];
    expectSameLayouts(chunks);
    const analyzer = new ChunkAnalyzer();
    const widths = chunks.map((texts) => {
      const { postingDocs, postingTfs } = analyzer.postings(texts);
      return [postingDocs.BYTES_PER_ELEMENT, postingTfs.BYTES_PER_ELEMENT];
    });
    expect(widths).toEqual([[1, 1], [1, 1], [2, 1], [1, 2], [4, 1], [1, 4]]);
  });

  it('decodes UTF-8 as Node does: every script, astral and lone surrogates, and malformed bytes next to letters', () => {
    const random = seededRandom(41);
    const pieces = [
      'ab', 'ing', 'The', "'s", '\u2019S', '\u00e9t\u00e9', '\u0130', '\u03a3\u03c3', '\u00df', '\u{10400}', '\u{1d400}x', '\u{1f600}',
      '\u{20000}', '\u5317\u4eac', '\u3072\u3089', '\ud55c\uad6d', '\u0e20\u0e32\u0e29\u0e32', '\ufeff', '\ufffd', '\ud800', '\udc00', 'k'.repeat(30),
    ];
    const texts = Array.from({ length: 600 }, () => {
      let text = '';
      for (let n = Math.floor(random() * 200); n > 0; n--) text += pieces[Math.floor(random() * pieces.length)]! + (random() < 0.4 ? ' ' : '');
      return text;
    });
    // strings with lone surrogates: Buffer writes those as U+FFFD, which the strings then stand for
    const decoded = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
    const valid = texts.map((text) => decoded(Buffer.from(text, 'utf8')));
    // malformed: truncated, overlong (of 'a' too, which a lax decoder turns into a letter), surrogates (a pair of them
    // would make a letter), past U+10FFFF and stray bytes, each between letters that a decoder swallowing a byte
    // too many (or too few) would change
    const bad = [
      0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xe0, 0xe0a0, 0xed, 0xeda0, 0xf0, 0xf090, 0xf09080, 0xf4, 0xf490, 0xf5, 0xff, 0xe282, 0xc3a9,
      0xc1a1, 0xe081a1, 0xf08081a1, 0xeda080, 0xedb080, 0xf4908080,
    ];
    const malformed = Array.from({ length: 400 }, () => {
      const bytes: number[] = [];
      for (let n = Math.floor(random() * 60); n > 0; n--) {
        if (random() < 0.5) for (const byte of Buffer.from(pieces[Math.floor(random() * pieces.length)]!, 'utf8')) bytes.push(byte);
        else {
          const code = bad[Math.floor(random() * bad.length)]!;
          for (let shift = 24; shift >= 0; shift -= 8) if (code >>> shift || shift === 0) bytes.push((code >>> shift) & 0xff);
        }
        if (random() < 0.3) bytes.push(0x20);
      }
      return Uint8Array.from(bytes);
    });
    malformed.push(Uint8Array.of(0x61, 0xe2, 0x82), Uint8Array.of(0xf0, 0x9f, 0x98, 0x61, 0x62), Uint8Array.of(0xed, 0xa0, 0x80, 0x63, 0x64));
    // a sequence cut at a document's end is not completed by the next document's first bytes ('caf' + 'é' would be a word)
    malformed.push(Uint8Array.of(0x63, 0x61, 0x66, 0xc3), Uint8Array.of(0xa9, 0x73));
    // the decoder the worker's strings come from today agrees with Buffer on all of them
    for (const bytes of malformed) expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)).toBe(decoded(bytes));
    const strings = [...valid, ...malformed.map(decoded)];
    const reference = new ChunkAnalyzer();
    const fromUtf8 = new ChunkAnalyzer();
    const sources = [...texts, ...malformed];
    for (let at = 0; at < sources.length; at += 97) {
      const expected = plain(chunkPostings(reference.analyzeTransient(strings.slice(at, at + 97))));
      const { bytes, offsets } = utf8Chunk(sources.slice(at, at + 97));
      expect(plain(fromUtf8.postingsUtf8(bytes, offsets))).toEqual(expected);
    }
  });

  it('decodes eight ASCII bytes at a time only where all eight are: a multi-byte or malformed byte at every offset, documents ending mid-block', () => {
    const ascii = 'Cells divide; 42 DNA-strands bind.xyz';
    const pieces = [Buffer.from('\u00e9', 'utf8'), Buffer.from('\u{1f600}', 'utf8'), Buffer.from('\u5317', 'utf8'), Uint8Array.of(0xff), Uint8Array.of(0xc3), Uint8Array.of(0xe2, 0x82), Uint8Array.of(0x80)];
    const sources: Uint8Array[] = [];
    for (const piece of pieces) {
      for (let before = 0; before <= 17; before++) {
        for (const after of [0, 3, 9]) sources.push(Buffer.concat([Buffer.from(ascii.slice(0, before)), piece, Buffer.from(ascii.slice(before, before + after))]));
      }
    }
    // short ASCII documents one after another: a read past a document's end would join it to the next
    for (let length = 1; length <= 17; length++) sources.push(Buffer.from('abcdefghijklmnopq'.slice(0, length)), Buffer.from('rstuvwxyz'));
    const strings = sources.map((bytes) => Buffer.from(bytes).toString('utf8'));
    const { bytes, offsets } = utf8Chunk(sources);
    expect(plain(new ChunkAnalyzer().postingsUtf8(bytes, offsets))).toEqual(plain(chunkPostings(new ChunkAnalyzer().analyzeTransient(strings))));
  });

  it('passes a chunk of UTF-8 a block of whole documents at a time: across 64 KiB blocks, documents filling one exactly, one larger than a block', () => {
    const random = seededRandom(43);
    const sized = (bytes: number) => {
      let text = '';
      while (text.length < bytes) text += `${goldenTexts[Math.floor(random() * goldenTexts.length)]!} `;
      // one byte per character: the golden texts' other characters as spaces
      return text.replace(/[^\x20-\x7e]/g, ' ').slice(0, bytes);
    };
    const small = (count: number) => Array.from({ length: count }, () => sized(1 + Math.floor(random() * 9000)));
    // the first block's documents end on its 64 KiB exactly, the next blocks' not; then a chunk whose room grows to
    // its longest document (200,000 bytes), the first two documents filling it exactly
    const first = small(8);
    first.push(sized((1 << 16) - first.reduce((sum, text) => sum + Buffer.byteLength(text), 0)), ...small(40));
    const chunks = [first, [sized(120_000), sized(80_000), sized(200_000), ...small(40)]];
    const expected = new ChunkAnalyzer();
    const analyzer = new ChunkAnalyzer();
    for (const texts of chunks) {
      const { bytes, offsets } = utf8Chunk(texts);
      expect(plain(analyzer.postingsUtf8(bytes, offsets))).toEqual(plain(expected.postings(texts)));
      // the same blob from its 5th document on: offsets not from 0
      expect(plain(analyzer.postingsUtf8(bytes, offsets.subarray(5)))).toEqual(plain(expected.postings(texts.slice(5))));
    }
    expect(Buffer.byteLength(first.slice(0, 9).join(''))).toBe(1 << 16);
  });

  it('takes a first chunk of UTF-8 with no bytes at all (no documents, or empty ones)', () => {
    for (const first of [[], ['', '']]) {
      const analyzer = new ChunkAnalyzer();
      const reference = new ChunkAnalyzer();
      for (const texts of [first, ['cells divide', ''], first]) {
        const { bytes, offsets } = utf8Chunk(texts);
        expect(plain(analyzer.postingsUtf8(bytes, offsets))).toEqual(plain(chunkPostings(reference.analyzeTransient(texts))));
      }
    }
  });

  it('reads only the bytes the offsets name, and a chunk that is smaller than the last one', () => {
    const texts = goldenTexts.slice(0, 40);
    const { bytes, offsets } = utf8Chunk(texts);
    const analyzer = new ChunkAnalyzer();
    const expected = new ChunkAnalyzer();
    const big = plain(expected.postings(texts));
    expect(plain(analyzer.postingsUtf8(bytes, offsets))).toEqual(big);
    // the last 10 documents, offsets into the same blob not starting at 0
    const tail = offsets.subarray(30);
    expect(plain(analyzer.postingsUtf8(bytes, tail))).toEqual(plain(expected.postings(texts.slice(30))));
  });
});
