import { parentPort } from 'node:worker_threads';
import type { SearchMessage, SearchRequest } from './parallel-search.js';
import { searchResponder } from './search-responder.js';

/** Worker entry of a search that started its own workers: the index comes first, then the queries. */
let respond: ((request: SearchRequest) => void) | null = null;

parentPort?.on('message', (message: SearchMessage) => {
  if ('search' in message) respond = searchResponder(message.search);
  else respond!(message);
});
