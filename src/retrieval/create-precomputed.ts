import type { Retriever } from '../core/types.js';
import { parseDevice } from '../encode/ort-backend.js';
import { PrecomputedRetriever } from './dense/precomputed-retriever.js';

/**
 * Scores vectors computed elsewhere (BRIGHT/ReasonIR .npy caches or our Arrow files) with the exact search. Apart
 * from create-dense.ts so that scoring files never loads the encoder, its tokenizer or its model configs.
 */
export async function createPrecomputedRetriever(options: {
  docEmbeddings: string;
  queryEmbeddings: string;
  similarity?: 'cosine' | 'dot';
  device?: string;
}): Promise<Retriever> {
  return new PrecomputedRetriever({
    docEmbeddings: options.docEmbeddings,
    queryEmbeddings: options.queryEmbeddings,
    similarity: options.similarity ?? 'cosine',
    device: parseDevice(options.device ?? 'cpu'),
  });
}
