import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeStages } from '../../src/retrieval/analyzer/analyze.js';
import { TokenBags } from '../../src/retrieval/analyzer/token-bags.js';
import { TOKEN_BAGS_WASM } from '../../src/retrieval/analyzer/generated/token-bags-wasm.js';
import { SCANNER_TABLES, writeCharClasses } from '../../src/retrieval/analyzer/standard-tokenizer.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { fixtures, readJsonLines, readText } from './golden-files.js';
import { textOf } from '../helpers/utf16-units.js';

const analyzerFixture = (file: string) => path.join(fixtures, 'analyzer', file);

/** Bags `texts` chunk by chunk; each document as `term:tf` in order of first appearance, and the terms in number order. */
function numberedBags(bags: TokenBags, texts: readonly string[], chunkSize: number, rawTokenLimit = Infinity): { bags: string[][]; terms: string[] } {
  const terms: string[] = [];
  const out: string[][] = [];
  for (let at = 0; at < texts.length; at += chunkSize) {
    const chunk = texts.slice(at, at + chunkSize);
    const before = terms.length;
    const { docOffsets, terms: termNumbers, tfs, largestTf } = bags.bag(chunk);
    const { units, ends } = bags.joinedTerms(before);
    const text = textOf(units);
    ends.forEach((end, i) => terms.push(text.slice(i === 0 ? 0 : ends[i - 1], end)));
    expect(terms).toHaveLength(bags.terms);
    expect(bags.rawTokens).toBeLessThanOrEqual(rawTokenLimit);
    let largest = 0;
    for (let doc = 0; doc < chunk.length; doc++) {
      const bag: string[] = [];
      for (let i = docOffsets[doc]!; i < docOffsets[doc + 1]!; i++) {
        bag.push(`${terms[termNumbers[i]!]}:${tfs[i]}`);
        largest = Math.max(largest, tfs[i]!);
      }
      out.push(bag);
    }
    expect(largestTf).toBe(largest);
  }
  // term numbers are the filtered forms in order of first appearance, each once
  expect(new Set(terms).size).toBe(terms.length);
  return { bags: out, terms };
}

const bagsOf = (bags: TokenBags, texts: readonly string[], chunkSize: number) => numberedBags(bags, texts, chunkSize).bags;

/** `tokens` as a bag in order of first appearance, like bagsOf. */
function bagOfTokens(tokens: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  return [...counts].map(([term, tf]) => `${term}:${tf}`);
}

/** The JavaScript chain's tokens (each stage a port of Lucene's, golden-tested stage by stage). */
const javaScriptChain = (text: string) => analyzeStages(text).porter;

/** Tables sized for `rawTokens` and `terms` (0: they grow from their smallest size), no raw-token limit in reach. */
const fresh = (rawTokens = 0, terms = 0) => new TokenBags(1 << 30, rawTokens, terms);

/**
 * wasm/token-bags.c's hash_units, for finding tokens whose lookups compare their units: a 64-bit multiply-xorshift
 * over the UTF-16 units read 4 at a time (little-endian), then the rest, mixed down to 32 bits.
 */
function hashUnits(token: string): number {
  const [k, m, mask] = [0x9e3779b97f4a7c15n, 0xd6e8feb86659fd93n, (1n << 64n) - 1n];
  const word = (from: number, to: number) => {
    let value = 0n;
    for (let i = to - 1; i >= from; i--) value = (value << 16n) | BigInt(token.charCodeAt(i));
    return value;
  };
  let hash = (BigInt(token.length) * k) & mask;
  let i = 0;
  for (; i + 4 <= token.length; i += 4) {
    hash = ((hash ^ word(i, i + 4)) * k) & mask;
    hash ^= hash >> 29n;
  }
  if (i < token.length) hash = ((hash ^ word(i, token.length)) * k) & mask;
  hash ^= hash >> 32n;
  hash = (hash * m) & mask;
  hash ^= hash >> 32n;
  return Number(hash & 0xffffffffn);
}

interface GoldenText {
  id: string;
  text: string;
  tokens: string[];
}

describe('TokenBags: the analyzer chain in WebAssembly, bagged', () => {
  it('runs the module built from wasm/token-bags.c (tools/build-token-bags-wasm.sh writes both files)', () => {
    const built = readFileSync(new URL('../../src/retrieval/analyzer/wasm/token-bags.wasm', import.meta.url));
    expect(Buffer.from(TOKEN_BAGS_WASM, 'base64').equals(built)).toBe(true);
  });

  it("equals Lucene's tokens on every golden text, the Unicode-sensitive ones and the seeded random oracle cases", () => {
    const golden = [
      ...readJsonLines<GoldenText>(analyzerFixture('texts.jsonl.gz')),
      ...readJsonLines<GoldenText>(analyzerFixture('texts-unicode-sensitive.jsonl.gz')),
      ...readJsonLines<GoldenText>(analyzerFixture('stages.jsonl.gz')).map((stages) => ({ ...stages, tokens: (stages as unknown as { porter: string[] }).porter })),
      ...(JSON.parse(readText(analyzerFixture('oracle-cases.json'))) as Array<{ text: string; tokens: string[] }>).map((item, i) => ({ id: `case ${i}`, ...item })),
    ];
    expect(golden.length).toBeGreaterThan(4700);
    const texts = golden.map((item) => item.text);
    // one chunk per text, and chunks of many texts; tables sized for nothing (they grow) and for the whole, and
    // without the reserved rooms (from their smallest sizes)
    for (const [bags, chunkSize] of [[fresh(), 1], [fresh(1e6, 7e5), 64], [new TokenBags(1 << 30, 0, 0, false), 16]] as const) {
      const actual = bagsOf(bags, texts, chunkSize);
      const failures = golden.map((item, i) => (JSON.stringify(actual[i]) === JSON.stringify(bagOfTokens(item.tokens)) ? null : item.id)).filter(Boolean);
      expect(failures).toEqual([]);
    }
  });

  it('stems all 20,000 golden Porter words as Lucene does (each word a document)', () => {
    const words = readJsonLines<{ word: string; stem: string }>(analyzerFixture('porter-words.jsonl.gz'));
    expect(words).toHaveLength(20000);
    const actual = bagsOf(fresh(), words.map(({ word }) => word), 500);
    // the word goes through the whole chain, so the expectation is the JavaScript chain's
    const wrong = words.filter(({ word }, i) => JSON.stringify(actual[i]) !== JSON.stringify(bagOfTokens(javaScriptChain(word))));
    expect(wrong).toEqual([]);
    // most words come out of the chain as one token, Lucene's stem of the word
    expect(words.filter(({ stem }, i) => actual[i]!.length === 1 && actual[i]![0] === `${stem}:1`).length).toBeGreaterThan(15000);
  });

  it('equals the JavaScript chain on random text: every script, possessives, capitals, surrogates, long runs, many chunks', () => {
    const random = seededRandom(29);
    const pieces = [
      'ab', 'qu', 'ing', 'ation', 'iveness', 'ies', 'sses', 'eed', 'Y', 'y', 'The', 'THE', 'such', 'their', 'Z', '7', '3.14', ',000',
      "'s", '\u2019S', '\uff07s', "'", '_', '__', '.', '@', 'x.y', '\u00e9', '\u0130', '\u03a3', '\u00df', '\u{10400}', '\u{1d400}',
      '\u{1f600}', '\u{1f468}\u200d\u{1f469}', '\u{20000}', '\u5317\u4eac', '\u3072\u3089', '\u30c6\u30ad', '\ud55c\uad6d', '\u0e20\u0e32\u0e29\u0e32',
      '\ud800', '\udc00', 'x'.repeat(13), 'k'.repeat(30),
    ];
    const word = () => {
      let text = '';
      for (let n = 1 + Math.floor(random() * 6); n > 0; n--) text += pieces[Math.floor(random() * pieces.length)]!;
      return random() < 0.01 ? text.repeat(60) : text;
    };
    const separators = [' ', ', ', '\n', ' - ', '; '];
    const texts = Array.from({ length: 1500 }, () =>
      Array.from({ length: Math.floor(random() * 120) }, word).join(separators[Math.floor(random() * separators.length)]),
    );
    texts.push('', ' ', 'ab\ud800', 'a\ud800 bcd', '\udc00\ud800', 'a'.repeat(600));
    const expected = texts.map((text) => bagOfTokens(javaScriptChain(text)));
    expect(bagsOf(fresh(), texts, 37)).toEqual(expected);
    expect(bagsOf(fresh(5e5, 3e5), texts, 400)).toEqual(expected);
  });

  it('tells apart tokens that differ only in their last unit, a high bit, their length, or a unit stored in one byte or two', () => {
    // a raw token's record keeps its units one byte each when all are below 0x100, two otherwise: 'xa' (0x61) and
    // 'x\u0161' (0x0161) share the low byte; every length around the 4-unit words compared at once
    const tokens = [
      'abcdefghijkl', 'abcdefghijkm', 'abcdefghijklm', 'abcdefghijkla', 'abcdefghijk', 'abcdefghijklmnop', 'abcdefghijklmnoq',
      '\u8061', '\u00e9a', '\u00e8a', 'a\u00e9', 'x'.repeat(255), 'x'.repeat(254) + 'y', 'ab', 'ab2', 'ab3', '12', '1'.repeat(13), '1'.repeat(12),
      'xa', 'x\u0161', '\u0161x', 'ax', 'x\u00ff', 'x\u0100', 'x\u01ff',
    ];
    for (let length = 1; length <= 20; length++) {
      for (const at of new Set([0, length >> 1, length - 1])) {
        const narrow = 'q'.repeat(length);
        tokens.push(narrow, narrow.slice(0, at) + '\u0171' + narrow.slice(at + 1), narrow.slice(0, at) + '\u00f1' + narrow.slice(at + 1));
      }
    }
    const distinct = [...new Set(tokens)];
    const texts = [distinct.join(' '), [...distinct].reverse().join(' '), distinct.map((token) => token.toUpperCase()).join(' ')];
    const expected = texts.map((text) => bagOfTokens(javaScriptChain(text)));
    expect(expected[0]!.length).toBe(distinct.length);
    // the second and third texts find each token's record (or its upper case's) made by an earlier one
    for (const bags of [fresh(), fresh(), new TokenBags(3, 0, 0)]) expect(bagsOf(bags, texts, 1)).toEqual(expected);
  });

  it('compares the units of tokens whose hashes collide: differing only in the last unit, its high byte (one byte or two), or their length', () => {
    // pairs found by a search with hashUnits below: the same 8-bit tag and home slot in a fresh 4096-slot index, so
    // the second's lookup reaches the first's record and must tell them apart by their units (4 at a time, then the
    // rest one by one)
    const lastUnit = [
      ['zccnr8', 'zccnr9'], ['zdxxgt5', 'zdxxgt8'], ['zpvzvwh2', 'zpvzvwh6'], ['zlgktmbq3', 'zlgktmbq7'],
      ['zpjscjqfv0', 'zpjscjqfv3'], ['zlvhmwthpv1', 'zlvhmwthpv2'], ['zqbqkwcgmln1', 'zqbqkwcgmln7'], ['zzkbvzknmssv1', 'zzkbvzknmssv3'],
    ];
    const highByte = [
      ['ztdpwtfxp', 'ztdpwtfx\u0170'], ['zfcncmgr', 'zfcncmg\u0172'], ['zhdtxbr', 'zhdtxb\u0172'],
      ['zfpfrxmskqcm', 'zfpfrxmskqc\u016d'], ['zlmsxmxk', 'zlmsxmx\u016b'], ['zdxcvlmm', 'zdxcvlm\u016d'],
    ];
    const longer = [['zqjx', 'zqjx97'], ['ztvzxwck', 'ztvzxwck93'], ['zcvncdxzwwbj', 'zcvncdxzwwbj66']];
    for (const [a, b] of [...lastUnit, ...highByte, ...longer]) {
      const [hashA, hashB] = [hashUnits(a!), hashUnits(b!)];
      expect([hashA >>> 24, hashA & 4095]).toEqual([hashB >>> 24, hashB & 4095]);
      for (const text of [`${a} ${b} ${a}`, `${b} ${a} ${b}`]) {
        const bags = fresh();
        expect(Array.from(bags.tokens(text), (term) => bags.term(term))).toEqual(javaScriptChain(text));
        expect(bags.rawTokens).toBe(2);
      }
    }
  });

  it('compares the units of terms whose hashes are equal, whatever part of the hash its term index keeps beside a number', () => {
    // pairs whose 32-bit hashes are equal (a search over random tokens with a port of hash_units), of one length
    // or two: the term index keeps the hash bits above the term numbers, so the second term's probe always reaches
    // the first's slot; capitalized, the raw tokens differ in their hashes and only the terms collide
    const pairs = [
      ['zwqhjq5', 'zxqfgs5'], ['zkmgjkwj5', 'zqqfrjxp4'], ['zkfwrkpgxpq3', 'zqtxgfxqhxk2'], ['zqml0', 'zgcfqgrsbx8'], ['zhsqhhv7', 'zhvl9'],
    ];
    const capitalized = (token: string) => token[0]!.toUpperCase() + token.slice(1);
    for (const [a, b] of pairs) {
      expect(hashUnits(a!)).toBe(hashUnits(b!));
      for (const text of [`${a} ${b} ${a}`, `${capitalized(a!)} ${capitalized(b!)} ${b} ${a}`]) {
        for (const bags of [fresh(), new TokenBags(1 << 19, 0, 0, false)]) {
          const tokens = Array.from(bags.tokens(text));
          expect(tokens.map((term) => bags.term(term))).toEqual(javaScriptChain(text));
          expect(bags.terms).toBe(2);
          expect(new Set(tokens).size).toBe(2);
        }
      }
    }
  });

  it('finds narrow and wide records of every length after its index has grown from its smallest size (doubling, or at once to a corpus\'s size) and after a restart', () => {
    // thousands of distinct raw tokens, a third with a unit past 0xff, a third with one past 0x7f: the index grows
    // (placing each record again from its units; with the corpus rooms reserved, at once to 2^19 slots) and, at a
    // raw-token limit, the table starts afresh
    const random = seededRandom(37);
    const letters = ['abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwxyz\u00e9\u00f1', 'abcdefghijklmnopqrstuvwxyz\u0161\u03b1\u0436'];
    const token = () => {
      const alphabet = letters[Math.floor(random() * 3)]!;
      return Array.from({ length: 1 + Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    };
    const vocabulary = Array.from({ length: 12_000 }, token);
    const texts = Array.from({ length: 400 }, () => Array.from({ length: 90 }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' '));
    const expected = texts.map((text) => bagOfTokens(javaScriptChain(text)));
    const distinct = new Set(texts.flatMap((text) => analyzeStages(text).tokenizer)).size;
    expect(distinct).toBeGreaterThan(8000);
    for (const reserve of [true, false]) {
      const bags = new TokenBags(1 << 30, 0, 0, reserve);
      const unlimited = numberedBags(bags, texts, 50);
      expect(unlimited.bags).toEqual(expected);
      // one record per distinct raw token: a record the grown index no longer finds would be made again
      expect(bags.rawTokens).toBe(distinct);
      expect(numberedBags(new TokenBags(4000, 0, 0, reserve), texts, 50, 4000)).toEqual(unlimited);
    }
  });

  it('starts its raw-token table afresh when the records outgrow what its index can place (64 MB), numbering on as before', () => {
    // 255-unit Greek tokens (lower case, no suffix Porter strips: each its own term) take 516 bytes of record each:
    // ~130k of them fill the 64 MB the index's 24 bits of place reach
    const alphabet = '\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03bf\u03c0';
    const tokenOf = (i: number) => {
      let digits = '';
      for (let n = i, d = 0; d < 5; d++, n >>= 4) digits += alphabet[n & 15];
      return digits.repeat(51);
    };
    const perDoc = 1000;
    const docs = 140;
    const texts = Array.from({ length: docs }, (_, doc) => Array.from({ length: perDoc }, (_, i) => tokenOf(doc * perDoc + i)).join(' '));
    expect(tokenOf(0)).toHaveLength(255);
    const bags = new TokenBags(1 << 30, 0, 0);
    let restarted = false;
    for (let doc = 0; doc < docs; doc++) {
      const before = bags.rawTokens;
      const { terms, tfs } = bags.bag([texts[doc]!]);
      if (bags.rawTokens < before) restarted = true;
      expect(Array.from(terms)).toEqual(Array.from({ length: perDoc }, (_, i) => doc * perDoc + i));
      expect(tfs.every((tf) => tf === 1)).toBe(true);
    }
    expect(restarted).toBe(true);
    expect(bags.rawTokens).toBeLessThan(docs * perDoc);
    // tokens forgotten by the restart are numbered as before
    expect(Array.from(bags.bag([texts[0]!]).terms)).toEqual(Array.from({ length: perDoc }, (_, i) => i));
    const { units } = bags.joinedTerms(docs * perDoc - 1);
    expect(textOf(units)).toBe(tokenOf(docs * perDoc - 1));
  });

  it("passes a state's self-loops as the scanner does: letter runs across the 255-unit buffer, broken by surrogates, digits and marks", () => {
    // the module passes units that lead a state back to itself in a tighter loop, up to the buffer's end; every
    // unit that ends such a run there, at each position around the buffer's boundary, must leave the same tokens
    const breakers = ['\u{10400}', '\ud800', '\udc00', '\u{1f600}', '7', '.', "'", '_', '\u0301', '\u00e9', 'X', ' ', '\u5317', '\u30c6'];
    const texts: string[] = [];
    for (const breaker of breakers) {
      for (const at of [0, 1, 120, 253, 254, 255, 256, 257, 300, 509, 510, 511]) {
        texts.push('a'.repeat(at) + breaker + 'b'.repeat(300 - Math.min(at, 299)));
        texts.push(`x ${'k'.repeat(at)}${breaker}${breaker}q9 ${'ab1'.repeat(90)}`);
      }
    }
    const expected = texts.map(javaScriptChain);
    expect(expected.some((tokens) => tokens.length > 3)).toBe(true);
    const bags = fresh();
    expect(texts.map((text) => Array.from(bags.tokens(text), (term) => bags.term(term)))).toEqual(expected);
  });

  it('passes a unit that is a whole match by itself (a space, punctuation) as the scanner does: units of every char class, in pairs, at the buffer\'s end', () => {
    // the module takes such a unit's match at once, without the automaton, when it is inside the buffer: every
    // class's first units (and lone surrogates), after and before a unit of every class, and around the 255 units
    const table = new Uint8Array(0x110000);
    writeCharClasses(table);
    const representatives: string[] = [];
    for (let c = 0; c < SCANNER_TABLES.classes; c++) {
      let found = 0;
      for (let unit = 0; unit < 0x10000 && found < 2; unit++) {
        if (table[unit] === c && (unit < 0xd800 || unit > 0xdfff)) {
          representatives.push(String.fromCharCode(unit));
          found++;
        }
      }
    }
    representatives.push('\ud800', '\udc00', '\u{1f600}', '\u{20000}');
    const texts: string[] = [];
    for (const c of representatives) {
      texts.push(c, `x${c}y`, `${c}${c}${c}`, `ab${c}12 ${c}`);
      for (const d of representatives) texts.push(`${c}${d}`, `a${c}${d}1`);
      for (const at of [252, 253, 254, 255, 256, 509, 510]) texts.push(`${'k'.repeat(at)}${c}${c}word${c}`, `${'k'.repeat(at)}${c}${'m'.repeat(300)}`);
    }
    const bags = fresh();
    expect(texts.map((text) => Array.from(bags.tokens(text), (term) => bags.term(term)))).toEqual(texts.map(javaScriptChain));
  });

  it('makes the strings of the terms numbered so far, whichever is asked first', () => {
    const texts = readJsonLines<GoldenText>(analyzerFixture('texts.jsonl.gz')).slice(0, 60).map((item) => item.text);
    const bags = fresh();
    const { terms } = numberedBags(bags, texts, 7);
    // bagging numbers terms without making strings; the first term() makes all of them, in number order
    const order = [terms.length - 1, 0, Math.floor(terms.length / 2), ...terms.keys()];
    expect(order.map((term) => bags.term(term))).toEqual(order.map((term) => terms[term]));
    const more = bags.tokens('Unseenwordsforthisnumbering and seen ones: the cells');
    expect(Array.from(more, (term) => bags.term(term))).toEqual(javaScriptChain('Unseenwordsforthisnumbering and seen ones: the cells'));
    expect(bags.terms).toBe(terms.length + 1);
  });

  it('keeps terms one byte a unit until one has a unit past 0xff, then two: the terms made before read and compare as before', () => {
    const texts = [
      'Cells divide quickly; x\u00e9 and xa, zebras',
      'x\u0161 \u03b1\u03b2\u03b3 cells newer words', // the first terms with units past 0xff
      'xa x\u0161 x\u00e9 zebras newest \u00ff\u00fe \ud800 later',
    ];
    for (const bags of [fresh(), new TokenBags(1 << 19, 0, 0, false)]) {
      const numbered: string[] = [];
      for (const text of texts) {
        const before = bags.terms;
        const tokens = Array.from(bags.tokens(text));
        const { units, ends } = bags.joinedTerms(before);
        const joined = textOf(units);
        ends.forEach((end, i) => numbered.push(joined.slice(i === 0 ? 0 : ends[i - 1], end)));
        expect(tokens.map((term) => numbered[term])).toEqual(javaScriptChain(text));
        expect(tokens.map((term) => bags.term(term))).toEqual(javaScriptChain(text));
      }
      expect(new Set(numbered).size).toBe(numbered.length);
      expect(numbered).toContain('x\u0161');
      // every term's units, the narrow ones widened, after the switch
      expect(textOf(bags.joinedTerms(0).units)).toBe(numbered.join(''));
      expect(Array.from({ length: bags.terms }, (_, term) => bags.term(term))).toEqual(numbered);
    }
  });

  it('lists the term numbers of each token in order, as analyze() returns the strings', () => {
    const texts = readJsonLines<GoldenText>(analyzerFixture('texts.jsonl.gz')).slice(0, 400);
    const bags = new TokenBags(50, 0, 0);
    for (const { text, tokens } of texts) {
      expect(Array.from(bags.tokens(text), (term) => bags.term(term))).toEqual(tokens);
      expect(analyze(text)).toEqual(tokens);
    }
    expect(bags.terms).toBeGreaterThan(1000);
  });

  it('records a raw token new twice in a block of lookups once, numbering terms in order of first appearance', () => {
    const random = seededRandom(43);
    const words = ['Cells', 'cells', 'CELLS', "cell's", 'the', 'of', 'running', 'runs', 'ran', 'Zebra', 'zebras', '42', 'x86', 'naïve', 'Über'];
    // new words in every block of 128 lookups, most of them more than once there
    const text = Array.from({ length: 3000 }, (_, i) => (random() < 0.5 ? words[Math.floor(random() * words.length)] : `w${Math.floor(i / 8) + Math.floor(random() * 4)}`)).join(' ');
    const stages = analyzeStages(text);
    for (const limit of [1 << 19, 40]) {
      for (const bags of [new TokenBags(limit, 0, 0), new TokenBags(limit, 0, 0, false)]) {
        expect(bags.tokenStrings(text)).toEqual(stages.porter);
        // one record per distinct raw token (stop words too); a table starting afresh every 40 holds the last few
        if (limit === 40) expect(bags.rawTokens).toBeLessThanOrEqual(40);
        else expect(bags.rawTokens).toBe(new Set(stages.tokenizer).size);
        expect(Array.from({ length: bags.terms }, (_, term) => bags.term(term))).toEqual([...new Set(stages.porter)]);
      }
    }
  });

  it("makes the term strings past their first room (at once to a corpus's 2^17 when reserving, by doubling otherwise) and on past that", () => {
    // 'w' and a number passes every filter unchanged: each a new term
    const words = (from: number, count: number) => Array.from({ length: count }, (_, i) => `w${from + i}`);
    for (const reserve of [true, false]) {
      const bags = new TokenBags(1 << 19, 0, 0, reserve);
      for (let from = 0; from < 140_000; from += 20_000) {
        const text = [...words(from, 20_000), 'w0', `w${from + 19_999}`].join(' ');
        // joined: one string compare, not 20,000 element compares
        expect(bags.tokenStrings(text).join(' ')).toBe(text);
      }
      expect(bags.terms).toBe(140_000);
      const terms = [0, 4095, 4096, 131_071, 131_072, 139_999];
      expect(terms.map((term) => bags.term(term))).toEqual(terms.map((term) => `w${term}`));
      expect(Array.from(bags.tokens('w5 w139999 new'), (term) => bags.term(term))).toEqual(['w5', 'w139999', 'new']);
    }
  });

  it('takes the rooms a corpus needs only when asked to reserve them: a few queries\' tables are a few MB of memory', () => {
    const megabytes = (bags: TokenBags) => bags.memory.buffer.byteLength / 2 ** 20;
    expect(megabytes(new TokenBags(1 << 19, 0, 0))).toBeGreaterThan(20);
    expect(megabytes(new TokenBags(1 << 19, 0, 0, false))).toBeLessThan(3);
    // sized for what is expected, past the smallest rooms
    const expected = new TokenBags(1 << 19, 100_000, 70_000, false);
    expect(megabytes(expected)).toBeGreaterThan(4);
    expect(megabytes(expected)).toBeLessThan(20);
    // indexes outgrowing their first size (past ~3,000 distinct tokens) grow at once to a corpus's when reserved
    // (2^19 raw-token and 2^18 term slots, 2 MB and 1 MB), by doubling otherwise; a few texts leave them at their
    // first
    const text = (from: number, count: number) => Array.from({ length: count }, (_, i) => `w${from + i}`).join(' ');
    for (const reserve of [true, false]) {
      const bags = new TokenBags(1 << 19, 0, 0, reserve);
      const before = megabytes(bags);
      bags.tokens(text(0, 2000));
      expect(megabytes(bags) - before).toBeLessThan(1);
      bags.tokens(text(2000, 2000));
      expect(bags.terms).toBe(4000);
      const grown = megabytes(bags) - before;
      if (reserve) expect(grown).toBeGreaterThan(3);
      else expect(grown).toBeLessThan(1);
    }
  });

  it('grows its tables past the rooms it takes at once (2^19 raw tokens, 2^18 terms), finding every earlier token after', () => {
    // numbers pass every filter unchanged: document d holds 11,000 numbers of its own, each a new term with tf 1
    const perDoc = 11_000;
    const numbers = (doc: number) => Array.from({ length: perDoc }, (_, i) => String(1_000_000 + doc * perDoc + i)).join(' ');
    const texts = Array.from({ length: 50 }, (_, doc) => numbers(doc));
    texts.push(`${numbers(0)} ${numbers(49)} ${numbers(49)}`);
    const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
    for (const bags of [fresh(), new TokenBags(1 << 19, 0, 0), new TokenBags(1 << 19, 0, 0, false)]) {
      for (let at = 0; at < texts.length; at += 7) {
        const { docOffsets, terms, tfs } = bags.bag(texts.slice(at, at + 7));
        for (let doc = at; doc < Math.min(at + 7, texts.length); doc++) {
          const [start, end] = [docOffsets[doc - at]!, docOffsets[doc - at + 1]!];
          const expected = doc < 50 ? range(doc * perDoc, perDoc) : [...range(0, perDoc), ...range(49 * perDoc, perDoc)];
          expect(Array.from(terms.subarray(start, end))).toEqual(expected);
          expect(Array.from(tfs.subarray(start, end))).toEqual(expected.map((term) => (doc < 50 || term < perDoc ? 1 : 2)));
        }
      }
      expect(bags.terms).toBe(50 * perDoc);
      const { units, ends } = bags.joinedTerms(50 * perDoc - 2);
      expect([textOf(units), Array.from(ends)]).toEqual(['15499981549999', [7, 14]]);
    }
  });

  it('forgets the raw tokens every rawTokenLimit distinct ones and keeps numbering the terms as before', () => {
    const random = seededRandom(31);
    const letters = 'abcdefghijklmnopqrstuvwxyz\u00e9\u03b1';
    const texts = Array.from({ length: 300 }, () =>
      Array.from({ length: 80 }, () => Array.from({ length: 2 + Math.floor(random() * 14) }, () => letters[Math.floor(random() * letters.length)]).join('')).join(' '),
    );
    const expected = texts.map((text) => bagOfTokens(javaScriptChain(text)));
    const unlimited = numberedBags(fresh(), texts, 23);
    expect(unlimited.bags).toEqual(expected);
    expect(unlimited.terms.length).toBeGreaterThan(10_000);
    for (const limit of [1, 7, 1000, 5000]) {
      for (const [rawTokens, terms] of [[0, 0], [limit, 50_000]] as const) {
        for (const reserve of [true, false]) expect(numberedBags(new TokenBags(limit, rawTokens, terms, reserve), texts, 23, limit)).toEqual(unlimited);
      }
    }
  });
});
