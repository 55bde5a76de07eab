#!/usr/bin/env node
/**
 * `npm run build`'s second step: bundles tsc's CLI (<root>/cli/main.js, root dist by default) into CommonJS chunks
 * under <root>/cli/bundle/ and makes <root>/cli/main.js a two-line CommonJS entry that requires the bundle's main
 * (tsc's other CLI modules are removed: the chunks hold them). A cached
 * BM25 eval then loads ~50 files instead of ~130 ES modules, and loads them as CommonJS: Node 20's ES module loader
 * resolves, reads, links and evaluates each module asynchronously, CommonJS in one synchronous step (cached biology
 * eval, load 13-20: -0.11 s CPU, -0.07 s on the main thread; the same chunks as ES modules measured no gain).
 * Each dynamic import stays a chunk boundary, so a command still loads only the code it uses:
 * test/cli-lazy-commands.test.ts counts the compiled modules inside the chunks a process loads, from their source
 * maps. The worker modules are entries beside the chunks, where the code that starts them looks
 * (`new URL('./<name>.js', import.meta.url)`, as in tsc's output). The rest of <root> (the library, dist/index.js)
 * stays tsc's output.
 * usage: node tools/bundle-cli.mjs [root]
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RolldownMagicString, rolldown } from 'rolldown';
import { parseSync } from 'rolldown/utils';

const root = path.resolve(process.argv[2] ?? 'dist');
const cliDir = path.join(root, 'cli');
const bundleDir = path.join(cliDir, 'bundle');
/** The worker modules the CLI may start (by retrieval/bm25/analysis-workers.ts's workerUrl): every *-worker.js there. */
const WORKERS = readdirSync(path.join(root, 'retrieval', 'bm25')).filter((name) => name.endsWith('-worker.js')).map((name) => name.slice(0, -'.js'.length));
/**
 * CommonJS like the chunks (<root>/cli/ is made a CommonJS folder below): an ES module entry had Node set up its ES
 * module loader (nine more of its own modules) for one import, ~10 ms of every command, `--version` included.
 */
const ENTRY = `#!/usr/bin/env node
// the CLI runs from CommonJS chunks bundled by tools/bundle-cli.mjs
require('./bundle/main.js');
`;

/**
 * commander requires node:child_process when it loads, for executable subcommands (`git`-style separate programs),
 * which this CLI has none of: loading it (with net and dgram) cost every command ~10 ms. Its one top-level require
 * becomes a require on first use; the build fails if commander's source no longer has that line.
 */
function lazyCommanderChildProcess() {
  const line = "const childProcess = require('node:child_process');";
  return {
    name: 'lazy-commander-child-process',
    transform(code, id) {
      if (!/[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
      if (!code.includes(line)) throw new Error(`bundle-cli: commander's lib/command.js no longer has "${line}"`);
      const start = code.indexOf(line);
      const source = new RolldownMagicString(code);
      source.overwrite(start, start + line.length, "let loaded; const childProcess = { spawn: (...args) => (loaded ??= require('node:child_process')).spawn(...args) };");
      return { code: source.toString(), map: source.generateMap({ hires: true, source: id }).toString() };
    },
  };
}

const main = path.join(cliDir, 'main.js');
if (readFileSync(main, 'utf8') === ENTRY) throw new Error(`${main} is the bundle's entry already: run tsc first (npm run build does both)`);
rmSync(bundleDir, { recursive: true, force: true });
const bundle = await rolldown({
  input: { main, ...Object.fromEntries(WORKERS.map((name) => [name, path.join(root, 'retrieval', 'bm25', `${name}.js`)])) },
  platform: 'node',
  // required from node_modules at run time, as Node resolves them: onnxruntime-node loads its native binding from
  // paths relative to its own files; apache-arrow's Node build registers its Node streams by a side effect that its
  // package.json ("sideEffects": false) lets a bundler drop (writing an embedding cache then failed), and
  // @huggingface/tokenizers also has a build of its own for Node. Both have CommonJS builds, as a require needs.
  external: [/^node:/, /^onnxruntime-node(\/|$)/, /^apache-arrow(\/|$)/, /^@huggingface\/tokenizers(\/|$)/],
  plugins: [lazyCommanderChildProcess()],
  onLog(level, log, handler) {
    // a warning (an import that does not resolve, say) fails the build instead of a run later
    if (level === 'warn') throw new Error(`bundle-cli: ${log.message}`);
    handler(level, log);
  },
});
const { output } = await bundle.write({
  dir: bundleDir,
  format: 'cjs',
  // the modules are ES modules, strict by definition; CommonJS is sloppy unless told
  strict: true,
  sourcemap: true,
  sourcemapExcludeSources: true,
  // Node's packages (node:child_process) imported on first use become require()s: the CLI compiles its chunks with
  // vm.Script for the code cache (src/cli/code-cache.ts), where an import() fails without an experimental flag
  dynamicImportInCjs: false,
  entryFileNames: '[name].js',
  // the content hash in a chunk's name is what lets src/cli/code-cache.ts trust a cache made for that name
  chunkFileNames: '[name]-[hash].js',
});
await bundle.close();
// tsc's CLI modules are in the chunks now; nothing imports them (the library does not, and the CLI is the bundle).
// They go, so that <root>/cli/ can be a CommonJS folder (the package is "type": "module") holding the entry and the chunks
for (const name of readdirSync(cliDir)) if (name !== 'bundle') rmSync(path.join(cliDir, name), { recursive: true, force: true });
writeFileSync(path.join(cliDir, 'package.json'), '{ "type": "commonjs" }\n');
writeFileSync(main, ENTRY);

// every chunk strict and without import() (see dynamicImportInCjs); a chunk that names a worker must have the
// worker's entry beside it
for (const chunk of output) {
  if (chunk.type !== 'chunk') continue;
  if (!chunk.code.replace(/^#!.*\n/, '').startsWith('"use strict";')) throw new Error(`bundle-cli: ${chunk.fileName} would run in sloppy mode`);
  if (parseSync(chunk.fileName, chunk.code).module.dynamicImports.length > 0) throw new Error(`bundle-cli: ${chunk.fileName} keeps an import(), which the code cache's vm.Script cannot run`);
  for (const name of WORKERS) {
    if (chunk.code.includes(`${name}.js`) && !existsSync(path.join(bundleDir, path.dirname(chunk.fileName), `${name}.js`))) {
      throw new Error(`bundle-cli: ${chunk.fileName} starts ${name}.js, which is not beside it`);
    }
  }
}
