/**
 * Identifies the token stream `analyze` produces; part of every analyzed-index cache key. Bump the suffix whenever
 * a change could alter any token. In a module of its own: the BM25 retriever needs it to find a cached index
 * before any text is analyzed, without loading the analyzer.
 */
import { LUCENE_VERSION } from './generated/lucene-tables.js';

export const ANALYZER_VERSION = `lucene-${LUCENE_VERSION}-english-porter.1`;
