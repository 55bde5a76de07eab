import { tokenize } from './standard-tokenizer.js';
import { stripPossessive } from './english-possessive.js';
import { javaLowerCase } from './java-lowercase.js';
import { ENGLISH_STOP_WORDS } from './english-stop-words.js';
import { porterStem } from './porter-stemmer.js';
import { LUCENE_VERSION } from './generated/lucene-tables.js';
import { SubstringMap } from './substring-map.js';
import { Utf16Interner } from './utf16-interner.js';

/**
 * Identifies the token stream `analyze` produces; part of every analyzed-index cache key. Bump the suffix whenever
 * a change could alter any token.
 */
export const ANALYZER_VERSION = `lucene-${LUCENE_VERSION}-english-porter.1`;

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
 * The filters after the tokenizer act on one token at a time, so their result depends on the token text alone:
 * each distinct raw token is filtered once and later occurrences are found by hashing the text's UTF-16 units in
 * place, without a string per token. Filtered forms get dense term numbers, which is what indexing wants.
 */
export class TokenTable {
  /** Term number of each distinct raw token, -1 when the filters drop it. */
  private readonly raw: SubstringMap;
  /**
   * The filtered forms: a term number is an id here. Kept as UTF-16 units, not strings, so that a thread meeting
   * hundreds of thousands of new tokens leaves no string per term for the garbage collector to copy.
   */
  private readonly filtered: Utf16Interner;
  /** Strings of the terms asked for by `term`. */
  private readonly strings: string[] = [];

  constructor() {
    this.raw = new SubstringMap();
    this.filtered = new Utf16Interner();
  }

  /** Past the limit: the caller should start afresh with a new table. */
  get full(): boolean {
    return this.raw.size >= RAW_TOKEN_LIMIT;
  }

  /** Number of distinct terms; term numbers are 0 .. size - 1 in order of first appearance. */
  get size(): number {
    return this.filtered.size;
  }

  /** The filtered form of term number `term`. */
  term(term: number): string {
    return (this.strings[term] ??= this.filtered.text(term));
  }

  /** Term number of the raw token `text[start, end)` after the filters, -1 when no token is left. */
  termOf(text: string, start: number, end: number): number {
    return this.raw.get(text, start, end, this.filterNew);
  }

  private readonly filterNew = (text: string, start: number, end: number): number => {
    const filtered = filterToken(text.slice(start, end));
    return filtered.length > 0 ? this.filtered.intern(filtered, 0, filtered.length) : -1;
  };
}

let table = new TokenTable();

/**
 * This thread's token table, started afresh when it has grown past the limit. Term numbers stay valid until the
 * next call, so a caller takes the table once per text or chunk and uses only that.
 */
export function tokenTable(): TokenTable {
  if (table.full) table = new TokenTable();
  return table;
}

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
  const current = tokenTable();
  tokenize(text, (start, end) => {
    const term = current.termOf(text, start, end);
    if (term >= 0) tokens.push(current.term(term));
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
