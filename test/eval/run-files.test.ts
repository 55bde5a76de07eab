import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/core/errors.js';
import { CorpusIds } from '../../src/core/corpus-ids.js';
import { RankedList, type Run } from '../../src/eval/ranked-list.js';
import { RunLines } from '../../src/eval/run-lines.js';
import { RUN_LINES_WASM } from '../../src/eval/generated/run-lines-wasm.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { DEFAULT_MEASURES, parseMeasureList } from '../../src/eval/measure.js';
import { writeEvaluationFiles } from '../../src/eval/results-files.js';
import { readRunFile, readRunForScoring } from '../../src/eval/run-file.js';
import { formatScoreJson, parseScoreJson, writeScoreJson } from '../../src/eval/score-json.js';
import { parseTrecQrels, readQrelsFile, writeTrecQrels } from '../../src/eval/trec-qrels.js';
import { formatTrecRun, parseTrecRun, parseTrecRunTable, writeTrecRun } from '../../src/eval/trec-run.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { writeRunOutputs } from '../../src/eval/run-outputs.js';
import { ByteText } from '../../src/eval/byte-text.js';
import { docsByQuery, docsOf, runOf } from '../helpers/runs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'reasonir-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dataFailure(run: () => unknown, message: RegExp): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(3);
    expect((error as HarnessError).message).toMatch(message);
    return;
  }
  throw new Error('expected a data error');
}

/** `ids` as a corpus's id table from the loader: their UTF-8 bytes, inside a larger buffer, and an offset each. */
function utf8Ids(ids: readonly string[]): CorpusIds {
  const parts = ids.map((id) => Buffer.from(id, 'utf8'));
  const offsets = new Uint32Array(ids.length + 1);
  parts.forEach((part, row) => (offsets[row + 1] = offsets[row]! + part.length));
  return CorpusIds.fromUtf8(Buffer.concat([Buffer.from('ab'), ...parts]).subarray(2), offsets);
}

describe('TREC run', () => {
  it('reads queries in first-appearance order, documents in line order, ignoring Q0, rank and tag', () => {
    const run = parseTrecRun('10 Q0 a 5 1.5 x\n2\tQ0\tb 1 -2e-3 y\r\n\n10 zz c 99 inf t\n', 'r.txt');
    expect([...run.keys()]).toEqual(['10', '2']);
    expect(docsOf(run.get('10')!)).toEqual([{ docId: 'a', score: 1.5 }, { docId: 'c', score: Infinity }]);
    expect(docsOf(run.get('2')!)).toEqual([{ docId: 'b', score: -0.002 }]);
  });

  it('collects a query\'s lines wherever they are (interleaved queries), on every parsing path, and still finds duplicates', () => {
    const lines = ['b Q0 x 1 1 t', 'a Q0 y 1 2 t', 'b Q0 z 2 3 t', 'c Q0 x 1 1 t', 'a Q0 w 2 1 t', 'b Q0 y 3 0.5 t'];
    const expected = [['b', ['x', 'z', 'y']], ['a', ['y', 'w']], ['c', ['x']]];
    const shape = (run: Run) => [...run].map(([queryId, ranked]) => [queryId, ranked.docIds()]);
    // single spaces (fast path), tabs (general path), and a mix where single lines fall back to the general path
    const variants = [lines.join('\n'), lines.join('\n').replaceAll(' ', '\t'), lines.map((line, i) => (i % 2 ? ` ${line}` : line)).join('\n')];
    for (const text of variants) {
      expect(shape(parseTrecRun(text, 'r.txt'))).toEqual(expected);
      // "x" comes back for "b" after other queries' lines, on both paths
      dataFailure(() => parseTrecRun(`${text}\nb Q0 x 9 0 t\n`, 'r.txt'), /^r\.txt:7: document "x" appears twice for query "b"/);
      dataFailure(() => parseTrecRun(`${text}\nb\tQ0\tx 9 0 t\n`, 'r.txt'), /^r\.txt:7: document "x" appears twice for query "b"/);
    }
    // the same docid under another query is no duplicate, and the evaluation sees each query's lines together
    const run = parseTrecRun(lines.join('\n'), 'r.txt');
    const evaluation = evaluate(run, parseTrecQrels('a 0 y 1\nb 0 z -1\nb 0 y 2\nc 0 q 1\n', 'q.txt'), parseMeasureList('NDCG@10,MRR'));
    expect(evaluation.queryOrder).toEqual(['b', 'a', 'c']);
    // b ranks z (3, judged -1: not relevant, keeps its rank), x (1), y (0.5, rel 2): DCG 2/log2(4) = 1, IDCG 2/log2(2) = 2
    expect(evaluation.perQuery.get('b')).toEqual({ 'NDCG@10': 0.5, MRR: 1 / 3 });
    expect(evaluation.perQuery.get('a')).toEqual({ 'NDCG@10': 1, MRR: 1 });
    expect(evaluation.perQuery.get('c')).toEqual({ 'NDCG@10': 0, MRR: 0 });
  });

  it('numbers lines through blank lines and interleaved queries (a run of rows per line), in errors too', () => {
    // 40 queries' lines interleaved one by one, a blank (or whitespace-only) line after every third line
    const lines: string[] = [];
    for (let i = 0; i < 120; i++) {
      lines.push(`q${i % 40} Q0 d${Math.floor(i / 40)} 1 ${i} t`);
      if (i % 3 === 2) lines.push(i % 2 ? '' : ' \t\r');
    }
    const text = lines.join('\n');
    const run = parseTrecRun(text, 'r.txt');
    expect([...run.keys()]).toEqual(Array.from({ length: 40 }, (_, q) => `q${q}`));
    expect(docsOf(run.get('q5')!)).toEqual([{ docId: 'd0', score: 5 }, { docId: 'd1', score: 45 }, { docId: 'd2', score: 85 }]);
    const repeat = lines.length + 1;
    dataFailure(() => parseTrecRun(`${text}\nq7 Q0 d1 9 0 t\n`, 'r.txt'), new RegExp(`^r\\.txt:${repeat}: document "d1" appears twice for query "q7"`));
    // the earliest repeating line is reported, whatever its query; also when a later line is malformed
    dataFailure(() => parseTrecRun(`${text}\n\nq9 Q0 d2 9 0 t\nq3 Q0 d0 9 0 t\n`, 'r.txt'), new RegExp(`^r\\.txt:${repeat + 1}: document "d2" appears twice for query "q9"`));
    dataFailure(() => parseTrecRun(`${text}\n\n\nq2 Q0 d0 9 0 t\nq2 Q0 d9 9 x t\n`, 'r.txt'), new RegExp(`^r\\.txt:${repeat + 2}: document "d0" appears twice for query "q2"`));
    // one query's lines together, blank lines between them
    dataFailure(() => parseTrecRun('q Q0 a 1 1 t\n\n\nq Q0 b 2 1 t\n\nq Q0 a 3 1 t\n', 'r.txt'), /^r\.txt:6: document "a" appears twice for query "q"/);
    dataFailure(() => parseTrecRun('q Q0 a 1 1 t\n\nq Q0 b 2 1 t\n\nq Q0 c 3 1 t 7\n', 'r.txt'), /^r\.txt:5: expected 6 .*found more than 6$/);
  });

  it('accepts stray leading/trailing spaces on single-space lines, like trec_eval', () => {
    const run = parseTrecRun('q Q0 a 1 2 t \n q Q0 b 2 1 t\nq Q0 c 3 0 t\n', 'r.txt');
    expect(run.get('q')!.docIds()).toEqual(['a', 'b', 'c']);
    dataFailure(() => parseTrecRun('q Q0 a 1 2 t\nq Q0 b 2 1\n', 'r.txt'), /r\.txt:2: .*found 5$/);
    dataFailure(() => parseTrecRun('q Q0 a 1 2 t x\n', 'r.txt'), /r\.txt:1: .*found more than 6$/);
  });

  it('rejects malformed lines with file:line and what was expected', () => {
    dataFailure(() => parseTrecRun('q Q0 a 1 1.0 t\nq Q0 b 2 1.0\n', 'run.txt'), /^run\.txt:2: expected 6 whitespace-separated columns "qid Q0 docid rank score tag", found 5$/);
    dataFailure(() => parseTrecRun('q Q0 a 1 1.0 t extra\n', 'run.txt'), /run\.txt:1: .*found more than 6/);
    dataFailure(() => parseTrecRun('q Q0 a 1 NaN t\n', 'run.txt'), /run\.txt:1: the score column \(5th\) must be a number, found "NaN"/);
    dataFailure(() => parseTrecRun('q Q0 a 1 high t\n', 'run.txt'), /found "high"/);
    dataFailure(() => parseTrecRun('q Q0 a 1 0x10 t\n', 'run.txt'), /found "0x10"/);
    dataFailure(() => parseTrecRun('q Q0 a 1 1 t\nq Q0 b 2 1 t\nq Q0 a 3 0 t\n', 'run.txt'), /run\.txt:3: document "a" appears twice for query "q"/);
  });

  it('reads scores exactly: the double for the run, its float32 (trec_eval\'s C float) for scoring', () => {
    const next = seededRandom(15);
    const texts = ['0', '-0.0', '5.', '.5', '007', '1e-7', '-1.5E+3', 'inf', '-Infinity', '3.4028235677973366e38', '1.1754942e-38', '123456789012345678901'];
    for (let i = 0; i < 20_000; i++) {
      const f = Math.fround(next() * 10 ** Math.floor(next() * 12 - 6));
      // shortest forms of float32 scores (16-17 digits), random long decimals, and values a hair off a midpoint between two floats
      const midpoint = f + (Math.fround(f * (1 + 2 ** -23)) - f) / 2;
      const digits = String(Math.floor(next() * 1e17)).padStart(17, '0');
      texts.push(String(f), `${digits.slice(0, i % 18)}.${digits.slice(i % 18)}`, String(midpoint * (1 + (next() - 0.5) * 2 ** -48)), String(midpoint));
    }
    // 16-19 digits where only the exact decimal decides: midpoints between two doubles (ties to even) past 2^50 ..
    // 2^63, above and below a power of two (the gap below it is half the gap above), and decimals a digit away
    for (const e of [50, 51, 52, 53, 54, 60, 63]) {
      // numerators over 2^shift: 2^e, then (2j + 1) half-gaps above it and below it
      const shift = Math.max(0, 54 - e);
      const unit = 2n ** BigInt(e - 54 + shift);
      const power = 2n ** BigInt(e + shift);
      const numerators = [power, ...Array.from({ length: 30 }, (_, j) => power + BigInt(2 * j + 1) * 2n * unit), power - unit, power - 3n * unit];
      for (const numerator of numerators) {
        const digits = (numerator * 5n ** BigInt(shift)).toString();
        const text = shift === 0 ? digits : `${digits.slice(0, -shift)}.${digits.slice(-shift)}`.replace(/\.?0+$/, '');
        texts.push(text, text.includes('.') ? `${text}1` : `${BigInt(text) + 1n}`, text.includes('.') ? text.replace(/(\d)$/, (d) => `${Number(d) - 1}9`) : `${BigInt(text) - 1n}`);
      }
    }
    const text = Buffer.from(texts.map((score, i) => `q Q0 d${i} 1 ${score} t`).join('\n'));
    const doubles = Array.from(parseTrecRunTable(text, 'r.txt', true).toRun().get('q')!.scores);
    expect(doubles).toEqual(texts.map((score) => Number(score.replace(/^(-?)inf$/, '$1Infinity'))));
    expect(Array.from(parseTrecRunTable(text, 'r.txt', false).scores)).toEqual(doubles.map((score) => Math.fround(score)));
  });

  it('reports the first bad line, a repeated document included, and takes ids that are not UTF-8 as decoded text', () => {
    dataFailure(() => parseTrecRun('q Q0 a 1 1 t\nq Q0 a 2 1 t\nq Q0 b 3 x t\n', 'r.txt'), /^r\.txt:2: document "a" appears twice/);
    dataFailure(() => parseTrecRun('q Q0 a 1 1 t\nq Q0 b 2 x t\nq Q0 a 3 1 t\n', 'r.txt'), /^r\.txt:2: the score column/);
    dataFailure(() => parseTrecRun('p Q0 a 1 1 t\nq Q0 b 2 1 t\nq Q0 b 3 1 t\np Q0 a 4 1 t\n', 'r.txt'), /^r\.txt:3: document "b" appears twice for query "q"/);
    // two ids that differ only in invalid bytes are one id to a reader of text
    const bytes = Buffer.concat([Buffer.from('q Q0 d'), Buffer.from([0xff]), Buffer.from(' 1 1 t\nq Q0 d'), Buffer.from([0xfe]), Buffer.from(' 2 1 t\n')]);
    dataFailure(() => parseTrecRunTable(bytes, 'r.txt', false), /^r\.txt:2: document "d\ufffd" appears twice/);
  });

  it('ends a field only at space, tab, CR or newline: other bytes below space and bytes above it stay in the field', () => {
    // enough lines for the parse loop's optimised code; each id and tag holds a byte that is no separator
    const inside = ['\u0000', '\u0001', '\u000b', '\u000c', '\u001f', '!', '\u007f', '\u00a0'];
    const lines = Array.from({ length: 20_000 }, (_, i) => `q${i % 3}${inside[i % 8]} Q0 d${inside[(i + 3) % 8]}${i} ${i} ${i % 11}.5 t${inside[(i + 5) % 8]}x`);
    const run = parseTrecRun(`${lines.join('\n')}\n`, 'r.txt');
    expect(run.size).toBe(24);
    for (let i = 0; i < 20_000; i += 499) {
      const ranked = run.get(`q${i % 3}${inside[i % 8]}`)!;
      const docs = docsOf(ranked);
      expect(docs).toContainEqual({ docId: `d${inside[(i + 3) % 8]}${i}`, score: (i % 11) + 0.5 });
    }
    // such a byte where a separator could be splits nothing: this line has six fields, not seven
    expect(parseTrecRun('q Q0 d\u000b1 1 2 t\u000cx\n', 'r.txt').get('q')!.docIds()).toEqual(['d\u000b1']);
    dataFailure(() => parseTrecRun('q Q0 d\u000b1 1 2 t \u000cx\n', 'r.txt'), /^r\.txt:1: expected 6 .*found more than 6$/);
  });

  it('reads a file block by block like one string: lines across blocks, a line longer than a block, a byte-order mark', async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `${i % 7 === 3 ? 'q\u00e9' : `q${i % 5}`}\tQ0 d\u{1F600}${i} ${i} ${(i * 0.37) % 11} run\r`);
    lines[30_000] = `q1 Q0 ${'x'.repeat(1_500_000)} 1 2.5 run`;
    const text = `${lines.join('\n')}\n`;
    const file = path.join(dir, 'blocks.trec');
    writeFileSync(file, `\uFEFF${text}`);
    const expected = parseTrecRun(text, 'r.txt');
    expect(docsByQuery(await readRunFile(file))).toEqual(docsByQuery(expected));
    const qrels = parseTrecQrels('q1 0 d\u{1F600}1 1\nq\u00e9 0 d\u{1F600}3 2\n', 'q.txt');
    expect(evaluate(await readRunForScoring(file), qrels, DEFAULT_MEASURES)).toEqual(evaluate(expected, qrels, DEFAULT_MEASURES));
    writeFileSync(file, `${text}q1 Q0 d\u{1F600}1 1 7 run\n`);
    await expect(readRunForScoring(file)).rejects.toThrow(`${file}:60001: document "d\u{1F600}1" appears twice for query "q1"`);
  });

  it('scores the compact form like RankedLists: ties by docid in code point order, judgments by UTF-8 id', async () => {
    const text = ['q Q0 b 1 1 t', 'q Q0 \u{1F600} 2 1 t', 'q Q0 \uFFFD 3 1 t', 'q Q0 a 4 2 t', 'q Q0 é 5 1.00000001 t', 'r Q0 x 1 0 t'].join('\n');
    const file = path.join(dir, 'ties.trec');
    writeFileSync(file, text);
    const qrels = parseTrecQrels('q 0 \u{1F600} 1\nq 0 b 2\nq 0 é 1\nq 0 zz 1\nr 0 x 1\n', 'q.txt');
    const measures = parseMeasureList('NDCG@10,MAP,MRR,P@2,Judged@3');
    const compact = evaluate(await readRunForScoring(file), qrels, measures);
    expect(compact).toEqual(evaluate(parseTrecRun(text, 'r.txt'), qrels, measures));
    // float32: 1.00000001 ties with 1; the tie order is 😀, \uFFFD, é, b (code points descending)
    expect(compact.perQuery.get('q')!.MRR).toBe(1 / 2);
  });

  it('writes full-precision scores and 1-based ranks, and reads back the same run', async () => {
    const run = runOf({ q1: [['d/é', Math.fround(0.1)], ['d2', 1e-30]] });
    expect(formatTrecRun(run, 'bm25')).toBe('q1 Q0 d/é 1 0.10000000149011612 bm25\nq1 Q0 d2 2 1e-30 bm25\n');
    const file = path.join(dir, 'run.trec');
    await writeTrecRun(file, run, 'bm25');
    expect(docsByQuery(await readRunFile(file))).toEqual(docsByQuery(run));
    expect(() => formatTrecRun(runOf({ q: [['has space', 1]] }), 't')).toThrow(/whitespace/);
    expect(() => formatTrecRun(run, 'two words')).toThrow(/run tag/);
    // each query's own line start, a tag of any script, ranks restarting per query
    const two = runOf([['q\u00e9', [['a', 2], ['b', 1.5]]], ['2', [['c', 1]]]]);
    expect(formatTrecRun(two, 't\u0101g')).toBe('q\u00e9 Q0 a 1 2 t\u0101g\nq\u00e9 Q0 b 2 1.5 t\u0101g\n2 Q0 c 1 1 t\u0101g\n');
    expect(() => formatTrecRun(runOf({ 'q 1': [['a', 1]] }), 't')).toThrow(/query id "q 1"/);
  });
});

describe('TREC qrels', () => {
  it('reads integer relevance, negative included, and accepts a repeated identical judgment', () => {
    const qrels = parseTrecQrels('q 0 a 1\nq 0 b -100\nq 0 a 1\nr 0 c 0\n', 'qrels.txt');
    expect(qrels).toEqual(new Map([['q', new Map([['a', 1], ['b', -100]])], ['r', new Map([['c', 0]])]]));
  });

  it('rejects non-integer relevance, wrong column counts and contradicting judgments', () => {
    dataFailure(() => parseTrecQrels('q 0 a 1\nq 0 b 0.5\n', 'qrels.txt'), /^qrels\.txt:2: the relevance column \(4th\) must be an integer, found "0\.5"$/);
    dataFailure(() => parseTrecQrels('q 0 a\n', 'qrels.txt'), /qrels\.txt:1: expected 4 whitespace-separated columns "qid iteration docid relevance", found 3/);
    dataFailure(() => parseTrecQrels('q 0 a 1\nq 0 a 2\n', 'qrels.txt'), /qrels\.txt:2: document "a" of query "q" was already judged 1, now 2/);
  });

  it('round-trips through a file, gzipped too', async () => {
    const qrels = parseTrecQrels('q 0 a 1\nq 0 b 2\n', 'x');
    const file = path.join(dir, 'qrels.txt');
    await writeTrecQrels(file, qrels);
    expect(await readQrelsFile(file)).toEqual(qrels);
    writeFileSync(`${file}.gz`, gzipSync(readFileSync(file)));
    expect(await readQrelsFile(`${file}.gz`)).toEqual(qrels);
  });

  it('names a missing file', async () => {
    await expect(readQrelsFile(path.join(dir, 'nope.txt'))).rejects.toThrow(/cannot read qrels file .*nope\.txt: no such file/);
  });
});

describe('score.json', () => {
  it('keeps query and document order even for integer-like keys, and reads escapes and Python infinities', () => {
    const run = parseScoreJson('{"10": {"7": 2.5, "3": 1e-05}, "2": {"d\\u00e9\\"q": -Infinity, "x": Infinity}, "5": {}}', 's.json');
    expect([...run.keys()]).toEqual(['10', '2', '5']);
    expect(docsOf(run.get('10')!)).toEqual([{ docId: '7', score: 2.5 }, { docId: '3', score: 1e-5 }]);
    expect(docsOf(run.get('2')!)).toEqual([{ docId: 'dé"q', score: -Infinity }, { docId: 'x', score: Infinity }]);
    expect(docsOf(run.get('5')!)).toEqual([]);
    expect(parseScoreJson(' {} ', 's.json').size).toBe(0);
  });

  it('detects score.json by content, with a byte-order mark too', async () => {
    const file = path.join(dir, 'run-with-bom');
    writeFileSync(file, '\uFEFF{"q": {"a": 1.5}}');
    expect(docsByQuery(await readRunFile(file))).toEqual(new Map([['q', [{ docId: 'a', score: 1.5 }]]]));
  });

  it('rejects bad shapes with file:line, NaN scores and duplicates', () => {
    dataFailure(() => parseScoreJson('[1, 2]', 'score.json'), /^score\.json:1: expected "\{" opening the object of queries/);
    dataFailure(() => parseScoreJson('{\n  "q": {\n    "a": "high"\n  }\n}', 'score.json'), /score\.json:3: expected a number \(the score\)/);
    dataFailure(() => parseScoreJson('{"q": {"a": NaN}}', 'score.json'), /NaN cannot be ranked/);
    dataFailure(() => parseScoreJson('{"q": [1]}', 'score.json'), /"\{" opening the documents of query "q"/);
    dataFailure(() => parseScoreJson('{"q": {"a": 1, "a": 2}}', 'score.json'), /"a" repeats in query "q"/);
    dataFailure(() => parseScoreJson('{"q": {}, "q": {}}', 'score.json'), /query "q" appears again/);
    dataFailure(() => parseScoreJson('{"q": {"a": 1}', 'score.json'), /score\.json:1: expected "," or "\}" after the documents of a query .*found end of file/);
    dataFailure(() => parseScoreJson('{"q": {"a": 1}} x', 'score.json'), /end of file after the closing/);
  });

  it('writes what BRIGHT json.dump(indent=2) writes, and reads it back', async () => {
    const run = runOf([['3', [['b/é', Math.fround(12.3)], ['a', 0]]], ['1', []]]);
    // bytes printed by CPython: json.dump({"3": {"b/\u00e9": 12.300000190734863, "a": 0.0}, "1": {}}, f, indent=2)
    expect(formatScoreJson(run)).toBe('{\n  "3": {\n    "b/\\u00e9": 12.300000190734863,\n    "a": 0.0\n  },\n  "1": {}\n}');
    const file = path.join(dir, 'score.json');
    await writeScoreJson(file, run);
    expect(docsByQuery(await readRunFile(file))).toEqual(docsByQuery(run));
  });
});

describe('run outputs', () => {
  it('formats with the module built from wasm/run-lines.c (tools/build-run-lines-wasm.sh writes both files)', () => {
    const built = readFileSync(new URL('../../src/eval/wasm/run-lines.wasm', import.meta.url));
    expect(Buffer.from(RUN_LINES_WASM, 'base64').equals(built)).toBe(true);
  });

  it('writes run.trec and score.json in one pass with the bytes of the single-file writers', async () => {
    const special = [0, -0, 1e-5, 1e20, 5, Infinity, -Infinity, 1e16, 1e-4, Math.fround(0.1)];
    const run = runOf([
      ['q\u00e9', special.map((score, i) => [i % 3 === 0 ? `d"\\\u00e9\u{1F600}${i}` : `doc${i}`, score] as const)],
      ['empty', []],
      ['2', [['x', 2.5]]],
    ]);
    const out = path.join(dir, 'outputs');
    await writeRunOutputs(out, run, 'tag');
    await writeTrecRun(path.join(dir, 'single.trec'), run, 'tag');
    await writeScoreJson(path.join(dir, 'single.json'), run);
    expect(readFileSync(path.join(out, 'run.trec'))).toEqual(readFileSync(path.join(dir, 'single.trec')));
    expect(readFileSync(path.join(out, 'score.json'))).toEqual(readFileSync(path.join(dir, 'single.json')));
    expect(docsByQuery(await readRunFile(path.join(out, 'score.json')))).toEqual(docsByQuery(run));
    await expect(writeRunOutputs(path.join(dir, 'bad'), runOf({ q: [['a b', 1]] }), 'tag')).rejects.toThrow(/document id \(query q\) "a b" is empty or contains whitespace/);
    await expect(writeRunOutputs(path.join(dir, 'bad'), runOf({ q: [['a\u3000b', 1]] }), 'tag')).rejects.toThrow(/whitespace/);
    expect(() => readFileSync(path.join(dir, 'bad', 'run.trec'))).toThrow(/ENOENT/);
  });

  // a corpus's ids as the loader gives them (UTF-8 bytes, CorpusIds) or as strings: the same bytes written
  it.each(['strings', 'utf8'] as const)('formats the lines of corpus-sized lists in WebAssembly, with the bytes of the single-file writers (a table of %s)', async (kind) => {
    const next = seededRandom(20261206);
    // one id table shared by every list, as a retriever's run has: ids the module leaves to JavaScript among them
    // (escaped or non-ASCII in JSON; one longer than the module's output rooms)
    const ids = Array.from({ length: 5000 }, (_, i) => (i % 97 === 5 ? `d"${i}` : i % 89 === 7 ? `d\\${i}\u00e9` : i % 83 === 20 ? `\u{1F9EC}${i}` : i === 4321 ? 'L'.repeat(70_000) : `doc-${i}`));
    const table = kind === 'utf8' ? utf8Ids(ids) : ids;
    let previous = 20;
    const score = (): number => {
      const kind = next();
      // float32 BM25 scores with ties, zeros of both signs, and values String(x) writes in exponent form
      if (kind < 0.2) return previous;
      if (kind < 0.25) return kind < 0.23 ? 0 : -0;
      if (kind < 0.27) return [1e-5, 1e20, NaN, Infinity, -Infinity, 2 ** 53 + 2, 1e-4, 12][Math.floor(next() * 8)]!;
      return (previous = Math.fround(previous - next() * 0.01));
    };
    const list = (n: number): RankedList => {
      const rows = Uint32Array.from({ length: n }, () => Math.floor(next() * ids.length));
      rows[n >> 1] = 4321;
      return new RankedList(table, rows, Float64Array.from({ length: n }, score));
    };
    const run: Run = new Map([
      ['q\u00e9', list(2500)],
      ['1', list(1)],
      ['empty', new RankedList(table, new Uint32Array(0), new Float64Array(0))],
      ['own-ids', RankedList.of(['x', 'y\u00e9', 'z'], [3, 2, 2])],
      // another table of the same size, then the first again: each id is copied for its own table
      ['same-size-table', new RankedList(ids.map((id) => `${id}+`), Uint32Array.from({ length: 2000 }, () => Math.floor(next() * ids.length)), new Float64Array(2000).fill(1.5))],
      ['q3', list(3000)],
    ]);
    // a table with a newline in an id that is not ranked, and a non-ASCII one that is
    const other = [...ids.slice(0, 10), 'bad\nid', 'caf\u00e9'];
    run.set('other-table', new RankedList(other, Uint32Array.from([3, 1, 11, 4]), Float64Array.from([3, 2, 2, 1])));

    const out = path.join(dir, `outputs-wasm-${kind}`);
    await writeRunOutputs(out, run, 'bm25');
    await writeTrecRun(path.join(dir, 'single-wasm.trec'), run, 'bm25');
    await writeScoreJson(path.join(dir, 'single-wasm.json'), run);
    expect(readFileSync(path.join(out, 'run.trec')).equals(readFileSync(path.join(dir, 'single-wasm.trec')))).toBe(true);
    expect(readFileSync(path.join(out, 'score.json')).equals(readFileSync(path.join(dir, 'single-wasm.json')))).toBe(true);
    // the same run over either table: the same files
    if (kind === 'utf8') {
      for (const name of ['run.trec', 'score.json']) expect(readFileSync(path.join(out, name)).equals(readFileSync(path.join(dir, 'outputs-wasm-strings', name)))).toBe(true);
    }

    // and the module did format nearly all of them (what the JavaScript writers are compared with above)
    const lines = new RunLines();
    const [prefix, suffix] = [Buffer.from('q Q0 '), Buffer.from(' bm25\n')];
    let formatted = 0;
    for (const queryId of ['q\u00e9', 'q3']) {
      const docs = run.get(queryId)!;
      for (let i = 0; i < docs.length; i++) {
        const end = lines.format(docs, i, prefix, suffix);
        formatted += end - i;
        i = end;
      }
    }
    expect(formatted).toBeGreaterThan(0.85 * 5500);
    expect(lines.format(run.get('other-table')!, 0, prefix, suffix)).toBe(2);
  });

  it('streams through a small buffer without cutting a character', () => {
    const chunks: Buffer[] = [];
    const text = new ByteText((bytes) => chunks.push(Buffer.from(bytes)), 4);
    const parts = ['abc', '\u00e9\u{1F600}', 'defgh', '', 'ij'];
    for (const part of parts) text.text(part);
    text.byte(0x21);
    text.integer(1234);
    text.end();
    expect(Buffer.concat(chunks).toString('utf8')).toBe(`${parts.join('')}!1234`);
  });

  it('passes a block of bytes to the sink after what it buffered, and copies it without one', () => {
    const block = Uint8Array.from({ length: 3000 }, (_, i) => 0x61 + (i % 26));
    const expected = `ab${Buffer.from(block).toString('latin1')}c${Buffer.from(block.subarray(0, 2000)).toString('latin1')}!d`;
    const chunks: Buffer[] = [];
    const streamed = new ByteText((bytes) => chunks.push(Buffer.from(bytes)), 16);
    const whole = new ByteText(undefined, 16);
    for (const text of [streamed, whole]) {
      text.text('ab');
      text.bytes(block, block.length);
      text.text('c');
      text.bytes(block, 2000);
      text.byte(0x21);
      text.bytes(Buffer.from('d'), 1);
    }
    expect(Buffer.from(whole.end()).toString('latin1')).toBe(expected);
    streamed.end();
    expect(Buffer.concat(chunks).toString('latin1')).toBe(expected);
    // the blocks went out as they were, not through the 16-byte buffer
    expect(chunks.map((chunk) => chunk.length)).toEqual([2, 3000, 1, 2000, 2]);
  });
});

describe('writeEvaluationFiles', () => {
  it('writes results.json (rounded, BRIGHT), metrics.json (full precision, run order) and per_query.tsv', async () => {
    const run = parseTrecRun('9 Q0 a 1 3 t\n9 Q0 b 2 2 t\n9 Q0 c 3 1 t\n1 Q0 a 1 1 t\n', 'r');
    const qrels = parseTrecQrels('9 0 c 1\n9 0 z 1\n1 0 a 1\n', 'q');
    const measures = parseMeasureList('NDCG@10,P@1,MRR');
    const evaluation = evaluate(run, qrels, measures);
    const out = path.join(dir, 'results');
    await writeEvaluationFiles(out, evaluation, measures);
    const ndcg9 = 1 / Math.log2(4) / (1 + 1 / Math.log2(3));
    expect(readFileSync(path.join(out, 'results.json'), 'utf8')).toBe('{\n  "NDCG@10": 0.65329,\n  "P@1": 0.5,\n  "MRR": 0.66667\n}');
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { aggregate: Record<string, number>; per_query: Record<string, Record<string, number>> };
    expect(metrics.aggregate).toEqual({ 'NDCG@10': (ndcg9 + 1) / 2, 'P@1': 0.5, MRR: (1 / 3 + 1) / 2 });
    expect(metrics.per_query['9']).toEqual({ 'NDCG@10': ndcg9, 'P@1': 0, MRR: 1 / 3 });
    expect(readFileSync(path.join(out, 'metrics.json'), 'utf8').indexOf('"9"')).toBeLessThan(readFileSync(path.join(out, 'metrics.json'), 'utf8').indexOf('"1": {'));
    expect(readFileSync(path.join(out, 'per_query.tsv'), 'utf8')).toBe(`qid\tNDCG@10\tP@1\tMRR\n9\t${ndcg9}\t0.0\t0.3333333333333333\n1\t1.0\t1.0\t1.0\n`);
  });

  it('results.json has BRIGHT\'s 25 keys by default', async () => {
    const evaluation = evaluate(parseTrecRun('q Q0 a 1 1 t\n', 'r'), parseTrecQrels('q 0 a 1\n', 'q'), DEFAULT_MEASURES);
    const out = path.join(dir, 'default');
    await writeEvaluationFiles(out, evaluation, DEFAULT_MEASURES);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(results)).toEqual(DEFAULT_MEASURES.map((m) => m.name));
    expect(results['P@100']).toBe(0.01);
  });
});
