/** A chunk of texts as an analysis worker reads it from parquet: their UTF-8 bytes back to back, and where each starts. */
export interface Utf8Chunk {
  bytes: Uint8Array;
  /** texts + 1 entries: text i is bytes[offsets[i], offsets[i + 1]). */
  offsets: Uint32Array;
}

/** `texts` in chunks of `size` consecutive texts, each as its UTF-8 bytes and offsets. */
export function utf8Chunks(texts: readonly string[], size: number): Utf8Chunk[] {
  const chunks: Utf8Chunk[] = [];
  for (let first = 0; first < texts.length; first += size) {
    const parts = texts.slice(first, first + size).map((text) => Buffer.from(text, 'utf8'));
    const offsets = new Uint32Array(parts.length + 1);
    parts.forEach((part, i) => (offsets[i + 1] = offsets[i]! + part.length));
    chunks.push({ bytes: Buffer.concat(parts), offsets });
  }
  return chunks;
}
