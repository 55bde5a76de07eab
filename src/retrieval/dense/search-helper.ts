import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { workerModuleUrl } from '../../core/worker-url.js';
import type { BlockSearchSetup } from './block-search.js';
import type { DocumentBlock } from './exact-search.js';
import type { TopList } from './top-rows.js';

/** What the helper's worker starts with (workerData). */
export interface HelperStart {
  /** CPU threads of the helper's Gemms. */
  threads: number;
  /** Its end of the channel: searches and their blocks come in, free buffers and each search's top lists go out. */
  port: MessagePort;
}

/**
 * main -> helper: a search begins (the helper adds `buffers` new buffers to those the main thread kept), one of its
 * blocks in a buffer the helper gave (transferred), or its end.
 */
export type HelperRequest = { setup: BlockSearchSetup; buffers: number } | { start: number; rows: number; vectors: Float32Array<ArrayBuffer> } | { done: true };

/** helper -> main: buffers to copy blocks into (new ones, then each block's back once scored), or a search's result. */
export type HelperReply = { free: Float32Array<ArrayBuffer>[] } | { tops: TopList[] };

/** Buffers in flight between the two threads: one block being scored by the helper while the next one waits. */
const BUFFERS = 2;

/** The helper of the last search that ended well, kept (not keeping the process alive) for the process's next one. */
let idle: SearchHelper | undefined;

/**
 * A worker thread that scores some of a search's blocks with a Gemm session of its own (dense-search-worker.ts),
 * beside the main thread scoring the others: the two threads never wait for each other between blocks (a Gemm
 * split across two threads waits at its end for the slower half, and its pool thread had to be woken for every
 * block; one such thread late or descheduled and both tiles ran on one). onnxruntime reads no SharedArrayBuffer,
 * so a block the helper takes is copied into one of its own buffers, which travel back and forth without copies.
 * The main thread hands it a block whenever it has a buffer free, and scores the block itself otherwise: who
 * scores which block depends on timing, the result does not (each thread keeps its blocks' best rows, merged
 * exactly at the end). A worker's start costs ~0.1 s of CPU (more on a loaded machine), so one that served a
 * search well waits for the next (a multi-task eval searches once per task).
 */
export class SearchHelper {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** Buffers the helper gave back (or has not yet been given a block in), kept from search to search. */
  private free: Float32Array<ArrayBuffer>[] = [];
  private failure: unknown;
  /** From begin until the search's result came back. */
  private searching = false;
  /** Blocks this search gave the helper. */
  private given = 0;
  private result: { resolve: (tops: TopList[]) => void; reject: (error: unknown) => void } | undefined;

  private constructor(readonly threads: number) {
    const { port1, port2 } = new MessageChannel();
    const start: HelperStart = { threads, port: port2 };
    this.worker = new Worker(workerModuleUrl(import.meta.url, 'dense-search-worker.js'), { workerData: start, transferList: [port2] });
    this.port = port1;
    const lost = (error: unknown) => {
      this.failure ??= error;
      if (idle === this) idle = undefined;
      this.result?.reject(this.failure);
    };
    this.worker.once('error', lost).once('exit', (code) => lost(new Error(`dense search: the helper thread exited (code ${code})`)));
    this.port.on('message', (reply: HelperReply) => this.receive(reply));
  }

  /** A helper for a search with `setup` on `threads` threads: the idle one when it runs as many, else a new one. */
  static begin(setup: BlockSearchSetup, threads: number): SearchHelper {
    let helper = idle;
    idle = undefined;
    if (helper?.threads !== threads) {
      void helper?.stop();
      helper = new SearchHelper(threads);
    }
    helper.searching = true;
    helper.given = 0;
    helper.worker.ref();
    helper.port.ref();
    const size = setup.blockRows * setup.dim;
    helper.free = helper.free.filter((buffer) => buffer.length >= size);
    const request: HelperRequest = { setup, buffers: Math.max(0, BUFFERS - helper.free.length) };
    helper.port.postMessage(request);
    return helper;
  }

  /**
   * Gives the helper this block, copied into a buffer of its own, and returns true; false when it has no buffer
   * free (the caller scores the block). The block's memory is free again when take returns.
   */
  take(block: DocumentBlock, dim: number): boolean {
    if (this.failure !== undefined) throw this.failure;
    // the replies that arrived while this thread ran a Gemm (the listener only sees them at the next turn of the event loop)
    for (let message = receiveMessageOnPort(this.port); message; message = receiveMessageOnPort(this.port)) this.receive(message.message as HelperReply);
    const buffer = this.free.pop();
    if (!buffer) return false;
    const vectors = buffer.subarray(0, block.rows * dim);
    vectors.set(block.vectors.subarray(0, block.rows * dim));
    const request: HelperRequest = { start: block.start, rows: block.rows, vectors };
    this.port.postMessage(request, [buffer.buffer]);
    this.given++;
    return true;
  }

  /**
   * No more blocks: each query's best rows of the blocks the helper took, in run order; undefined when it took none
   * (still starting: the search does not wait for it, and end() stops it).
   */
  finish(): Promise<TopList[]> | undefined {
    if (this.given === 0) return undefined;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const tops = new Promise<TopList[]>((resolve, reject) => {
      this.result = { resolve, reject };
    });
    const request: HelperRequest = { done: true };
    this.port.postMessage(request);
    return tops;
  }

  /**
   * After a search: a helper that returned its result waits for the next search (the process may exit meanwhile);
   * one stopped halfway (an error, an abort) or not needed is ended.
   */
  async end(): Promise<void> {
    if (this.failure === undefined && !this.searching && idle === undefined) {
      this.worker.unref();
      this.port.unref();
      idle = this;
      return;
    }
    // a helper given nothing may still be starting (a session opening in native code): not waited for
    if (this.given === 0) void this.stop();
    else await this.stop();
  }

  private receive(reply: HelperReply): void {
    if ('free' in reply) {
      // the whole buffer: a later block may have more rows than the one just scored
      for (const buffer of reply.free) this.free.push(new Float32Array(buffer.buffer));
      return;
    }
    const result = this.result;
    this.result = undefined;
    this.searching = false;
    result?.resolve(reply.tops);
  }

  private async stop(): Promise<void> {
    this.failure ??= new Error('dense search: the helper thread was stopped');
    this.port.close();
    await this.worker.terminate();
  }
}
