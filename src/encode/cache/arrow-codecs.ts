/**
 * Arrow IPC body compression (the LZ4_FRAME and ZSTD buffer codecs; pyarrow's `feather.write_feather` compresses
 * with lz4 by default) registered with apache-arrow's own compression registry, decode only: the harness writes
 * uncompressed files. Pure-JavaScript decoders, so no native build and the same result on every platform.
 */
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import { decompress as lz4FrameDecompress } from 'lz4js';

let registered = false;

export function registerArrowCodecs(): void {
  if (registered) return;
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => lz4FrameDecompress(data) });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => zstdDecompress(data) });
  registered = true;
}
