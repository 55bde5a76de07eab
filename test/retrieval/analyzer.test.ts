import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeStages, ANALYZER_VERSION } from '../../src/retrieval/analyzer/analyze.js';
import { porterStem } from '../../src/retrieval/analyzer/porter-stemmer.js';
import { javaLowerCase } from '../../src/retrieval/analyzer/java-lowercase.js';
import { tokenize } from '../../src/retrieval/analyzer/standard-tokenizer.js';
import { fixtures, readJsonLines, readText } from './golden-files.js';

const analyzerFixture = (file: string) => path.join(fixtures, 'analyzer', file);

interface GoldenText {
  id: string;
  text: string;
  tokens: string[];
  unicode_flags?: string[];
}

/** Where two token lists first differ, with context, so a failure names the text and the token. */
function firstDifference(id: string, actual: string[], expected: string[]): string | null {
  if (JSON.stringify(actual) === JSON.stringify(expected)) return null;
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  return `${id}: token ${i}: got ${JSON.stringify(actual.slice(i, i + 3))}, Lucene ${JSON.stringify(expected.slice(i, i + 3))}`;
}

describe('analyze: pyserini default Lucene English analyzer', () => {
  it('reproduces the SPEC §3.2.1 samples verified with Lucene', () => {
    expect(analyze("The user's cats aren't running; they're JUMPING over e.g. U.S.A. data-sets in 2024.")).toEqual([
      'user', 'cat', "aren't", 'run', "they'r", 'jump', 'over', 'e.g', 'u.s.a', 'data', 'set', '2024',
    ]);
    expect(analyze("I'm using numpy.linalg.norm(x, ord=2) and foo_bar_baz with 3.14159 and 1,000,000 items!")).toEqual([
      "i'm", 'us', 'numpy.linalg.norm', 'x', 'ord', '2', 'foo_bar_baz', '3.14159', '1,000,000', 'item',
    ]);
    expect(analyze('Ωμέγα ΣΟΦΙΑ café naïve İstanbul straße 北京大学 日本語テキスト 😀 emoji')).toEqual([
      'ωμέγα', 'σοφια', 'café', 'naïv', 'istanbul', 'straße', '北', '京', '大', '学', '日', '本', '語', 'テキスト', '😀', 'emoji',
    ]);
    expect(analyze('ひらがなです 한국어 텍스트 ภาษาไทยง่าย áb')).toEqual([
      'ひ', 'ら', 'が', 'な', 'で', 'す', '한국어', '텍스트', 'ภาษาไทยง่าย', 'áb',
    ]);
    expect(analyze('x++ C# std::vector<int> __init__ ___ 0x1F 1e-5 user@example.com it’s O\'Reilly')).toEqual([
      'x', 'c', 'std', 'vector', 'int', '__init__', '0x1f', '1e', '5', 'user', 'example.com', "o'reilli",
    ]);
  });

  it("splits runs longer than Lucene's 255-char buffer into 255-unit tokens", () => {
    expect(analyze('a'.repeat(600)).map((token) => token.length)).toEqual([255, 255, 90]);
  });

  it('keeps per-stage results equal to Lucene for every text of the stages file', () => {
    const stages = readJsonLines<GoldenText & Record<'tokenizer' | 'possessive' | 'lowercase' | 'stop' | 'porter', string[]>>(
      analyzerFixture('stages.jsonl.gz'),
    );
    expect(stages).toHaveLength(307);
    const failures: string[] = [];
    for (const golden of stages) {
      const actual = analyzeStages(golden.text);
      for (const stage of ['tokenizer', 'possessive', 'lowercase', 'stop', 'porter'] as const) {
        const difference = firstDifference(`${golden.id} (${stage})`, actual[stage], golden[stage]);
        if (difference) {
          failures.push(difference);
          break;
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('equals Lucene on all 3,990 golden texts (BRIGHT queries, reasoning, gold answers, edge cases)', () => {
    const texts = readJsonLines<GoldenText>(analyzerFixture('texts.jsonl.gz'));
    expect(texts).toHaveLength(3990);
    const failures = texts.map((golden) => firstDifference(golden.id, analyze(golden.text), golden.tokens)).filter(Boolean);
    expect(failures).toEqual([]);
  });

  it('equals Lucene 8 on the Unicode-version-sensitive texts too (15 of 15; real pyserini on Lucene 9 may differ)', () => {
    const texts = readJsonLines<GoldenText>(analyzerFixture('texts-unicode-sensitive.jsonl.gz'));
    const matching = texts.filter((golden) => firstDifference(golden.id, analyze(golden.text), golden.tokens) === null);
    expect(texts).toHaveLength(15);
    expect(matching).toHaveLength(15);
  });

  it('equals Lucene on seeded random texts over every script class, emoji sequences, lone surrogates and long runs', () => {
    const cases = JSON.parse(readText(analyzerFixture('oracle-cases.json'))) as Array<{ text: string; tokens: string[] }>;
    expect(cases.length).toBeGreaterThan(400);
    const failures = cases.map((item, i) => firstDifference(`case ${i}`, analyze(item.text), item.tokens)).filter(Boolean);
    expect(failures).toEqual([]);
  });

  it('reproduces JFlex end-of-input quirks: a text ending in a lone high surrogate yields nothing', () => {
    expect(analyze('ab\ud800')).toEqual([]);
    expect(analyze('a\ud800 bcd')).toEqual(['bcd']);
  });

  it('reports token offsets into the original text', () => {
    const spans: Array<[number, number]> = [];
    tokenize('  Hello, wörld 42!', (start, end) => spans.push([start, end]));
    expect(spans).toEqual([[2, 7], [9, 14], [15, 17]]);
  });

  it('has a version string that names the Lucene tables it was generated from', () => {
    expect(ANALYZER_VERSION).toMatch(/^lucene-8\.8\.1-/);
  });
});

describe("Lucene's PorterStemmer", () => {
  it('stems all 20,000 golden words exactly', () => {
    const words = readJsonLines<{ word: string; stem: string }>(analyzerFixture('porter-words.jsonl.gz'));
    expect(words).toHaveLength(20000);
    const wrong = words.filter(({ word, stem }) => porterStem(word) !== stem).map(({ word, stem }) => `${word}: ${porterStem(word)} != ${stem}`);
    expect(wrong).toEqual([]);
  });

  it('applies the two departures from the 1980 paper and leaves short words alone', () => {
    expect(porterStem('probabli')).toBe('probabl');
    expect(porterStem('archaeologi')).toBe('archaeolog');
    expect(porterStem('is')).toBe('is');
    expect(porterStem('generalizations')).toBe('gener');
    expect(porterStem('ponies')).toBe('poni');
  });
});

describe("Java's Character.toLowerCase per code point", () => {
  it('uses simple case mapping, without context', () => {
    expect(javaLowerCase('İSTANBUL')).toBe('istanbul');
    expect(javaLowerCase('ΟΔΟΣ')).toBe('οδοσ');
    expect(javaLowerCase('𐐀𐐁')).toBe('𐐨𐐩');
    expect(javaLowerCase('ǅ')).toBe('ǆ');
  });

  it("follows the JDK's Unicode tables, not Node's newer ICU", () => {
    // U+2C2F GLAGOLITIC CAPITAL LETTER CAUDATE CHI is Unicode 14; JDK 17 (Unicode 13) leaves it as is
    expect(javaLowerCase('\u2c2f')).toBe('\u2c2f');
  });
});
