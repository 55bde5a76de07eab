// Runs the dense retriever (compiled dist/) on a synthetic corpus; spawned by the interruption tests.
// argv: cacheDir docCount chunkRows; prints "done <n candidates>" on success.
import { createDenseRetriever } from '../../dist/retrieval/create-dense.js';
import { interruptSignal } from '../../dist/core/interrupt.js';
import { retrieve } from '../../dist/pipeline/retrieve.js';
import { syntheticCorpus, syntheticQueries } from './synthetic.mjs';

const [cacheDir, docCount, chunkRows] = process.argv.slice(2);
const signal = interruptSignal();
const corpus = syntheticCorpus(Number(docCount));
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
  for await (const _ of retrieve(retriever, { task: 'biology', corpus, corpusSha256: 'synthetic', queries: syntheticQueries(5), depth: 10, signal })) count++;
  process.stdout.write(`done ${count}\n`);
} catch (error) {
  process.stderr.write(`${error.name}: ${error.message}\n`);
  process.exitCode = error.exitCode ?? 1;
}
