/** Empty and malformed inputs name the file (and the row or line) and exit 3, never exit 70 or a silent 0. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const trecCase = path.join(repoRoot, 'test', 'fixtures', 'trec_eval', 'p01_biology_random_scores');
const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const tinyBert = path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-bert');
const work = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bad-inputs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A float32 .npy file (NumPy format 1.0), rows x cols, filled by `value(row, col)`. */
function writeNpy(file: string, rows: number, cols: number, value: (row: number, col: number) => number): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix.writeUInt8(1, 6);
  prefix.writeUInt8(0, 7);
  prefix.writeUInt16LE(header.length, 8);
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = value(r, c);
  writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

describe('empty run and qrels files', () => {
  it('name the file and exit 3', async () => {
    const empty = path.join(work, 'empty.txt');
    writeFileSync(empty, '\n\n');
    const run = await runReasonir(['score', '--run', empty, '--qrels', path.join(trecCase, 'qrels.txt')]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`error: run file ${empty} holds no ranked documents (it is empty)`);
    const qrels = await runReasonir(['score', '--run', path.join(trecCase, 'run.txt.gz'), '--qrels', empty]);
    expect(qrels.code).toBe(3);
    expect(qrels.stderr).toContain(`error: qrels file ${empty} holds no judgments`);
  });
});

describe('malformed tokenizer files', () => {
  const cases = [
    ['tokenizer.json', '{"version": "1.0", "trunc', 'is not valid JSON'],
    ['tokenizer_config.json', '{"model_max_length": 5', 'is not valid JSON'],
    ['tokenizer.json', '[1, 2]', 'holds JSON but not an object'],
    ['tokenizer.json', '{"version": "1.0"}', 'is not a tokenizer the tokenizers library can load'],
  ] as const;
  cases.forEach(([file, bytes, message], index) => {
    it(`${file} holding ${JSON.stringify(bytes)} is exit 3 naming it`, async () => {
      const dir = path.join(work, `model-${index}`);
      mkdirSync(dir, { recursive: true });
      for (const name of ['model.onnx', 'reasonir.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(path.join(tinyBert, name), path.join(dir, name));
      writeFileSync(path.join(dir, file), bytes);
      const result = await runReasonir(['eval', '--task', 'pony', '--retriever', 'dense', '--model', dir, '--data-dir', fixtureData, '--out', path.join(dir, 'out')], {
        env: { REASONIR_CACHE: path.join(work, 'cache') },
      });
      expect(result.stderr).not.toContain('internal error');
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`tokenizer: ${path.join(dir, file)} ${message}`);
    });
  });
});

describe('precomputed embeddings', () => {
  it('a dimension mismatch names both files; a NaN names the file, the id and the row', async () => {
    const task = await loadTask({ task: 'pony', dataDir: fixtureData });
    const queries = path.join(work, 'q.npy');
    const docs = path.join(work, 'd.npy');
    const narrow = path.join(work, 'd3.npy');
    writeNpy(queries, task.queries.length, 4, (r, c) => Math.cos(r + c));
    writeNpy(narrow, task.corpus.ids.length, 3, (r, c) => Math.sin(r * c));
    const run = (docFile: string, queryFile: string) =>
      runReasonir(['eval', '--task', 'pony', '--retriever', 'embeddings', '--doc-emb', docFile, '--query-emb', queryFile, '--data-dir', fixtureData, '--out', path.join(work, `out-${path.basename(docFile)}-${path.basename(queryFile)}`)]);

    const mismatch = await run(narrow, queries);
    expect(mismatch.code).toBe(3);
    expect(mismatch.stderr).toContain(`query vectors in ${queries} have 4 dimensions, document vectors in ${narrow} have 3`);

    writeNpy(docs, task.corpus.ids.length, 4, (r, c) => (r === 5 && c === 2 ? Number.NaN : Math.sin(r * c)));
    const nan = await run(docs, queries);
    expect(nan.code).toBe(3);
    expect(nan.stderr).toContain(`embeddings: ${docs}: the vector of document ${task.corpus.ids.id(5)} (row 5) holds NaN at dimension 2`);

    writeNpy(queries, task.queries.length, 4, (r) => (r === 1 ? Number.POSITIVE_INFINITY : 1));
    const inf = await run(narrow.replace('d3', 'd'), queries);
    expect(inf.code).toBe(3);
    expect(inf.stderr).toContain(`embeddings: ${queries}: the vector of query ${task.queries[1]!.id} (row 1) holds Infinity at dimension 0`);
  });
});
