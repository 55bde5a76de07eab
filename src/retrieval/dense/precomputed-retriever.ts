import path from 'node:path';
import { checkFinite } from './non-finite.js';
import { dataError } from '../../core/errors.js';
import type { Candidates, RetrievalInput, Retriever } from '../../core/types.js';
import { readArrowBatches, readArrowBlocks, readArrowFile } from '../../encode/cache/arrow-io.js';
import type { DeviceRequest } from '../../encode/ort-backend.js';
import type { DocumentBlock } from './exact-search.js';
import { rankByEmbedding } from './rank-by-embedding.js';
import { openNpy, readNpyRows } from './npy.js';

export interface PrecomputedSettings {
  docEmbeddings: string;
  queryEmbeddings: string;
  similarity: 'cosine' | 'dot';
  device: DeviceRequest;
}

const isArrow = (file: string) => ['.arrow', '.feather', '.ipc'].includes(path.extname(file).toLowerCase());

/**
 * Scores precomputed vectors: BRIGHT/ReasonIR `.npy` caches (rows in Hugging Face document order, checked by
 * count) or our Arrow files (rows matched by id). Query files follow the examples order, or match by id.
 */
export class PrecomputedRetriever implements Retriever {
  readonly name = 'embeddings';
  readonly parameters: Record<string, unknown>;

  constructor(private readonly settings: PrecomputedSettings) {
    this.parameters = { docEmbeddings: settings.docEmbeddings, queryEmbeddings: settings.queryEmbeddings, similarity: settings.similarity };
  }

  private async queryMatrix(input: RetrievalInput): Promise<{ vectors: Float32Array; dim: number }> {
    const file = this.settings.queryEmbeddings;
    const count = input.queries.length;
    if (isArrow(file)) {
      const rows = await readArrowFile(file);
      return { vectors: reorderById(rows.ids, rows.vectors, rows.dim, input.queries.map((query) => query.id), file, 'query'), dim: rows.dim };
    }
    const matrix = await openNpy(file);
    if (matrix.rows !== count) {
      throw dataError('embeddings.row_count', `embeddings: ${file} has ${matrix.rows} query vectors but ${input.task} has ${count} queries (the file must follow the examples row order)`);
    }
    return { vectors: await readNpyRows(matrix, 0, count), dim: matrix.cols };
  }

  private async documentSource(input: RetrievalInput): Promise<{ dim: number; blocks: (blockRows: number) => AsyncIterable<DocumentBlock> }> {
    const file = this.settings.docEmbeddings;
    const total = input.corpus.ids.length;
    if (isArrow(file)) {
      // ids decide the order; a file in corpus order streams, any other order is loaded and permuted
      const ids: string[] = [];
      let dim = 0;
      for await (const batch of readArrowBatches(file)) {
        for (const id of batch.ids) ids.push(id);
        dim = batch.dim;
      }
      const inOrder = ids.length === total && ids.every((id, i) => id === input.corpus.ids[i]);
      if (inOrder) {
        return { dim, blocks: (blockRows) => readArrowBlocks(file, blockRows) };
      }
      const all = await readArrowFile(file);
      const vectors = reorderById(all.ids, all.vectors, all.dim, input.corpus.ids, file, 'document');
      return { dim, blocks: (blockRows) => sliceBlocks(vectors, dim, total, blockRows) };
    }
    const matrix = await openNpy(file);
    if (matrix.rows !== total) {
      throw dataError(
        'embeddings.row_count',
        `embeddings: ${file} has ${matrix.rows} document vectors but the ${input.task} corpus has ${total} documents; the file must hold one row per document in Hugging Face row order (documents or long_documents, matching --long)`,
      );
    }
    return {
      dim: matrix.cols,
      blocks: async function* (blockRows) {
        for (let start = 0; start < total; start += blockRows) {
          const rows = Math.min(blockRows, total - start);
          yield { start, rows, vectors: await readNpyRows(matrix, start, rows) };
        }
      },
    };
  }

  async *retrieve(input: RetrievalInput): AsyncIterable<Candidates> {
    const queries = await this.queryMatrix(input);
    const documents = await this.documentSource(input);
    const { queryEmbeddings, docEmbeddings } = this.settings;
    if (queries.dim !== documents.dim) {
      throw dataError(
        'embeddings.dim_mismatch',
        `embeddings: query vectors in ${queryEmbeddings} have ${queries.dim} dimensions, document vectors in ${docEmbeddings} have ${documents.dim}; both must come from the same model`,
      );
    }
    checkFinite(queries.vectors, queries.dim, (row) => `query ${input.queries[row]?.id}`, queryEmbeddings);
    const corpusIds = input.corpus.ids;
    yield* rankByEmbedding(input, {
      queries: queries.vectors,
      dim: documents.dim,
      blocks: async function* (blockRows) {
        for await (const block of documents.blocks(blockRows)) {
          checkFinite(block.vectors, documents.dim, (row) => `document ${corpusIds[block.start + row]}`, docEmbeddings);
          yield block;
        }
      },
      normalize: this.settings.similarity === 'cosine',
      scoreScale: 1,
      device: this.settings.device,
      signal: input.signal,
    });
  }
}

function reorderById(ids: string[], vectors: Float32Array, dim: number, wanted: readonly string[], file: string, what: string): Float32Array {
  const rowOf = new Map(ids.map((id, row) => [id, row]));
  const out = new Float32Array(wanted.length * dim);
  wanted.forEach((id, i) => {
    const row = rowOf.get(id);
    if (row === undefined) throw dataError('embeddings.missing_id', `embeddings: ${file} has no ${what} vector for id ${id}`);
    out.set(vectors.subarray(row * dim, (row + 1) * dim), i * dim);
  });
  return out;
}

async function* sliceBlocks(vectors: Float32Array, dim: number, total: number, blockRows: number): AsyncIterable<DocumentBlock> {
  for (let start = 0; start < total; start += blockRows) {
    const rows = Math.min(blockRows, total - start);
    yield { start, rows, vectors: vectors.slice(start * dim, (start + rows) * dim) };
  }
}
