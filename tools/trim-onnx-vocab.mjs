#!/usr/bin/env node
/**
 * Shrinks a test encoder's ONNX graph to the vocabulary its reference texts use, so it can be committed:
 *
 *   node tools/trim-onnx-vocab.mjs <model.onnx> <references.json> <out.onnx> [--fallback <token id>]
 *
 * tiny-llama-bidir's graph is 6.5 MB, 6.4 MB of it the 50257 x 32 token embedding. This keeps the rows of every
 * token id found in references.json (any array under a key ending in `ids`, plus the fallback id) in a compact
 * matrix, and puts one Gather in front of the embedding lookup that maps each vocabulary id to its compact row:
 *
 *   input_ids -> Gather(reasonir_token_remap) -> Gather(embed_tokens.weight) -> ...rest of the graph unchanged
 *
 * For every kept id the embedding row is the same bytes, so the graph's outputs on the reference texts are
 * bit-identical to the original's (test/encode/reference-embeddings.test.ts checks them against transformers).
 * Ids that were dropped map to the fallback id's row (default: the pad id 50256): the graph still runs on any text,
 * but only the reference texts have reference outputs.
 *
 * It edits the protobuf directly (a few fields of ModelProto / GraphProto / NodeProto / TensorProto) because the
 * onnx Python package is not a dependency of this project.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [input, referencesPath, output, ...rest] = process.argv.slice(2);
if (!input || !referencesPath || !output) {
  process.stderr.write('usage: node tools/trim-onnx-vocab.mjs <model.onnx> <references.json> <out.onnx> [--fallback <token id>]\n');
  process.exit(2);
}
const fallbackIndex = rest.indexOf('--fallback');
const fallbackId = fallbackIndex >= 0 ? Number(rest[fallbackIndex + 1]) : 50256;

// --- protobuf wire format: just enough to read fields and write them back ---
function readVarint(bytes, pos) {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    const byte = bytes[pos++];
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) return [value, pos];
  }
}

function varint(value) {
  let v = BigInt(value);
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

/** The fields of one message, in order, each with its raw bytes so unchanged fields are copied verbatim. */
function parseFields(bytes) {
  const fields = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    let tag;
    [tag, pos] = readVarint(bytes, pos);
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let value;
    if (wire === 0) [value, pos] = readVarint(bytes, pos);
    else if (wire === 2) {
      let length;
      [length, pos] = readVarint(bytes, pos);
      value = bytes.subarray(pos, pos + Number(length));
      pos += Number(length);
    } else if (wire === 5) {
      value = bytes.subarray(pos, pos + 4);
      pos += 4;
    } else if (wire === 1) {
      value = bytes.subarray(pos, pos + 8);
      pos += 8;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    fields.push({ field, wire, value, raw: bytes.subarray(start, pos) });
  }
  return fields;
}

const lengthDelimited = (field, bytes) => Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
const varintField = (field, value) => Buffer.concat([varint(field << 3), varint(value)]);
const stringField = (field, text) => lengthDelimited(field, Buffer.from(text, 'utf8'));
const strings = (fields, number) => fields.filter((f) => f.field === number).map((f) => f.value.toString('utf8'));

// ONNX field numbers (onnx.proto3)
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const NODE_OP_TYPE = 4;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const FLOAT = 1;
const INT32 = 6;

function tensor(name, dims, dataType, raw) {
  return Buffer.concat([...dims.map((d) => varintField(TENSOR_DIMS, d)), varintField(TENSOR_DATA_TYPE, dataType), stringField(TENSOR_NAME, name), lengthDelimited(TENSOR_RAW_DATA, raw)]);
}

// --- the token ids the references use ---
const keep = new Set([fallbackId]);
function collectIds(value, underIds) {
  if (Array.isArray(value)) for (const item of value) collectIds(item, underIds);
  else if (typeof value === 'number' && underIds) keep.add(value);
  else if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) collectIds(child, underIds || key.endsWith('ids'));
}
collectIds(JSON.parse(readFileSync(referencesPath, 'utf8')), false);

// --- rewrite ---
const model = parseFields(readFileSync(input));
const graphField = model.find((f) => f.field === MODEL_GRAPH);
const graph = parseFields(graphField.value);

const lookups = graph.filter((f) => f.field === GRAPH_NODE).map((f) => ({ f, node: parseFields(f.value) })).filter(({ node }) => strings(node, NODE_OP_TYPE)[0] === 'Gather');
const initializers = new Map(graph.filter((f) => f.field === GRAPH_INITIALIZER).map((f) => [strings(parseFields(f.value), TENSOR_NAME)[0], f]));
const lookup = lookups.find(({ node }) => {
  const init = initializers.get(strings(node, NODE_INPUT)[0]);
  return init && parseFields(init.value).filter((t) => t.field === TENSOR_DIMS).length === 2;
});
if (!lookup) throw new Error('no Gather over a 2-d initializer (the token embedding) in this graph');
const [embeddingName, idsName] = strings(lookup.node, NODE_INPUT);
const embedding = parseFields(initializers.get(embeddingName).value);
const [vocab, hidden] = embedding.filter((t) => t.field === TENSOR_DIMS).map((t) => Number(t.value));
const raw = embedding.find((t) => t.field === TENSOR_RAW_DATA)?.value;
if (Number(embedding.find((t) => t.field === TENSOR_DATA_TYPE).value) !== FLOAT || !raw || raw.length !== vocab * hidden * 4) {
  throw new Error(`${embeddingName} is not a float32 raw_data tensor of ${vocab} x ${hidden}`);
}
for (const id of keep) if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`token id ${id} is outside the vocabulary (${vocab})`);

const kept = [...keep].sort((a, b) => a - b);
const rows = Buffer.alloc(kept.length * hidden * 4);
kept.forEach((id, row) => raw.copy(rows, row * hidden * 4, id * hidden * 4, (id + 1) * hidden * 4));
const remap = new Int32Array(vocab).fill(kept.indexOf(fallbackId));
kept.forEach((id, row) => (remap[id] = row));

const remapName = 'reasonir_token_remap';
const compactIds = 'reasonir_compact_ids';
const remapNode = Buffer.concat([stringField(NODE_INPUT, remapName), stringField(NODE_INPUT, idsName), stringField(NODE_OUTPUT, compactIds), stringField(NODE_NAME, 'reasonir_remap/Gather'), stringField(NODE_OP_TYPE, 'Gather')]);
let inputIndex = 0;
const rewiredLookup = Buffer.concat(
  lookup.node.map((f) => (f.field === NODE_INPUT && inputIndex++ === 1 ? stringField(NODE_INPUT, compactIds) : f.raw)),
);

const newGraph = Buffer.concat(
  graph.flatMap((f) => {
    if (f === lookup.f) return [lengthDelimited(GRAPH_NODE, remapNode), lengthDelimited(GRAPH_NODE, rewiredLookup)];
    if (f === initializers.get(embeddingName)) {
      return [
        lengthDelimited(GRAPH_INITIALIZER, tensor(embeddingName, [kept.length, hidden], FLOAT, rows)),
        lengthDelimited(GRAPH_INITIALIZER, tensor(remapName, [vocab], INT32, Buffer.from(remap.buffer))),
      ];
    }
    return [f.raw];
  }),
);
writeFileSync(output, Buffer.concat(model.map((f) => (f === graphField ? lengthDelimited(MODEL_GRAPH, newGraph) : f.raw))));
process.stderr.write(`${output}: kept ${kept.length} of ${vocab} embedding rows; others map to token ${fallbackId}'s row\n`);
