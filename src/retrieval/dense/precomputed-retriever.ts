import path from 'node:path';
import { checkFinite } from './non-finite.js';
import { dataError } from '../../core/errors.js';
import type { Candidates, CorpusSource, Query, Retriever, TaskContext } from '../../core/types.js';
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
/** apache-arrow is loaded only for Arrow files: .npy runs never pay for its ~150 modules. */
const arrowIo = () => import('../../encode/cache/arrow-io.js');

/**
 * Scores precomputed vectors: BRIGHT/ReasonIR `.npy` caches (rows in Hugging Face document order, checked by
 * count) or our Arrow files (rows matched by id). Query files follow the examples order, or match by id.
 */
/** The document vectors, checked against the corpus, in corpus row order. */
export interface PrecomputedIndex {
  dim: number;
  /** The corpus's ids: one vector per id, in this order. */
  ids: readonly string[];
  blocks: (blockRows: number) => AsyncIterable<DocumentBlock>;
}

export class PrecomputedRetriever implements Retriever<PrecomputedIndex> {
  readonly name = 'embeddings';
  readonly parameters: Record<string, unknown>;

  constructor(private readonly settings: PrecomputedSettings) {
    this.parameters = { docEmbeddings: settings.docEmbeddings, queryEmbeddings: settings.queryEmbeddings, similarity: settings.similarity };
  }

  private async queryMatrix(queries: readonly Query[], task: string): Promise<{ vectors: Float32Array; dim: number }> {
    const file = this.settings.queryEmbeddings;
    const count = queries.length;
    if (isArrow(file)) {
      const rows = await (await arrowIo()).readArrowFile(file);
      return { vectors: reorderById(rows.ids, rows.vectors, rows.dim, queries.map((query) => query.id), file, 'query'), dim: rows.dim };
    }
    const matrix = await openNpy(file);
    if (matrix.rows !== count) {
      throw dataError('embeddings.row_count', `embeddings: ${file} has ${matrix.rows} query vectors but ${task} has ${count} queries (the file must follow the examples row order)`);
    }
    return { vectors: await readNpyRows(matrix, 0, count), dim: matrix.cols };
  }

  /** Nothing to build: the index stage checks the document file against the corpus ids and opens it. */
  async index(corpus: CorpusSource, context: TaskContext): Promise<PrecomputedIndex> {
    const file = this.settings.docEmbeddings;
    const total = corpus.ids.length;
    const corpusIds = corpus.ids.strings();
    if (isArrow(file)) {
      const { readArrowBatches, readArrowBlocks, readArrowFile } = await arrowIo();
      // ids decide the order; a file in corpus order streams, any other order is loaded and permuted
      const ids: string[] = [];
      let dim = 0;
      for await (const batch of readArrowBatches(file)) {
        for (const id of batch.ids) ids.push(id);
        dim = batch.dim;
      }
      const inOrder = ids.length === total && ids.every((id, i) => id === corpusIds[i]);
      if (inOrder) {
        return { dim, ids: corpusIds, blocks: (blockRows) => readArrowBlocks(file, blockRows) };
      }
      const all = await readArrowFile(file);
      const vectors = reorderById(all.ids, all.vectors, all.dim, corpusIds, file, 'document');
      return { dim, ids: corpusIds, blocks: (blockRows) => sliceBlocks(vectors, dim, total, blockRows) };
    }
    const matrix = await openNpy(file);
    if (matrix.rows !== total) {
      throw dataError(
        'embeddings.row_count',
        `embeddings: ${file} has ${matrix.rows} document vectors but the ${context.task} corpus has ${total} documents; the file must hold one row per document in Hugging Face row order (documents or long_documents, matching --long)`,
      );
    }
    return {
      dim: matrix.cols,
      ids: corpusIds,
      blocks: async function* (blockRows) {
        // one buffer for every block: the search is done with a block before it asks for the next
        const buffer = new Float32Array(Math.min(blockRows, total) * matrix.cols);
        for (let start = 0; start < total; start += blockRows) {
          const rows = Math.min(blockRows, total - start);
          yield { start, rows, vectors: await readNpyRows(matrix, start, rows, buffer) };
        }
      },
    };
  }

  async *search(documents: PrecomputedIndex, queries: readonly Query[], depth: number, context: TaskContext): AsyncIterable<Candidates> {
    const matrix = await this.queryMatrix(queries, context.task);
    const { queryEmbeddings, docEmbeddings } = this.settings;
    if (matrix.dim !== documents.dim) {
      throw dataError(
        'embeddings.dim_mismatch',
        `embeddings: query vectors in ${queryEmbeddings} have ${matrix.dim} dimensions, document vectors in ${docEmbeddings} have ${documents.dim}; both must come from the same model`,
      );
    }
    checkFinite(matrix.vectors, matrix.dim, (row) => `query ${queries[row]?.id}`, queryEmbeddings);
    const corpusIds = documents.ids;
    yield* rankByEmbedding(queries, depth, {
      queries: matrix.vectors,
      dim: documents.dim,
      totalRows: documents.ids.length,
      blocks: async function* (blockRows) {
        for await (const block of documents.blocks(blockRows)) {
          checkFinite(block.vectors, documents.dim, (row) => `document ${corpusIds[block.start + row]}`, docEmbeddings);
          yield block;
        }
      },
      normalize: this.settings.similarity === 'cosine',
      scoreScale: 1,
      device: this.settings.device,
      signal: context.signal,
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
