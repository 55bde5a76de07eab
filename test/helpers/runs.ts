import { RankedList, type Run } from '../../src/eval/ranked-list.js';

/** One ranked document as tests write and compare them. */
export interface Doc {
  docId: string;
  score: number;
}

type Pairs = ReadonlyArray<readonly [string, number]>;

/** A run from [docId, score] pairs per query, queries and documents in the order given (an entry list keeps integer-like query ids in order). */
export function runOf(entries: Record<string, Pairs> | ReadonlyArray<readonly [string, Pairs]>): Run {
  const list: ReadonlyArray<readonly [string, Pairs]> = Array.isArray(entries) ? (entries as ReadonlyArray<readonly [string, Pairs]>) : Object.entries(entries);
  return new Map(list.map(([queryId, docs]) => [queryId, RankedList.of(docs.map(([docId]) => docId), docs.map(([, score]) => score))]));
}

/** A list's documents in rank order, as records to compare. */
export function docsOf(list: RankedList): Doc[] {
  return Array.from({ length: list.length }, (_, i) => ({ docId: list.docId(i), score: list.scores[i]! }));
}

/** A run as docsOf per query, queries in run order. */
export function docsByQuery(run: Run): Map<string, Doc[]> {
  return new Map([...run].map(([queryId, list]) => [queryId, docsOf(list)]));
}

/** The run that docsByQuery would turn into `docs`. */
export function runFromDocs(docs: ReadonlyMap<string, readonly Doc[]>): Run {
  return runOf([...docs].map(([queryId, list]) => [queryId, list.map(({ docId, score }) => [docId, score] as const)] as const));
}
