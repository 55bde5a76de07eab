import { textRanges } from '../../core/corpus-source.js';
import { checkFinite } from './non-finite.js';
import { canonicalJson, sha256Hex } from '../../core/hash.js';
import { log } from '../../core/log.js';
import type { Candidates, CorpusSource, Query, Retriever, TaskContext, Slice, SliceReport } from '../../core/types.js';
import { ensureEmbeddings, type CacheEntry, type CacheOutcome } from '../../encode/cache/embedding-cache.js';
import { readArrowBlocks, readArrowFile } from '../../encode/cache/arrow-io.js';
import type { DenseEncoder } from '../../encode/encoder.js';
import { instructionFor, type Role } from '../../encode/model-config.js';
import type { ModelFingerprint, ModelIdentity } from '../../encode/model-identity.js';
import type { DeviceRequest } from '../../encode/ort-backend.js';
import { rankByEmbedding } from './rank-by-embedding.js';

export interface DenseRetrieverSettings {
  /** Content hashes of the model's files (createDenseRetriever computes them once). */
  fingerprint: ModelFingerprint;
  identity: ModelIdentity;
  cacheRoot: string;
  device: DeviceRequest;
  /** rows per cache chunk: the unit of resume and of slicing (default 2048) */
  chunkRows?: number;
}

/** The dense index: the corpus's embeddings, assembled in the cache. */
export interface DenseIndex {
  documents: CacheEntry;
}

/**
 * Dense retrieval: the index stage encodes the corpus into the embedding cache (by chunks, resumable, in slices for
 * `encode --shard`), the search stage encodes the queries (cached too) and ranks exactly.
 */
export class DenseRetriever implements Retriever<DenseIndex> {
  readonly name = 'dense';
  readonly parameters: Record<string, unknown>;
  private readonly keys = new Map<string, { document: string; query: string }>();

  constructor(
    private readonly encoder: DenseEncoder,
    private readonly settings: DenseRetrieverSettings,
  ) {
    const { config, source, family } = encoder.model;
    this.parameters = {
      model: source,
      // the key published rows are found by: a local folder's own `folder@sha` unless its weights are registered
      family: settings.identity.label,
      ...(family !== settings.identity.label ? { extends: family } : {}),
      weights_verified: settings.identity.weightsVerified,
      files_sha256: settings.fingerprint,
      // a local folder is its own checkpoint: the repo of the config it extends is not where its weights came from
      checkpoint: source.startsWith('dir:') ? null : (config.model ?? null),
      pooling: config.pooling,
      normalize: config.normalize,
      similarity: config.similarity,
      scoreScale: config.scoreScale,
      maxLength: config.maxLength,
      dtype: encoder.dtype,
      device: encoder.provider,
      batchTokens: encoder.batchTokens,
    };
  }

  embeddingKeys(task: string): { document: string; query: string } | undefined {
    return this.keys.get(task);
  }

  private keyParts(role: Role, instruction: string): Promise<Record<string, unknown>> {
    const { config } = this.encoder.model;
    return Promise.resolve({
      role,
      model: this.settings.fingerprint,
      pooling: config.pooling,
      normalize: config.normalize,
      maxLength: config.maxLength[role],
      instruction,
      dtype: this.encoder.dtype,
    });
  }

  private async encodeCached(
    context: TaskContext,
    label: string,
    role: Role,
    ids: readonly string[],
    textsOf: (start: number, end: number) => Promise<string[]>,
    extraKey: Record<string, unknown>,
    options: { shard?: Slice; chunkRows?: number },
  ): Promise<CacheOutcome> {
    const { signal } = context;
    const instruction = instructionFor(this.encoder.model.config, context.task, role, context.long);
    const progress = context.progress(`encode ${label}`, ids.length);
    const started = Date.now();
    let tokens = 0;
    let encodedRows = 0;
    let empty = 0;
    try {
      return await ensureEmbeddings(this.settings.cacheRoot, {
        parts: { ...(await this.keyParts(role, instruction)), ...extraKey },
        ids,
        chunkRows: options.chunkRows,
        shard: options.shard,
        signal,
        onProgress: (done) => progress.update(done),
        encode: async (start, end) => {
          const result = await this.encoder.encode(await textsOf(start, end), {
            instruction,
            role,
            signal,
            onBatch: (rows, batchTokens) => {
              tokens += batchTokens;
              encodedRows += rows;
              const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
              progress.increment(rows, { rate: `${Math.round(tokens / seconds)} tok/s ${(encodedRows / seconds).toFixed(1)} docs/s` });
            },
          });
          empty += result.emptyRows.length;
          checkFinite(result.vectors, result.dim, (row) => `${role} ${ids[start + row]}`, `model ${this.encoder.model.source}`);
          return result;
        },
      });
    } finally {
      progress.stop();
      if (empty > 0) log.warn(`${label}: ${empty} text(s) had no token left to pool (empty, or only instruction tokens); they got zero vectors`);
    }
  }

  /** Texts are read from the corpus only for the chunks that are not cached yet. */
  private encodeDocuments(corpus: CorpusSource, context: TaskContext, shard?: Slice): Promise<CacheOutcome> {
    return this.encodeCached(
      context,
      `${context.task} documents`,
      'document',
      corpus.ids.strings(),
      textRanges(corpus, context.signal),
      // the documents' content, not the revision as typed: `--revision main` and its commit share one cache entry
      { dataset: { corpusSha256: context.dataset.corpusSha256 } },
      { shard, chunkRows: this.settings.chunkRows },
    );
  }

  async index(corpus: CorpusSource, context: TaskContext): Promise<DenseIndex> {
    const outcome = await this.encodeDocuments(corpus, context);
    // without a shard every missing chunk is encoded, so the entry is assembled
    if (!outcome.entry) throw new Error(`embedding cache ${outcome.key}: ${outcome.cachedRows} of ${outcome.totalRows} rows after a full encode`);
    return { documents: outcome.entry };
  }

  async indexSlice(corpus: CorpusSource, context: TaskContext, slice: Slice): Promise<SliceReport> {
    const outcome = await this.encodeDocuments(corpus, context, slice);
    return {
      start: outcome.shardRows[0],
      end: outcome.shardRows[1],
      built: outcome.builtRows,
      cachedRows: outcome.cachedRows,
      totalRows: outcome.totalRows,
      chunkRows: outcome.chunkRows,
      complete: outcome.entry !== null,
    };
  }

  async *search(index: DenseIndex, queries: readonly Query[], depth: number, context: TaskContext): AsyncIterable<Candidates> {
    const queryTexts = queries.map((query) => query.text);
    const queryOutcome = await this.encodeCached(
      context,
      `${context.task} queries`,
      'query',
      queries.map((query) => query.id),
      async (start, end) => queryTexts.slice(start, end),
      { textsSha256: sha256Hex(canonicalJson(queryTexts)) },
      { chunkRows: Math.max(1, queries.length) },
    );
    if (!queryOutcome.entry) throw new Error('query embeddings are never sharded');
    this.keys.set(context.task, { document: index.documents.key, query: queryOutcome.entry.key });
    const queryRows = await readArrowFile(queryOutcome.entry.file);
    const config = this.encoder.model.config;
    const documents = index.documents;
    yield* rankByEmbedding(queries, depth, {
      queries: queryRows.vectors,
      dim: documents.dim,
      totalRows: documents.rows,
      blocks: (blockRows) => readArrowBlocks(documents.file, blockRows),
      // normalised vectors make cosine a dot product; unnormalised ones are normalised here for cosine
      normalize: config.similarity === 'cosine' && !config.normalize,
      scoreScale: config.scoreScale,
      device: this.settings.device,
      signal: context.signal,
    });
  }
}
