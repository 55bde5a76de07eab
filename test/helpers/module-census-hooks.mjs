/** Loader hooks of module-census.mjs (they run on the loader's own thread): one line per ES module loaded. */
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  appendFileSync(process.env.REASONIR_MODULE_CENSUS, `${url}\n`);
  return result;
}
