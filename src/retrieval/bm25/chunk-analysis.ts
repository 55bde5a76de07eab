import { filterToken } from '../analyzer/analyze.js';
import { tokenize } from '../analyzer/standard-tokenizer.js';
import { narrowCounts, type NarrowCounts } from './narrow-counts.js';

/**
 * The analyzed form of a run of consecutive documents, compact enough to cross a worker boundary by transfer:
 * each document is a bag of words over the chunk's own vocabulary. Local term ids are ranks in code-point order,
 * so a document's terms listed by ascending local id are already in the order gensim assigns new ids (Python
 * sorts the missing tokens of a document as strings, i.e. by code point).
 */
export interface ChunkAnalysis {
  /** Distinct tokens of the chunk in code-point order; a local term id is an index into it. */
  vocabulary: string[];
  /** Document i's terms are `terms[docOffsets[i] .. docOffsets[i + 1])`. */
  docOffsets: Uint32Array;
  /** Local term ids, ascending within each document. */
  terms: Uint32Array;
  /** Term frequency of the matching entry of `terms`. */
  tfs: NarrowCounts;
}

/**
 * Analyzes the documents and bags them. Equivalent to bagging `analyze(text)` of each document, but a raw token
 * seen before in the chunk costs one map lookup: its filtered form's local id (or -1, no token) is remembered.
 */
export function analyzeChunk(texts: readonly string[]): ChunkAnalysis {
  const vocabulary = new LocalVocabulary();
  const idOfRaw = new Map<string, number>();
  return bag(texts.length, vocabulary, (doc, add) => {
    const text = texts[doc]!;
    tokenize(text, (start, end) => {
      const raw = text.slice(start, end);
      let id = idOfRaw.get(raw);
      if (id === undefined) {
        const token = filterToken(raw);
        id = token.length === 0 ? -1 : vocabulary.idOf(token);
        idOfRaw.set(raw, id);
      }
      if (id >= 0) add(id);
    });
  });
}

/** The chunk of `count` documents whose tokens `tokensOf(doc)` gives (already analyzed). */
export function bagChunk(count: number, tokensOf: (doc: number) => readonly string[]): ChunkAnalysis {
  const vocabulary = new LocalVocabulary();
  return bag(count, vocabulary, (doc, add) => {
    for (const token of tokensOf(doc)) add(vocabulary.idOf(token));
  });
}

/** Local ids in order of first appearance (renumbered to code-point ranks at the end). */
class LocalVocabulary {
  readonly ids = new Map<string, number>();
  readonly firstSeen: string[] = [];

  idOf(token: string): number {
    let id = this.ids.get(token);
    if (id === undefined) {
      id = this.firstSeen.length;
      this.ids.set(token, id);
      this.firstSeen.push(token);
    }
    return id;
  }
}

function bag(
  count: number,
  local: LocalVocabulary,
  visit: (doc: number, add: (id: number) => void) => void,
): ChunkAnalysis {
  const docOffsets = new Uint32Array(count + 1);
  let terms = new Uint32Array(1024);
  let tfs = new Uint32Array(1024);
  let nnz = 0;
  let counts = new Uint32Array(1024);
  let distinct: number[] = [];
  const add = (id: number) => {
    if (id >= counts.length) counts = grow(counts, id + 1);
    if (counts[id]!++ === 0) distinct.push(id);
  };
  for (let doc = 0; doc < count; doc++) {
    distinct = [];
    visit(doc, add);
    if (nnz + distinct.length > terms.length) {
      terms = grow(terms, nnz + distinct.length);
      tfs = grow(tfs, nnz + distinct.length);
    }
    for (const id of distinct) {
      terms[nnz] = id;
      tfs[nnz++] = counts[id]!;
      counts[id] = 0;
    }
    docOffsets[doc + 1] = nnz;
  }

  const { firstSeen, ids: localIds } = local;
  const vocabulary = sortByCodePoint(firstSeen);
  const rank = new Uint32Array(firstSeen.length);
  for (let r = 0; r < vocabulary.length; r++) rank[localIds.get(vocabulary[r]!)!] = r;
  let largestTf = 0;
  for (let p = 0; p < nnz; p++) if (tfs[p]! > largestTf) largestTf = tfs[p]!;
  const sortedTerms = new Uint32Array(nnz);
  const sortedTfs = narrowCounts(nnz, largestTf);
  const tfByRank = new Uint32Array(vocabulary.length);
  for (let doc = 0; doc < count; doc++) {
    const start = docOffsets[doc]!;
    const end = docOffsets[doc + 1]!;
    for (let p = start; p < end; p++) {
      const r = rank[terms[p]!]!;
      sortedTerms[p] = r;
      tfByRank[r] = tfs[p]!;
    }
    sortedTerms.subarray(start, end).sort();
    for (let p = start; p < end; p++) sortedTfs[p] = tfByRank[sortedTerms[p]!]!;
  }
  return { vocabulary, docOffsets, terms: sortedTerms, tfs: sortedTfs };
}

function grow(array: Uint32Array, minimum: number): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(Math.max(minimum, array.length * 2));
  grown.set(array);
  return grown;
}

/**
 * Python's string order (code points). JavaScript's default sort compares UTF-16 units, which differs only when a
 * surrogate pair meets a BMP character at or above U+E000, so the native sort is kept unless a surrogate occurs.
 */
export function sortByCodePoint(strings: readonly string[]): string[] {
  const sorted = [...strings].sort();
  if (!sorted.some((s) => /[\ud800-\udfff]/.test(s))) return sorted;
  return sorted.sort(compareCodePoints);
}

export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrderKey(x) - codePointOrderKey(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000..U+FFFF, which makes UTF-16 unit order equal code-point order. */
function codePointOrderKey(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
