import { promises as fs } from 'node:fs';
import { dataError } from '../../core/errors.js';
import { widenHalves } from '../../encode/half-float.js';

/** A 2-D little-endian float32/float16 C-order .npy file (what BRIGHT and ReasonIR write with np.save). */
export interface NpyMatrix {
  file: string;
  rows: number;
  cols: number;
  dtype: 'float32' | 'float16';
  dataOffset: number;
}

export async function openNpy(file: string): Promise<NpyMatrix> {
  const handle = await fs.open(file, 'r').catch((error: unknown) => {
    throw dataError('embeddings.missing', `embeddings: cannot open ${file}: ${(error as Error).message}`, error);
  });
  try {
    const head = Buffer.alloc(12);
    await handle.read(head, 0, 12, 0);
    if (head.toString('latin1', 0, 6) !== '\x93NUMPY') throw dataError('embeddings.bad_npy', `embeddings: ${file} is not a .npy file (bad magic)`);
    const major = head[6]!;
    const headerLength = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const headerStart = major === 1 ? 10 : 12;
    const header = Buffer.alloc(headerLength);
    await handle.read(header, 0, headerLength, headerStart);
    const text = header.toString(major >= 3 ? 'utf8' : 'latin1');
    const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
    const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
    const shape = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
    const dims = (shape ?? '').split(',').map((part) => part.trim()).filter(Boolean).map(Number);
    const dtype = descr === '<f4' ? 'float32' : descr === '<f2' ? 'float16' : undefined;
    if (!dtype) throw dataError('embeddings.bad_npy', `embeddings: ${file} has dtype ${descr}; expected little-endian float32 (<f4) or float16 (<f2)`);
    if (fortran !== 'False') throw dataError('embeddings.bad_npy', `embeddings: ${file} is Fortran-ordered; save it with np.ascontiguousarray`);
    if (dims.length !== 2) throw dataError('embeddings.bad_npy', `embeddings: ${file} has shape (${shape}); expected a 2-D (rows, dim) matrix`);
    const matrix: NpyMatrix = { file, rows: dims[0]!, cols: dims[1]!, dtype, dataOffset: headerStart + headerLength };
    const expectedBytes = matrix.dataOffset + matrix.rows * matrix.cols * (dtype === 'float32' ? 4 : 2);
    const { size } = await handle.stat();
    if (size !== expectedBytes) throw dataError('embeddings.bad_npy', `embeddings: ${file} is ${size} bytes, its header implies ${expectedBytes} (truncated?)`);
    return matrix;
  } finally {
    await handle.close();
  }
}

/**
 * Rows [start, start+count) as float32, in `into` when given (its first count*cols values; a buffer reused from
 * block to block) or in a new array. A float32 file is read straight into that memory (one read, no staging
 * buffer, no copy); float16 is widened through a Uint16Array view of its bytes.
 */
export async function readNpyRows(matrix: NpyMatrix, start: number, count: number, into?: Float32Array): Promise<Float32Array> {
  const values = count * matrix.cols;
  const out = into ? into.subarray(0, values) : new Float32Array(values);
  if (out.length !== values) throw new RangeError(`readNpyRows: a buffer of ${into?.length} values cannot hold ${count} rows of ${matrix.cols}`);
  // .npy '<f4' / '<f2' are little-endian, as are the x86-64 and arm64 hosts onnxruntime-node supports
  const halves = matrix.dtype === 'float16' ? new Uint16Array(values) : undefined;
  const target = halves ? new Uint8Array(halves.buffer) : new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const position = matrix.dataOffset + start * matrix.cols * (halves ? 2 : 4);
  const handle = await fs.open(matrix.file, 'r');
  try {
    for (let done = 0; done < target.length; ) {
      const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
      if (bytesRead === 0) throw dataError('embeddings.bad_npy', `embeddings: ${matrix.file} ended at byte ${position + done}, before row ${start + count} (it changed while being read?)`);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  if (halves) widenHalves(halves, out);
  return out;
}
