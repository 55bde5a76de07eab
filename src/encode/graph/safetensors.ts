import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError } from '../../core/errors.js';

export type StoredDtype = 'F32' | 'F16' | 'BF16';
const ITEM_SIZE: Record<StoredDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** One tensor of a checkpoint: where its bytes lie, to be referenced in place as ONNX external data. */
export interface StoredTensor {
  /** Name as stored (prefix included). */
  name: string;
  dtype: StoredDtype;
  shape: number[];
  /** The .safetensors file holding it. */
  file: string;
  /** Absolute byte offset inside the file (header included) and byte length. */
  offset: number;
  length: number;
}

/** A header bigger than this is not a safetensors header (the format caps it at 100 MB). */
const MAX_HEADER = 100_000_000;

/**
 * Reads a .safetensors header (u64 little-endian length + JSON) and checks it against the file: every tensor's
 * byte range matches its dtype and shape, and the file is exactly as long as the header says (a truncated or
 * padded shard is refused before any of its bytes are trusted).
 */
export async function readSafetensorsHeader(file: string): Promise<StoredTensor[]> {
  const bad = (why: string) => dataError('checkpoint.bad_safetensors', `checkpoint: ${file}: ${why}; re-download the file`);
  const handle = await fs.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw dataError('checkpoint.missing_shard', `checkpoint: cannot open ${file} (${error.code ?? error.message})`, error);
  });
  try {
    const { size } = await handle.stat();
    if (size < 8) throw bad(`${size} bytes is shorter than the 8-byte header length`);
    const prefix = Buffer.alloc(8);
    await handle.read(prefix, 0, 8, 0);
    const headerLength = Number(prefix.readBigUInt64LE(0));
    if (headerLength > MAX_HEADER || 8 + headerLength > size) throw bad(`header length ${headerLength} does not fit the file's ${size} bytes`);
    const headerBytes = Buffer.alloc(headerLength);
    await handle.read(headerBytes, 0, headerLength, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw bad(`header is not JSON (${(error as Error).message})`);
    }
    const dataStart = 8 + headerLength;
    let dataEnd = 0;
    const tensors: StoredTensor[] = [];
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
      if (!(dtype in ITEM_SIZE)) throw bad(`tensor ${name} has dtype ${dtype}; only F32, F16 and BF16 checkpoints are supported`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor ${name} has no valid shape`);
      if (!Array.isArray(offsets) || offsets.length !== 2 || !(offsets[0] <= offsets[1])) throw bad(`tensor ${name} has no valid data_offsets`);
      const expected = shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[dtype as StoredDtype];
      if (offsets[1] - offsets[0] !== expected) throw bad(`tensor ${name} spans ${offsets[1] - offsets[0]} bytes but ${dtype} ${JSON.stringify(shape)} needs ${expected}`);
      dataEnd = Math.max(dataEnd, offsets[1]);
      tensors.push({ name, dtype: dtype as StoredDtype, shape, file, offset: dataStart + offsets[0], length: expected });
    }
    if (dataStart + dataEnd !== size) throw bad(`the header describes ${dataStart + dataEnd} bytes but the file has ${size}`);
    return tensors;
  } finally {
    await handle.close();
  }
}

/** The weight files of a checkpoint folder: model.safetensors.index.json's shards, or model.safetensors. */
export async function checkpointWeightFiles(dir: string): Promise<string[]> {
  const indexPath = path.join(dir, 'model.safetensors.index.json');
  const index = await fs.readFile(indexPath, 'utf8').catch(() => undefined);
  if (index === undefined) return [path.join(dir, 'model.safetensors')];
  return shardsOfIndex(index, indexPath).map((file) => path.join(dir, file));
}

/** The distinct shard file names an index.json maps weights to, in first-seen order. */
export function shardsOfIndex(text: string, indexPath: string): string[] {
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(text) as { weight_map?: unknown }).weight_map;
  } catch (error) {
    throw dataError('checkpoint.bad_index', `checkpoint: ${indexPath} is not JSON (${(error as Error).message})`);
  }
  if (!weightMap || typeof weightMap !== 'object') throw dataError('checkpoint.bad_index', `checkpoint: ${indexPath} has no weight_map`);
  const files = [...new Set(Object.values(weightMap as Record<string, unknown>))];
  const bad = files.find((file) => typeof file !== 'string' || file.includes('/') || file.includes('\\') || !file.endsWith('.safetensors'));
  if (bad !== undefined) throw dataError('checkpoint.bad_index', `checkpoint: ${indexPath} weight_map names ${JSON.stringify(bad)}, not a .safetensors file beside it`);
  return files as string[];
}

/** Every tensor of the given shard files, names checked unique across shards. */
export async function readCheckpointTensors(files: readonly string[]): Promise<Map<string, StoredTensor>> {
  const tensors = new Map<string, StoredTensor>();
  for (const file of files) {
    for (const tensor of await readSafetensorsHeader(file)) {
      const seen = tensors.get(tensor.name);
      if (seen) throw dataError('checkpoint.duplicate_tensor', `checkpoint: tensor ${tensor.name} is in both ${seen.file} and ${file}`);
      tensors.set(tensor.name, tensor);
    }
  }
  return tensors;
}
