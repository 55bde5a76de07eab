import { vi } from 'vitest';

/**
 * Setup file of the files that share a worker process (vitest.config.ts, `isolate: false`): each such file starts
 * with every module of ours evaluated afresh, as in a process of its own (caches, pools and counters held in module
 * state do not carry over from the file before). Packages under node_modules and Node's own modules are loaded once
 * per process, as they would be by any long-running program.
 */
vi.resetModules();
