import { tokenize } from './standard-tokenizer.js';
import { stripPossessive } from './english-possessive.js';
import { javaLowerCase } from './java-lowercase.js';
import { ENGLISH_STOP_WORDS } from './english-stop-words.js';
import { porterStem } from './porter-stemmer.js';
import { LUCENE_VERSION } from './generated/lucene-tables.js';

/**
 * Identifies the token stream `analyze` produces; part of every analyzed-index cache key. Bump the suffix whenever
 * a change could alter any token.
 */
export const ANALYZER_VERSION = `lucene-${LUCENE_VERSION}-english-porter.1`;

/**
 * The filters after the tokenizer act on one token at a time, so their result depends on the token text alone and
 * is memoised (Zipf: a few thousand distinct tokens cover most of a text). The map is dropped when it grows past
 * the limit, which bounds memory on corpora with millions of distinct tokens (numbers, code).
 */
const MEMO_LIMIT = 200_000;
let memo = new Map<string, string>();

/**
 * EnglishPossessiveFilter -> LowerCaseFilter -> StopFilter -> PorterStemFilter on one StandardTokenizer token;
 * '' means "no token" (stop word, or nothing left). `analyze` is `tokenize` followed by this on every token.
 */
export function filterToken(raw: string): string {
  const lower = javaLowerCase(stripPossessive(raw));
  if (lower.length === 0 || ENGLISH_STOP_WORDS.has(lower)) return '';
  return porterStem(lower);
}

/**
 * pyserini's default analyzer (`get_lucene_analyzer()`: anserini's DefaultEnglishAnalyzer with Porter stemming and
 * Lucene's English stop words), as `Analyzer.analyze` returns it: tokens in order, duplicates kept, empty ones dropped.
 */
export function analyze(text: string): string[] {
  const tokens: string[] = [];
  tokenize(text, (start, end) => {
    const raw = text.slice(start, end);
    let filtered = memo.get(raw);
    if (filtered === undefined) {
      filtered = filterToken(raw);
      if (memo.size >= MEMO_LIMIT) memo = new Map();
      memo.set(raw, filtered);
    }
    if (filtered.length > 0) tokens.push(filtered);
  });
  return tokens;
}

/** The token list after each stage of the chain, for locating where a difference from Lucene starts. */
export interface AnalyzerStages {
  tokenizer: string[];
  possessive: string[];
  lowercase: string[];
  stop: string[];
  porter: string[];
}

export function analyzeStages(text: string): AnalyzerStages {
  const tokenizer: string[] = [];
  tokenize(text, (start, end) => tokenizer.push(text.slice(start, end)));
  const possessive = tokenizer.map(stripPossessive);
  const lowercase = possessive.map(javaLowerCase);
  const stop = lowercase.filter((token) => !ENGLISH_STOP_WORDS.has(token));
  const porter = stop.map(porterStem).filter((token) => token.length > 0);
  return { tokenizer, possessive, lowercase, stop, porter };
}
