import type { Run } from '../core/types.js';
import { dataError } from '../core/errors.js';
import { parseScoreJson } from './score-json.js';
import { readTextPieces } from './text-file.js';
import { parseTrecRun } from './trec-run.js';

export type RunFormat = 'trec' | 'score-json';

/** A run file is BRIGHT's score.json when its first non-blank character opens a JSON object, else a TREC run. */
export function detectRunFormat(text: string): RunFormat {
  return /^\s*\{/.test(text.slice(0, 4096)) ? 'score-json' : 'trec';
}

/** Reads a TREC run or a BRIGHT/ReasonIR score.json (optionally gzipped), telling them apart by content. */
export async function readRunFile(filePath: string): Promise<Run> {
  const pieces = await readTextPieces(filePath, 'run file');
  const run = detectRunFormat(pieces[0] ?? '') === 'score-json' ? parseScoreJson(pieces, filePath) : parseTrecRun(pieces, filePath);
  const empty = pieces.every((piece) => piece.trim() === '');
  if (run.size === 0) throw dataError('run_empty', `run file ${filePath} holds no ranked documents (${empty ? 'it is empty' : 'no query has a document'}); check that the retrieval that wrote it finished`);
  return run;
}
