import { dataError } from '../core/errors.js';
import type { Run } from './ranked-list.js';
import type { ScorableRun } from './ranking.js';
import type { RunTable } from './run-table.js';
import { forEachLineBlock, readTextBytes, textPieces } from './text-file.js';
import { TrecRunParser } from './trec-run-parser.js';

export type RunFormat = 'trec' | 'score-json';

/** A run file is BRIGHT's score.json when its first non-blank character opens a JSON object, else a TREC run. */
export function detectRunFormat(text: string): RunFormat {
  return /^\s*\{/.test(text.slice(0, 4096)) ? 'score-json' : 'trec';
}

/** Reads a TREC run or a BRIGHT/ReasonIR score.json (optionally gzipped), telling them apart by content. */
export async function readRunFile(filePath: string): Promise<Run> {
  const run = await readRun(filePath, true);
  return run instanceof Map ? run : run.toRun();
}

/**
 * readRunFile for scoring only (evaluate): a TREC run stays in its compact form (RunTable), with no string or
 * object per line and only the float32 scores trec_eval compares.
 */
export async function readRunForScoring(filePath: string): Promise<ScorableRun> {
  const run = await readRun(filePath, false);
  return run instanceof Map ? run : run.rankings();
}

async function readRun(filePath: string, exactScores: boolean): Promise<Run | RunTable> {
  // a TREC run is parsed block by block as it is read; the first block tells a score.json, which is read whole
  let parser: TrecRunParser | undefined;
  let size = 0;
  let json = false;
  await forEachLineBlock(
    filePath,
    'run file',
    (block) => {
      if (!parser) {
        json = detectRunFormat(block.toString('utf8', 0, 4096)) === 'score-json';
        if (json) return false;
        parser = new TrecRunParser(filePath, exactScores, Math.max(size, block.length));
      }
      const ready = parser.ready(block.length);
      if (!ready) return parser.push(block);
      const taking = parser;
      return ready.then(() => taking.push(block));
    },
    (bytes) => (size = bytes),
  );
  if (json) {
    // loaded only for a score.json: scoring a TREC run needs neither it nor its writer's imports
    const { parseScoreJson } = await import('./score-json.js');
    const run = parseScoreJson(textPieces(await readTextBytes(filePath, 'run file')), filePath);
    if (run.size === 0) throw emptyRun(filePath, false);
    return run;
  }
  const table = (parser ?? new TrecRunParser(filePath, exactScores)).end();
  if (table.queryIds.length === 0) throw emptyRun(filePath, size === 0 || (await readTextBytes(filePath, 'run file')).toString('utf8').trim() === '');
  return table;
}

function emptyRun(filePath: string, empty: boolean): Error {
  return dataError('run_empty', `run file ${filePath} holds no ranked documents (${empty ? 'it is empty' : 'no query has a document'}); check that the retrieval that wrote it finished`);
}
