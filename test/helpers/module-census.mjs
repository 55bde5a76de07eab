/**
 * `node --import ./test/helpers/module-census.mjs ...`: appends every module the process loads to the file named by
 * REASONIR_MODULE_CENSUS, one per line: ES modules as the loader hook sees them (file: or node: URLs), CommonJS
 * modules as `cjs:<path>` from require.cache and Node's public builtins as `builtin:<name>` when the process exits.
 * Used by test/cli-lazy-commands.test.ts.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.REASONIR_MODULE_CENSUS;
if (file) {
  register(new URL('./module-census-hooks.mjs', import.meta.url));
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    appendFileSync(file, Object.keys(require.cache).map((name) => `cjs:${name}\n`).join(''));
    // Node's own public modules, however they were loaded (a CommonJS require of a builtin leaves no other trace)
    const builtins = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ') && !entry.startsWith('NativeModule internal/'));
    appendFileSync(file, builtins.map((entry) => `builtin:${entry.slice('NativeModule '.length)}\n`).join(''));
  });
}
