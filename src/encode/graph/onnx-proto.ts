/**
 * A protobuf writer for the subset of ONNX's ModelProto the graph builder emits (nodes, attributes, initializers
 * inline or as external data, typed inputs/outputs, opset imports, metadata).
 *
 * Written here rather than taken from npm: the packages that carry ONNX's schema are either 23 MB with a schema
 * frozen at ONNX 1.10 (onnx-proto, no bfloat16 external data conventions, no opset 23/24 attributes) or a single
 * unmaintained release (onnx-buf). Serialising these ~15 message types is 150 lines of varint and length-delimited
 * fields; field numbers are from onnx/onnx.proto (ONNX 1.19).
 */

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, BFLOAT16: 16 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; value: TensorDef };

export interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface TensorDef {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  /** Inline little-endian bytes. */
  raw?: Uint8Array;
  /** Bytes in a file beside the model: ONNX external data (location relative to the external data folder). */
  external?: { location: string; offset: number; length: number };
}

export interface ValueInfoDef {
  name: string;
  dataType: DataTypeCode;
  /** numbers for fixed axes, strings for symbolic ones */
  shape: (number | string)[];
}

export interface ModelDef {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: { name: string; version: string };
  graph: { name: string; nodes: NodeDef[]; initializers: TensorDef[]; inputs: ValueInfoDef[]; outputs: ValueInfoDef[] };
  metadata?: Record<string, string>;
}

/** Growable byte sink with protobuf's wire primitives. */
class Writer {
  private buffer = new Uint8Array(1024);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** Unsigned varint; negative int64 values use protobuf's ten-byte two's complement form. */
  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  tag(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    const scratch = new DataView(new ArrayBuffer(4));
    scratch.setFloat32(0, value, true);
    this.bytes(new Uint8Array(scratch.buffer));
  }

  lengthDelimited(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.bytes(data);
  }

  string(field: number, value: string): void {
    this.lengthDelimited(field, new TextEncoder().encode(value));
  }

  message(field: number, write: (inner: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.lengthDelimited(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

function writeTensor(w: Writer, tensor: TensorDef): void {
  for (const dim of tensor.dims) w.int(1, dim);
  w.int(2, tensor.dataType);
  w.string(8, tensor.name);
  if (tensor.raw) w.lengthDelimited(9, tensor.raw);
  if (tensor.external) {
    const entries: [string, string][] = [
      ['location', tensor.external.location],
      ['offset', String(tensor.external.offset)],
      ['length', String(tensor.external.length)],
    ];
    for (const [key, value] of entries) {
      w.message(13, (entry) => {
        entry.string(1, key);
        entry.string(2, value);
      });
    }
    w.int(14, 1);
  }
}

function writeAttribute(w: Writer, name: string, attribute: AttributeValue): void {
  w.string(1, name);
  switch (attribute.kind) {
    case 'float':
      w.float(2, attribute.value);
      w.int(20, AttributeType.FLOAT);
      break;
    case 'int':
      w.int(3, attribute.value);
      w.int(20, AttributeType.INT);
      break;
    case 'string':
      w.string(4, attribute.value);
      w.int(20, AttributeType.STRING);
      break;
    case 'tensor':
      w.message(5, (inner) => writeTensor(inner, attribute.value));
      w.int(20, AttributeType.TENSOR);
      break;
    case 'floats':
      for (const value of attribute.value) w.float(7, value);
      w.int(20, AttributeType.FLOATS);
      break;
    case 'ints':
      for (const value of attribute.value) w.int(8, value);
      w.int(20, AttributeType.INTS);
      break;
  }
}

function writeValueInfo(w: Writer, info: ValueInfoDef): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.int(1, info.dataType);
      tensorType.message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

function writeNode(w: Writer, node: NodeDef): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  if (node.name) w.string(3, node.name);
  w.string(4, node.op);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) w.message(5, (inner) => writeAttribute(inner, name, attribute));
  if (node.domain) w.string(7, node.domain);
}

/** Serialises a model to ONNX protobuf bytes. */
export function encodeModel(model: ModelDef): Uint8Array {
  const w = new Writer();
  w.int(1, model.irVersion);
  w.string(2, model.producer.name);
  w.string(3, model.producer.version);
  w.message(7, (graph) => {
    for (const node of model.graph.nodes) graph.message(1, (inner) => writeNode(inner, node));
    graph.string(2, model.graph.name);
    for (const tensor of model.graph.initializers) graph.message(5, (inner) => writeTensor(inner, tensor));
    for (const input of model.graph.inputs) graph.message(11, (inner) => writeValueInfo(inner, input));
    for (const output of model.graph.outputs) graph.message(12, (inner) => writeValueInfo(inner, output));
  });
  for (const opset of model.opsets) {
    w.message(8, (inner) => {
      if (opset.domain) inner.string(1, opset.domain);
      inner.int(2, opset.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (entry) => {
      entry.string(1, key);
      entry.string(2, value);
    });
  }
  return w.finish();
}
