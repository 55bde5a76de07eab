// Runs the dense retriever (compiled dist/) on a synthetic corpus; spawned by the interruption tests.
// argv: cacheDir docCount chunkRows [holdAfterChunks]; prints "done <n candidates>" on success. With holdAfterChunks,
// once that many document chunks are cached it prints "held <rows>" and blocks until killed: the parent kills it
// mid-encoding however slow or fast the machine, never after it finished.
import { readSync } from 'node:fs';
import { createDenseRetriever } from '../../dist/retrieval/create-dense.js';
import { interruptSignal } from '../../dist/core/interrupt.js';
import { noProgress } from '../../dist/core/progress.js';
import { retrieve } from '../../dist/pipeline/retrieve.js';
import { syntheticCorpus, syntheticQueries } from './synthetic.mjs';

const [cacheDir, docCount, chunkRows, holdAfterChunks] = process.argv.slice(2);
const signal = interruptSignal();
const corpus = syntheticCorpus(Number(docCount));
const holdAt = holdAfterChunks === undefined ? Infinity : Number(holdAfterChunks) * Number(chunkRows);
const progress = (label, total) => {
  if (!label.endsWith('documents')) return noProgress(label, total);
  return {
    ...noProgress(label, total),
    update(done) {
      if (done < holdAt) return;
      process.stdout.write(`held ${done}\n`);
      // stdin is a pipe the parent never writes to: this read returns only when the process is killed
      readSync(0, Buffer.alloc(1));
    },
  };
};
try {
  const retriever = await createDenseRetriever({
    model: new URL('../fixtures/models/tiny-bert', import.meta.url).pathname,
    device: 'cpu',
    cacheDir,
    chunkRows: Number(chunkRows),
    batchTokens: 2048,
    signal,
  });
  let count = 0;
  for await (const _ of retrieve(retriever, { task: 'biology', corpus, corpusSha256: 'synthetic', queries: syntheticQueries(5), depth: 10, signal, progress })) count++;
  process.stdout.write(`done ${count}\n`);
} catch (error) {
  process.stderr.write(`${error.name}: ${error.message}\n`);
  process.exitCode = error.exitCode ?? 1;
}
