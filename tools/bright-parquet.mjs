/**
 * Writes BRIGHT-shaped parquet files the way Hugging Face `datasets` (pyarrow) lays them out: optional UTF8
 * string columns and 3-level LIST<string> columns, SNAPPY. Used by the fixture script, the tests and the benchmark.
 */
import { ByteWriter, ParquetWriter, fileWriter } from 'hyparquet-writer';

/** Column layout of each BRIGHT config. */
export const brightColumns = {
  examples: { query: 'string', reasoning: 'string', id: 'string', excluded_ids: 'string[]', gold_ids_long: 'string[]', gold_ids: 'string[]', gold_answer: 'string' },
  documents: { id: 'string', content: 'string' },
};

function schemaFor(columns) {
  const schema = [{ name: 'schema', num_children: Object.keys(columns).length }];
  for (const [name, kind] of Object.entries(columns)) {
    if (kind === 'string') {
      schema.push({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'OPTIONAL' });
    } else if (kind === 'string[]') {
      schema.push(
        { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'OPTIONAL' },
      );
    } else if (kind === 'int64') {
      schema.push({ name, type: 'INT64', repetition_type: 'OPTIONAL' });
    } else {
      throw new Error(`unknown column kind ${kind}`);
    }
  }
  return schema;
}

/**
 * Starts a parquet file. `columns` maps name -> 'string' | 'string[]' | 'int64'; call `write(rows)` once per
 * row group (rows are objects), then `finish()`. `filename` undefined: in memory, `finish()` returns the bytes.
 * `encodings` (optional) forces a column's encoding, e.g. RLE_DICTIONARY where pyarrow would use a dictionary.
 */
export function openBrightParquet({ filename, columns, codec = 'SNAPPY', encodings = {} }) {
  const writer = filename === undefined ? new ByteWriter() : fileWriter(filename);
  const parquet = new ParquetWriter({ writer, schema: schemaFor(columns), codec, createdBy: 'parquet-cpp-arrow version 17.0.0' });
  const names = Object.keys(columns);
  return {
    write(rows) {
      const columnData = names.map((name) => ({ name, data: rows.map((row) => row[name] ?? null), encoding: encodings[name] }));
      parquet.write({ columnData, rowGroupSize: rows.length });
    },
    finish() {
      parquet.finish();
      return filename === undefined ? new Uint8Array(writer.getBuffer()) : undefined;
    },
  };
}

/** Writes `rows` as one parquet file in row groups of `rowGroupSize` rows; returns the bytes when no filename. */
export function writeBrightParquet({ filename, columns, rows, rowGroupSize = 10_000, codec }) {
  const file = openBrightParquet({ filename, columns, codec });
  for (let start = 0; start < rows.length; start += rowGroupSize) file.write(rows.slice(start, start + rowGroupSize));
  if (rows.length === 0) file.write([]);
  return file.finish();
}
