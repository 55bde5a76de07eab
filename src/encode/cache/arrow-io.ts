/**
 * Embeddings as Arrow IPC files: an `id` Utf8 column and an `embedding` FixedSizeList<Float32> column, one record
 * batch per encoded chunk. pyarrow reads them as they are (`pyarrow.ipc.open_file(path).read_all()`); files pyarrow
 * wrote with lz4 or zstd buffer compression are read too.
 */
import { createWriteStream, promises as fs } from 'node:fs';
import { Field, FixedSizeList, Float32, makeData, RecordBatch, RecordBatchFileWriter, RecordBatchReader, Schema, Struct, tableFromIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { dataError, HarnessError } from '../../core/errors.js';
import { registerArrowCodecs } from './arrow-codecs.js';

registerArrowCodecs();

export interface EmbeddingRows {
  ids: string[];
  /** ids.length x dim, row-major */
  vectors: Float32Array;
  dim: number;
}

function schemaFor(dim: number): { schema: Schema; fields: Field[]; listType: FixedSizeList<Float32> } {
  const listType = new FixedSizeList(dim, new Field('item', new Float32(), false));
  const fields = [new Field('id', new Utf8(), false), new Field('embedding', listType, false)];
  return { schema: new Schema(fields), fields, listType };
}

function recordBatch(rows: EmbeddingRows): RecordBatch {
  const { schema, fields, listType } = schemaFor(rows.dim);
  const values = makeData({ type: new Float32(), length: rows.vectors.length, data: rows.vectors });
  const embedding = makeData({ type: listType, length: rows.ids.length, nullCount: 0, child: values });
  const id = vectorFromArray(rows.ids, new Utf8()).data[0]!;
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows.ids.length, nullCount: 0, children: [id, embedding] }));
}

/** Streams record batches into `file` (not atomic by itself: write to a temporary name and rename). */
export async function writeArrowFile(file: string, batches: AsyncIterable<EmbeddingRows> | Iterable<EmbeddingRows>): Promise<void> {
  const writer = new RecordBatchFileWriter();
  const out = createWriteStream(file);
  const finished = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  writer.toNodeStream().pipe(out);
  for await (const rows of batches) writer.write(recordBatch(rows));
  writer.finish();
  await finished;
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function batchRows(batch: RecordBatch, file: string): EmbeddingRows {
  const ids = batch.getChild('id');
  const embedding = batch.getChild('embedding');
  if (!ids || !embedding || !(embedding.type instanceof FixedSizeList)) {
    throw dataError('embeddings.bad_arrow', `embeddings: ${file} needs an "id" column and an "embedding" FixedSizeList<Float32> column`);
  }
  const dim = (embedding.type as FixedSizeList).listSize;
  const vectors = new Float32Array(batch.numRows * dim);
  let at = 0;
  for (const data of embedding.data) {
    const child = data.children[0]!;
    const values = child.values as Float32Array;
    if (!(values instanceof Float32Array)) throw dataError('embeddings.bad_arrow', `embeddings: ${file}: embedding values must be float32`);
    const start = child.offset + data.offset * dim;
    vectors.set(values.subarray(start, start + data.length * dim), at);
    at += data.length * dim;
  }
  return { ids: ids.toArray() as string[], vectors, dim };
}

/** apache-arrow's own errors (truncated file, corrupt compressed buffer) name neither the file nor a way out. */
function unreadable(file: string, error: unknown): unknown {
  // our own errors and the OS's (EIO, EACCES: they carry a syscall) already say what happened
  if (error instanceof HarnessError || (error as NodeJS.ErrnoException).syscall !== undefined) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return dataError('embeddings.bad_arrow', `embeddings: ${file} is not a readable Arrow IPC file (${reason}); rewrite it (pyarrow.feather.write_feather, any compression)`, error);
}

/** Record batches in file order, one at a time (memory: one batch). */
export async function* readArrowBatches(file: string): AsyncGenerator<EmbeddingRows> {
  const handle = await fs.open(file, 'r');
  try {
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    for await (const batch of reader) yield batchRows(batch, file);
  } catch (error) {
    // a consumer that stops early returns through finally, never here: only reading fails into this
    throw unreadable(file, error);
  } finally {
    await handle.close();
  }
}

/** A small file (one chunk, query embeddings) read whole. */
export async function readArrowFile(file: string): Promise<EmbeddingRows> {
  const bytes = await fs.readFile(file);
  let table: ReturnType<typeof tableFromIPC>;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw unreadable(file, error);
  }
  const parts = table.batches.map((batch) => batchRows(batch, file));
  const dim = parts[0]?.dim ?? 0;
  const vectors = new Float32Array(table.numRows * dim);
  let at = 0;
  for (const part of parts) {
    vectors.set(part.vectors, at);
    at += part.vectors.length;
  }
  return { ids: parts.flatMap((part) => part.ids), vectors, dim };
}

/** Consecutive rows in blocks of at least `blockRows` (whole record batches), for the search's bounded memory. */
export async function* readArrowBlocks(file: string, blockRows: number): AsyncGenerator<{ start: number; rows: number; vectors: Float32Array }> {
  let pending: Float32Array[] = [];
  let rows = 0;
  let start = 0;
  const flush = () => {
    const vectors = new Float32Array(pending.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of pending) {
      vectors.set(part, at);
      at += part.length;
    }
    const block = { start, rows, vectors };
    start += rows;
    pending = [];
    rows = 0;
    return block;
  };
  for await (const batch of readArrowBatches(file)) {
    pending.push(batch.vectors);
    rows += batch.ids.length;
    if (rows >= blockRows) yield flush();
  }
  if (rows > 0) yield flush();
}
