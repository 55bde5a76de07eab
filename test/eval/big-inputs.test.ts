/**
 * Inputs bigger than one JavaScript string (about 512 MiB) are read as pieces. These tests cut real files into
 * pieces of a few bytes, so every boundary case (inside a line, a number, an id, a multi-byte character) occurs,
 * and require the same run, the same qrels and the same line numbers in errors as a one-piece parse.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseScoreJson, formatScoreJson } from '../../src/eval/score-json.js';
import { textPieces } from '../../src/eval/text-file.js';
import { parseTrecQrels } from '../../src/eval/trec-qrels.js';
import { parseTrecRun } from '../../src/eval/trec-run.js';
import { repoRoot } from '../helpers/cli.js';
import { docsByQuery } from '../helpers/runs.js';

const trecCase = path.join(repoRoot, 'test', 'fixtures', 'trec_eval', 'p01_biology_random_scores');
const runBytes = gunzipSync(readFileSync(path.join(trecCase, 'run.txt.gz')));
const qrelsBytes = readFileSync(path.join(trecCase, 'qrels.txt'));

describe('textPieces', () => {
  it('cuts after line ends, never inside a UTF-8 character, and loses no byte', () => {
    const bytes = Buffer.from('q1 Q0 dé 1 2.5 t\nq1 Q0 🙂🙂🙂🙂🙂🙂 2 1.5 t\n', 'utf8');
    for (const size of [1, 2, 3, 5, 8, 13, 1000]) {
      const pieces = textPieces(bytes, size);
      expect(pieces.join(''), `size ${size}`).toBe(bytes.toString('utf8'));
      for (const piece of pieces) expect(piece).not.toContain('\ufffd');
    }
    expect(textPieces(bytes, 20)[0]).toBe('q1 Q0 dé 1 2.5 t\n');
  });
});

describe('pieces parse like one string', () => {
  it('TREC runs and qrels', () => {
    const whole = docsByQuery(parseTrecRun(runBytes.toString('utf8'), 'run.txt'));
    const qrels = parseTrecQrels(qrelsBytes.toString('utf8'), 'qrels.txt');
    for (const size of [7, 64, 4096]) {
      expect(docsByQuery(parseTrecRun(textPieces(runBytes, size), 'run.txt'))).toEqual(whole);
      expect(parseTrecQrels(textPieces(qrelsBytes, size), 'qrels.txt')).toEqual(qrels);
    }
    // a tab-separated file takes the general path, piece by piece
    const tabbed = Buffer.from(runBytes.toString('utf8').replaceAll(' ', '\t'));
    expect(docsByQuery(parseTrecRun(textPieces(tabbed, 100), 'run.txt'))).toEqual(whole);
  });

  it('line numbers in errors count the lines of earlier pieces', () => {
    const lines = runBytes.toString('utf8').split('\n');
    lines[5000] = 'broken line';
    const bytes = Buffer.from(lines.join('\n'));
    expect(() => parseTrecRun(textPieces(bytes, 333), 'run.txt')).toThrow('run.txt:5001: expected 6 whitespace-separated columns');
    expect(() => parseTrecQrels(textPieces(Buffer.from(`${qrelsBytes.toString('utf8')}q 0 d x\n`), 50), 'qrels.txt')).toThrow(
      `qrels.txt:${qrelsBytes.toString('utf8').split('\n').length}: the relevance column`,
    );
  });

  it('score.json, over several windows of the scanner', () => {
    const run = parseTrecRun(runBytes.toString('utf8'), 'run.txt');
    // several MiB, so the scanner drops consumed text and refills more than once
    const big = new Map([...run].flatMap(([qid, docs]) => Array.from({ length: 12 }, (_, copy) => [`${qid}-${copy}`, docs] as const)));
    const text = formatScoreJson(big);
    expect(text.length).toBeGreaterThan(3 << 20);
    const bytes = Buffer.from(text);
    const whole = docsByQuery(parseScoreJson(text, 'score.json'));
    expect(whole.size).toBe(12 * run.size);
    expect(docsByQuery(parseScoreJson(textPieces(bytes, 65_536), 'score.json'))).toEqual(whole);
    expect(docsByQuery(parseScoreJson(textPieces(bytes, 997), 'score.json'))).toEqual(whole);
    // an error late in the file names its line: the last score becomes a word
    const at = text.lastIndexOf(': ') + 2;
    const end = text.slice(at).search(/[,\n}]/) + at;
    const damaged = `${text.slice(0, at)}oops${text.slice(end)}`;
    const line = damaged.slice(0, at).split('\n').length;
    expect(() => parseScoreJson(textPieces(Buffer.from(damaged), 65_536), 'score.json')).toThrow(`score.json:${line}: expected a number (the score)`);
  });
});

