import { pythonJsonString } from '../eval/python-json.js';

/** MTEB's model_meta.json fields, in the order its result folders hold them (json.dumps, one line). */
export interface ModelMeta {
  name: string;
  revision: string;
  embedDim: number | null;
  maxTokens: number | null;
  similarity: string | null;
}

export function formatModelMeta(meta: ModelMeta): string {
  const fields: Array<[string, string]> = [
    ['name', pythonJsonString(meta.name)],
    ['revision', pythonJsonString(meta.revision)],
    ['release_date', 'null'],
    ['languages', '["eng_Latn"]'],
    ['n_parameters', 'null'],
    ['memory_usage', 'null'],
    ['max_tokens', meta.maxTokens === null ? 'null' : String(meta.maxTokens)],
    ['embed_dim', meta.embedDim === null ? 'null' : String(meta.embedDim)],
    ['license', 'null'],
    ['open_source', 'null'],
    ['similarity_fn_name', meta.similarity === null ? 'null' : pythonJsonString(meta.similarity)],
    ['framework', '[]'],
    ['loader', 'null'],
  ];
  return `{${fields.map(([key, value]) => `${pythonJsonString(key)}: ${value}`).join(', ')}}`;
}
