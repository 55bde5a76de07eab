import { tokenize } from './standard-tokenizer.js';
import { stripPossessive } from './english-possessive.js';
import { javaLowerCase } from './java-lowercase.js';
import { ENGLISH_STOP_WORDS } from './english-stop-words.js';
import { porterStem } from './porter-stemmer.js';
import { TokenBags } from './token-bags.js';

export { ANALYZER_VERSION } from './analyzer-version.js';

/**
 * Distinct raw tokens remembered per thread before the table starts afresh: this bounds memory on corpora with
 * millions of distinct tokens (numbers, code) while Zipf keeps the hit rate high (a few thousand distinct tokens
 * cover most of a text).
 */
export const RAW_TOKEN_LIMIT = 1 << 19;

/**
 * Distinct raw tokens expected in `units` UTF-16 units of text: Heaps' law fitted on the bench's English-like
 * corpora (within ~6 % from 0.25M to 34M units: 12k, 64k, 246k, 359k tokens). Used only to size a token table
 * up front; real text with fewer distinct tokens leaves a table at most a doubling larger than it needs, which is
 * the memory the doublings would have allocated on the way anyway.
 */
function rawTokensExpected(units: number): number {
  return Math.ceil(3.3 * Math.max(0, units) ** 0.68);
}

/** Filtered terms per distinct raw token (stop words, case, possessive and stemming variants fold together). */
const TERMS_PER_RAW_TOKEN = 0.7;

/**
 * Sizes for token tables expected to see `expectedUnits` UTF-16 units of text (0: unknown): the distinct raw tokens
 * they will remember at a time (up to the raw-token limit) and the terms they will number, so that the tables
 * start at that size instead of doubling their way there.
 */
export function tokenTableSizes(rawTokenLimit: number, expectedUnits: number): { rawTokens: number; terms: number } {
  const rawTokens = rawTokensExpected(expectedUnits);
  return { rawTokens: Math.min(rawTokenLimit, rawTokens), terms: Math.ceil(rawTokens * TERMS_PER_RAW_TOKEN) };
}

/**
 * Terms this thread's `analyze` numbers before it starts afresh: a long-lived thread analyzing unbounded text (the
 * analyze command on a stream) keeps a bounded table, while queries and documents of any one run stay well below.
 */
const TERM_LIMIT = 1 << 20;

let bags: TokenBags | undefined;

/**
 * pyserini's default analyzer (`get_lucene_analyzer()`: anserini's DefaultEnglishAnalyzer with Porter stemming and
 * Lucene's English stop words), as `Analyzer.analyze` returns it: tokens in order, duplicates kept, empty ones dropped.
 * Runs the chain in WebAssembly (TokenBags): each distinct raw token is filtered once per thread, and each term's
 * string is made once.
 */
export function analyze(text: string): string[] {
  if (bags === undefined || bags.terms >= TERM_LIMIT) bags = new TokenBags(RAW_TOKEN_LIMIT, 0, 0);
  return bags.tokenStrings(text);
}

/**
 * `analyze` of each text (a run's queries). A thread with no tables yet makes them for these texts' expected sizes,
 * without the rooms `analyze` takes for a corpus: those are ~26 MB of WebAssembly memory that V8 counts as external
 * memory, which on a cached BM25 eval (~67 MB external in all) started a mark-compact for external memory pressure
 * (64 MB) during the search. More text later still fits: the tables grow.
 */
export function analyzeAll(texts: readonly string[]): string[][] {
  if (bags === undefined) {
    let units = 0;
    for (const text of texts) units += text.length;
    const { rawTokens, terms } = tokenTableSizes(RAW_TOKEN_LIMIT, units);
    bags = new TokenBags(RAW_TOKEN_LIMIT, rawTokens, terms, false);
  }
  return texts.map(analyze);
}

/**
 * The token list after each stage of the chain, from the JavaScript port of each Lucene stage: for locating where a
 * difference from Lucene starts, and the reference the WebAssembly chain is tested against.
 */
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
