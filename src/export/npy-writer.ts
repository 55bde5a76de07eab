/**
 * float32 2-D arrays as numpy's np.save writes them (format 1.0, the header padded with numpy's growth space and
 * aligned to 64 bytes), so BRIGHT's and ReasonIR's np.load reads our embeddings and the bytes equal numpy's own.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export function npyHeader(rows: number, cols: number): Buffer {
  // numpy leaves room for the first axis to grow to 21 digits without rewriting the file
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }${' '.repeat(21 - String(rows).length)}`;
  const unpadded = 6 + 2 + 2 + dict.length + 1;
  const padding = 64 - (unpadded % 64);
  const header = Buffer.alloc(10);
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(dict.length + padding + 1, 8);
  return Buffer.concat([header, Buffer.from(`${dict}${' '.repeat(padding)}\n`, 'latin1')]);
}

/** Streams row blocks (row-major float32) into `file`; the row count must be known up front for the header. */
export async function writeNpy(file: string, rows: number, cols: number, blocks: AsyncIterable<Float32Array> | Iterable<Float32Array>): Promise<void> {
  const out = createWriteStream(file);
  const done = once(out, 'finish');
  const failed = once(out, 'error').then(([error]) => Promise.reject(error as Error));
  const write = async (chunk: Buffer) => {
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
  };
  await write(npyHeader(rows, cols));
  let written = 0;
  for await (const block of blocks) {
    written += block.length;
    await write(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
  }
  out.end();
  await Promise.race([done, failed]);
  if (written !== rows * cols) throw new Error(`npy ${file}: wrote ${written} values, the header promises ${rows * cols}`);
}
