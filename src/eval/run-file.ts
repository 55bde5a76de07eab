import type { Run } from '../core/types.js';
import { dataError } from '../core/errors.js';
import type { ScorableRun } from './ranking.js';
import { RunTable } from './run-table.js';
import { parseScoreJson } from './score-json.js';
import { readTextBytes, textPieces } from './text-file.js';
import { parseTrecRunTable } from './trec-run.js';

export type RunFormat = 'trec' | 'score-json';

/** A run file is BRIGHT's score.json when its first non-blank character opens a JSON object, else a TREC run. */
export function detectRunFormat(text: string): RunFormat {
  return /^\s*\{/.test(text.slice(0, 4096)) ? 'score-json' : 'trec';
}

/** Reads a TREC run or a BRIGHT/ReasonIR score.json (optionally gzipped), telling them apart by content. */
export async function readRunFile(filePath: string): Promise<Run> {
  const run = await readRun(filePath);
  return run instanceof RunTable ? run.toRun() : run;
}

/**
 * readRunFile for scoring only (evaluate): a TREC run stays in its compact form (RunTable), with no string or
 * object per line.
 */
export async function readRunForScoring(filePath: string): Promise<ScorableRun> {
  const run = await readRun(filePath);
  return run instanceof RunTable ? run.rankings() : run;
}

async function readRun(filePath: string): Promise<Run | RunTable> {
  const bytes = await readTextBytes(filePath, 'run file');
  const run = detectRunFormat(bytes.toString('utf8', 0, 4096)) === 'score-json' ? parseScoreJson(textPieces(bytes), filePath) : parseTrecRunTable(bytes, filePath);
  if ((run instanceof RunTable ? run.queryIds.length : run.size) === 0) {
    const empty = bytes.toString('utf8').trim() === '';
    throw dataError('run_empty', `run file ${filePath} holds no ranked documents (${empty ? 'it is empty' : 'no query has a document'}); check that the retrieval that wrote it finished`);
  }
  return run;
}
