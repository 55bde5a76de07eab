/**
 * A one-node ONNX model, written with a minimal protobuf encoder (the graph is ~200 bytes; no onnx package):
 *   scores = Gemm(queries[m, d], documents[n, d], transB=1)        -> [m, n]
 * The exact search selects each query's top rows from `scores` itself (an ONNX TopK per block cost more than the
 * Gemm on the CPU, and its candidates still had to be merged and their ties settled from the full scores).
 */

class ProtoWriter {
  private readonly bytes: number[] = [];

  varint(field: number, value: number): this {
    this.tag(field, 0);
    this.raw(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, body: ProtoWriter): this {
    return this.bytesField(field, body.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.raw(data.length);
    for (const byte of data) this.bytes.push(byte);
    return this;
  }

  private tag(field: number, wireType: number): void {
    this.raw(field * 8 + wireType);
  }

  private raw(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.bytes.push(rest);
  }
}

const FLOAT = 1;
const ATTRIBUTE_INT = 2;

function valueInfo(name: string, elementType: number, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of dims) shape.message(1, typeof dim === 'number' ? new ProtoWriter().varint(1, dim) : new ProtoWriter().string(2, dim));
  const tensorType = new ProtoWriter().varint(1, elementType).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, number>): ProtoWriter {
  const writer = new ProtoWriter();
  for (const input of inputs) writer.string(1, input);
  for (const output of outputs) writer.string(2, output);
  writer.string(3, opType.toLowerCase()).string(4, opType);
  for (const [name, value] of Object.entries(attributes)) writer.message(5, new ProtoWriter().string(1, name).varint(3, value).varint(20, ATTRIBUTE_INT));
  return writer;
}

export function buildScoreGraph(dim: number): Uint8Array {
  const graph = new ProtoWriter()
    .message(1, node('Gemm', ['queries', 'documents'], ['scores'], { transB: 1 }))
    .string(2, 'exact_scores')
    .message(11, valueInfo('queries', FLOAT, ['m', dim]))
    .message(11, valueInfo('documents', FLOAT, ['n', dim]))
    .message(12, valueInfo('scores', FLOAT, ['m', 'n']));
  return new ProtoWriter()
    .varint(1, 8) // ir_version
    .string(2, 'reasonir')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').varint(2, 17))
    .finish();
}
