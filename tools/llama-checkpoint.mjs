/**
 * Writes a Llama-architecture checkpoint in Hugging Face layout (config.json, bf16 .safetensors shards +
 * model.safetensors.index.json with `model.` prefixes): `fill: 'random'` gives bounded random bf16 weights
 * (|w| in [2^-10, 2^-6), norms 1.0) for throughput benchmarks, `fill: 'sparse'` only sizes the files (sparse zeros),
 * so an 8B-shaped checkpoint costs no disk for tests that never run it. Used by `npm run bench -- gpu` and tests.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, ftruncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** ReasonIR-8B's config.json numbers (Llama-3.1-8B). */
export const REASONIR_8B_CONFIG = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32,
  num_key_value_heads: 8, head_dim: 128, intermediate_size: 14336, vocab_size: 128256, rms_norm_eps: 1e-5, rope_theta: 500000.0,
  rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  max_position_embeddings: 131072, hidden_act: 'silu', attention_bias: false, mlp_bias: false, tie_word_embeddings: false, torch_dtype: 'bfloat16',
};

function tensorsOf(config) {
  const { hidden_size: h, num_attention_heads: heads, num_key_value_heads: kv, intermediate_size: m, vocab_size: v } = config;
  const d = config.head_dim ?? h / heads;
  const list = [['model.embed_tokens.weight', [v, h]]];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    list.push(
      [`${p}.input_layernorm.weight`, [h]], [`${p}.self_attn.q_proj.weight`, [heads * d, h]], [`${p}.self_attn.k_proj.weight`, [kv * d, h]],
      [`${p}.self_attn.v_proj.weight`, [kv * d, h]], [`${p}.self_attn.o_proj.weight`, [h, heads * d]], [`${p}.post_attention_layernorm.weight`, [h]],
      [`${p}.mlp.gate_proj.weight`, [m, h]], [`${p}.mlp.up_proj.weight`, [m, h]], [`${p}.mlp.down_proj.weight`, [h, m]],
    );
  }
  list.push(['model.norm.weight', [h]]);
  return list;
}

const CHUNK = 1 << 24;

function writeRandomBf16(fd, count, isNorm) {
  const chunk = new Uint16Array(Math.min(CHUNK, count));
  for (let done = 0; done < count; done += chunk.length) {
    const n = Math.min(chunk.length, count - done);
    const view = chunk.subarray(0, n);
    if (isNorm) view.fill(0x3f80);
    else {
      randomFillSync(view);
      // keep sign and mantissa, force the exponent into [117, 120]: values of magnitude 2^-10 .. 2^-6
      for (let i = 0; i < n; i++) view[i] = (view[i] & 0x807f) | ((117 + ((view[i] >> 7) & 3)) << 7);
    }
    writeSync(fd, view);
  }
}

/** Writes the checkpoint into `dir` (which must exist); returns the shard file names. */
export function writeLlamaCheckpoint({ dir, config = REASONIR_8B_CONFIG, shards = 4, fill = 'random' }) {
  writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const tensors = tensorsOf(config);
  const total = tensors.reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1) * 2, 0);
  const names = Array.from({ length: shards }, (_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`);
  const groups = names.map(() => []);
  let shard = 0;
  let filled = 0;
  for (const tensor of tensors) {
    const bytes = tensor[1].reduce((a, b) => a * b, 1) * 2;
    if (filled > ((shard + 1) * total) / shards && shard < shards - 1) shard++;
    groups[shard].push(tensor);
    filled += bytes;
  }
  const weightMap = {};
  groups.forEach((group, i) => {
    const header = {};
    let offset = 0;
    for (const [name, shape] of group) {
      const bytes = shape.reduce((a, b) => a * b, 1) * 2;
      header[name] = { dtype: 'BF16', shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
      weightMap[name] = names[i];
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    const fd = openSync(path.join(dir, names[i]), 'w');
    try {
      writeSync(fd, prefix);
      writeSync(fd, json);
      if (fill === 'sparse') ftruncateSync(fd, 8 + json.length + offset);
      else for (const [name, shape] of group) writeRandomBf16(fd, shape.reduce((a, b) => a * b, 1), name.endsWith('norm.weight'));
    } finally {
      closeSync(fd);
    }
  });
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), `${JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2)}\n`);
  return names;
}
