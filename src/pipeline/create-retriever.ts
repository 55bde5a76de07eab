import type { Retriever } from '../core/types.js';
import { usageError } from '../core/errors.js';

export const RETRIEVER_KINDS = ['bm25', 'dense', 'embeddings'] as const;
export type RetrieverKind = (typeof RETRIEVER_KINDS)[number];

export interface RetrieverChoice {
  kind: RetrieverKind;
  model?: string;
  device?: string;
  batchTokens?: number;
  /** Rows per embedding-cache chunk (the unit of resume and of shards) when a cache entry is created. */
  chunkRows?: number;
  /** run a large checkpoint on the CPU anyway */
  force?: boolean;
  /** Precomputed embeddings; `{task}` in a path is replaced by the task name. */
  docEmbeddings?: string;
  queryEmbeddings?: string;
}

/**
 * The retriever for one task (precomputed embedding files differ per task; the others are shared). `signal` only
 * interrupts what creating it does (a model download); the run's own settings reach it through the run context.
 */
export async function createRetriever(choice: RetrieverChoice, task: string, signal?: AbortSignal): Promise<Retriever> {
  switch (choice.kind) {
    case 'bm25': {
      // each kind loads only its own code: a dense or embeddings run never loads the analyzer and BM25
      const { Bm25Retriever } = await import('../retrieval/bm25/bm25-retriever.js');
      return new Bm25Retriever();
    }
    case 'dense': {
      if (!choice.model) throw usageError('missing_model', '--retriever dense needs --model <config name or directory>');
      // loaded on demand: BM25 runs never load onnxruntime's native binding
      const { createDenseRetriever } = await import('../retrieval/create-dense.js');
      return createDenseRetriever({
        model: choice.model,
        device: choice.device,
        batchTokens: choice.batchTokens,
        chunkRows: choice.chunkRows,
        force: choice.force,
        signal,
      });
    }
    case 'embeddings': {
      if (!choice.docEmbeddings || !choice.queryEmbeddings) {
        throw usageError('missing_embeddings', '--retriever embeddings needs --doc-emb FILE and --query-emb FILE');
      }
      const { createPrecomputedRetriever } = await import('../retrieval/create-precomputed.js');
      return createPrecomputedRetriever({
        docEmbeddings: choice.docEmbeddings.replaceAll('{task}', task),
        queryEmbeddings: choice.queryEmbeddings.replaceAll('{task}', task),
        device: choice.device,
      });
    }
  }
}
