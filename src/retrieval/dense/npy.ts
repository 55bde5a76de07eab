import { promises as fs } from 'node:fs';
import { dataError } from '../../core/errors.js';
import { halfToFloat } from '../../encode/half-float.js';

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

/** Rows [start, start+count) widened to float32. */
export async function readNpyRows(matrix: NpyMatrix, start: number, count: number): Promise<Float32Array> {
  const width = matrix.dtype === 'float32' ? 4 : 2;
  const bytes = Buffer.alloc(count * matrix.cols * width);
  const handle = await fs.open(matrix.file, 'r');
  try {
    await handle.read(bytes, 0, bytes.length, matrix.dataOffset + start * matrix.cols * width);
  } finally {
    await handle.close();
  }
  const out = new Float32Array(count * matrix.cols);
  if (matrix.dtype === 'float32') {
    // .npy '<f4' is little-endian, as are the x86-64 and arm64 hosts onnxruntime-node supports
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, out.length));
  } else {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  }
  return out;
}
