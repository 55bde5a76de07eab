import { CorpusIds } from './corpus-ids.js';
import type { Corpus, CorpusSource, TextBatch } from './types.js';
import { throwIfAborted } from './errors.js';

/** A corpus already in memory, as a source (tests, benchmarks, library callers). */
export function memoryCorpus(corpus: Corpus): CorpusSource {
  return {
    ids: CorpusIds.of(corpus.ids),
    async *texts(options = {}) {
      throwIfAborted(options.signal);
      const from = options.from ?? 0;
      if (from < corpus.texts.length) yield { start: from, texts: corpus.texts.slice(from) };
    },
  };
}

/**
 * Reads ascending, non-overlapping row ranges of a source's texts with one pass over the stream: rows before a
 * range are skipped (row groups wholly before the first range are not decoded), rows after it wait for the next.
 */
export function textRanges(source: CorpusSource, signal?: AbortSignal): (start: number, end: number) => Promise<string[]> {
  let stream: AsyncIterator<TextBatch> | undefined;
  let pending: TextBatch | undefined;
  let position = 0;
  return async (start, end) => {
    if (start < position) throw new Error(`text ranges must ascend: row ${start} requested after row ${position}`);
    stream ??= source.texts({ from: start, signal })[Symbol.asyncIterator]();
    const out: string[] = [];
    while (out.length < end - start) {
      if (!pending || pending.start + pending.texts.length <= start + out.length) {
        const next = await stream.next();
        if (next.done) throw new Error(`the corpus ended before row ${start + out.length}`);
        pending = next.value;
        continue;
      }
      if (pending.start > start + out.length) throw new Error(`the corpus stream skipped row ${start + out.length}`);
      const from = start + out.length - pending.start;
      const to = Math.min(end - pending.start, pending.texts.length);
      for (let i = from; i < to; i++) out.push(pending.texts[i]!);
    }
    position = end;
    return out;
  };
}
