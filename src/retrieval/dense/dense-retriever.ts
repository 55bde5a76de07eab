import { ExitCode, HarnessError } from '../../core/errors.js';
import { checkFinite } from './non-finite.js';
import { canonicalJson, sha256Hex } from '../../core/hash.js';
import { log } from '../../core/log.js';
import { startProgress } from '../../core/progress.js';
import type { Candidates, RetrievalInput, Retriever } from '../../core/types.js';
import { ensureEmbeddings, type CacheEntry } from '../../encode/cache/embedding-cache.js';
import { readArrowBlocks, readArrowFile } from '../../encode/cache/arrow-io.js';
import type { DenseEncoder } from '../../encode/encoder.js';
import { instructionFor, type Role } from '../../encode/model-config.js';
import type { ModelFingerprint, ModelIdentity } from '../../encode/model-identity.js';
import type { DeviceRequest } from '../../encode/ort-backend.js';
import { rankByEmbedding } from './rank-by-embedding.js';

/**
 * Thrown by a `--shard i/n` run once its slice is cached while other shards are still missing: nothing to score
 * yet, and not a failure (exit 0). The run that completes the last shard scores as usual.
 */
export class ShardPendingError extends HarnessError {
  constructor(message: string) {
    super('shard.pending', ExitCode.ok, message);
    this.name = 'ShardPendingError';
  }
}

export interface DenseRetrieverSettings {
  /** Content hashes of the model's files (createDenseRetriever computes them once). */
  fingerprint: ModelFingerprint;
  identity: ModelIdentity;
  cacheRoot: string;
  device: DeviceRequest;
  long: boolean;
  shard?: { index: number; count: number };
  chunkRows?: number;
  signal?: AbortSignal;
}

export class DenseRetriever implements Retriever {
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
      checkpoint: config.model ?? null,
      pooling: config.pooling,
      normalize: config.normalize,
      similarity: config.similarity,
      scoreScale: config.scoreScale,
      maxLength: config.maxLength,
      dtype: encoder.dtype,
      device: encoder.provider,
      batchTokens: encoder.batchTokens,
      long: settings.long,
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
    label: string,
    role: Role,
    instruction: string,
    ids: readonly string[],
    texts: readonly string[],
    extraKey: Record<string, unknown>,
    options: { shard?: { index: number; count: number }; chunkRows?: number },
  ) {
    const progress = startProgress(`encode ${label}`, ids.length);
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
        signal: this.settings.signal,
        onProgress: (done) => progress.update(done),
        encode: async (start, end) => {
          const result = await this.encoder.encode(texts.slice(start, end), {
            instruction,
            role,
            signal: this.settings.signal,
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

  async *retrieve(input: RetrievalInput): AsyncIterable<Candidates> {
    const { task, corpus, queries } = input;
    const { long, shard } = this.settings;
    const config = this.encoder.model.config;
    const documentOutcome = await this.encodeCached(
      `${task} documents`,
      'document',
      instructionFor(config, task, 'document', long),
      corpus.ids,
      corpus.texts,
      // the documents' content, not the revision as typed: `--revision main` and its commit share one cache entry
      { dataset: { corpusSha256: input.corpusSha256 } },
      { shard, chunkRows: this.settings.chunkRows },
    );
    if (!documentOutcome.complete) {
      throw new ShardPendingError(
        `${task}: shard ${shard!.index}/${shard!.count} is cached (${documentOutcome.chunksPresent} of ${documentOutcome.chunksTotal} chunks of key ${documentOutcome.key.slice(0, 12)} present); scoring runs once every shard is done`,
      );
    }
    const queryTexts = queries.map((query) => query.text);
    const queryOutcome = await this.encodeCached(
      `${task} queries`,
      'query',
      instructionFor(config, task, 'query', long),
      queries.map((query) => query.id),
      queryTexts,
      { textsSha256: sha256Hex(canonicalJson(queryTexts)) },
      { chunkRows: Math.max(1, queries.length) },
    );
    if (!queryOutcome.complete) throw new Error('query embeddings are never sharded');
    this.keys.set(task, { document: documentOutcome.entry.key, query: queryOutcome.entry.key });
    yield* this.search(input, documentOutcome.entry, queryOutcome.entry);
  }

  private async *search(input: RetrievalInput, documents: CacheEntry, queryEntry: CacheEntry): AsyncIterable<Candidates> {
    const queryRows = await readArrowFile(queryEntry.file);
    const config = this.encoder.model.config;
    yield* rankByEmbedding(input, {
      queries: queryRows.vectors,
      dim: documents.dim,
      blocks: (blockRows) => readArrowBlocks(documents.file, blockRows),
      // normalised vectors make cosine a dot product; unnormalised ones are normalised here for cosine
      normalize: config.similarity === 'cosine' && !config.normalize,
      scoreScale: config.scoreScale,
      device: this.settings.device,
      signal: input.signal ?? this.settings.signal,
    });
  }
}
