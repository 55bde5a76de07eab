import { workerData } from 'node:worker_threads';
import type { OrtModel } from '../../encode/ort-backend.js';
import { BlockSearch, openSearchGemm } from './block-search.js';
import type { HelperReply, HelperRequest, HelperStart } from './search-helper.js';

/**
 * Worker entry of an exact search's helper (search-helper.ts): one search after another, each scoring the blocks
 * it is sent in the order sent (their rows must reach the search in ascending order), one message at a time.
 */
const { threads, port } = workerData as HelperStart;
let current: { gemm: OrtModel; search: BlockSearch } | undefined;
let queue: Promise<void> = Promise.resolve();

async function handle(request: HelperRequest): Promise<void> {
  if ('setup' in request) {
    const { setup } = request;
    const gemm = await openSearchGemm(setup.dim, { kind: 'cpu', deviceId: 0 }, threads);
    current = { gemm, search: new BlockSearch(gemm, setup) };
    // written here, so that the first copies into them do not fault their pages in on the main thread
    const buffers = Array.from({ length: request.buffers }, () => new Float32Array(setup.blockRows * setup.dim).fill(0));
    const ready: HelperReply = { free: buffers };
    port.postMessage(ready, buffers.map((buffer) => buffer.buffer));
    return;
  }
  const { gemm, search } = current!;
  if ('done' in request) {
    current = undefined;
    const tops = search.drain();
    const reply: HelperReply = { tops };
    port.postMessage(reply, tops.flatMap((top) => [top.rows.buffer, top.scores.buffer]));
    await gemm.release();
    return;
  }
  await search.add(request.start, request.rows, request.vectors);
  const reply: HelperReply = { free: [request.vectors] };
  port.postMessage(reply, [request.vectors.buffer]);
}

// a rejection nothing handles fails the worker, which the main thread sees as its 'error' event; the port stays
// open (it keeps this thread alive) until the main thread ends the worker
port.on('message', (request: HelperRequest) => {
  queue = queue.then(() => handle(request));
});
