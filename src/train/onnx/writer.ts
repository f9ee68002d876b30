/**
 * ONNX model serializer: a small protocol-buffers writer for the subset of `onnx.proto` that
 * maskpack's training graphs use (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto). Field numbers follow `onnx/onnx.proto` (IR version 8) and are
 * named below after the `.proto` fields they write.
 *
 * Wire format reminders: a field key is `(field << 3) | wireType`; wire type 0 is a varint,
 * 2 a length-delimited byte string (strings, sub-messages, packed repeated scalars), 5 a
 * little-endian 32-bit value (float).
 */

/** The ONNX IR version written into `ModelProto.ir_version` (onnx 1.10+ reads it). */
export const IR_VERSION = 8;

/** The default-domain opset version written unless a model sets its own. */
export const OPSET_VERSION = 17;

/** Protobuf wire types used here. */
const WireType = { VARINT: 0, LEN: 2, I32: 5 } as const;

/** `ModelProto` field numbers. */
const ModelField = { ir_version: 1, producer_name: 2, graph: 7, opset_import: 8 } as const;
/** `OperatorSetIdProto` field numbers. */
const OperatorSetIdField = { domain: 1, version: 2 } as const;
/** `GraphProto` field numbers. */
const GraphField = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
/** `NodeProto` field numbers. */
const NodeField = { input: 1, output: 2, name: 3, op_type: 4, attribute: 5, domain: 7 } as const;
/** `AttributeProto` field numbers. */
const AttributeField = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, type: 20 } as const;
/** `TensorProto` field numbers. */
const TensorField = { dims: 1, data_type: 2, name: 8, raw_data: 9 } as const;
/** `ValueInfoProto` field numbers. */
const ValueInfoField = { name: 1, type: 2 } as const;
/** `TypeProto` field numbers (the `value` oneof's tensor member). */
const TypeField = { tensor_type: 1 } as const;
/** `TypeProto.Tensor` field numbers. */
const TensorTypeField = { elem_type: 1, shape: 2 } as const;
/** `TensorShapeProto` field numbers. */
const ShapeField = { dim: 1 } as const;
/** `TensorShapeProto.Dimension` field numbers (the `value` oneof). */
const DimensionField = { dim_value: 1, dim_param: 2 } as const;

/** ONNX `TensorProto.DataType` values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** A dense tensor stored in the model (an initializer or a `Constant` value). */
export interface TensorValue {
  name?: string;
  dataType: DataTypeCode;
  dims: readonly number[];
  /** Raw little-endian element bytes, as ONNX `raw_data`. */
  data: Float32Array | Int32Array | BigInt64Array | Float64Array | Uint8Array;
}

/** An attribute value: number (INT unless `float` is set), number[] (INTS), string, tensor. */
export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorValue };

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A graph input or output: element type and shape (`string` dims are symbolic). */
export interface ValueInfo {
  name: string;
  dataType: DataTypeCode;
  dims: readonly (number | string)[];
}

export interface ModelSpec {
  graphName: string;
  nodes: readonly NodeSpec[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers?: readonly TensorValue[];
  /** Default-domain opset version; {@link OPSET_VERSION} unless set. */
  opset?: number;
  producerName?: string;
}

/** `AttributeProto.AttributeType` of each attribute kind. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;
const textEncoder = new TextEncoder();

/** Appends protobuf fields to a growing byte buffer. */
class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint of a non-negative integer below 2^53, or a negative int64 (10 bytes). */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.reserve(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  bytes(field: number, data: Uint8Array): void {
    this.key(field, WireType.LEN);
    this.varint(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, textEncoder.encode(s));
  }

  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.bytes(field, inner.finish());
  }

  int(field: number, v: number | bigint): void {
    this.key(field, WireType.VARINT);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.key(field, WireType.I32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  packedVarints(field: number, values: readonly number[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): void {
    this.bytes(field, new Uint8Array(Float32Array.from(values).buffer));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function littleEndianBytes(data: TensorValue['data']): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function writeTensor(w: ProtoWriter, t: TensorValue): void {
  if (t.dims.length > 0) w.packedVarints(TensorField.dims, t.dims);
  w.int(TensorField.data_type, t.dataType);
  if (t.name !== undefined) w.string(TensorField.name, t.name);
  w.bytes(TensorField.raw_data, littleEndianBytes(t.data));
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(AttributeField.name, name);
  switch (a.kind) {
    case 'float': w.float(AttributeField.f, a.value); break;
    case 'int': w.int(AttributeField.i, a.value); break;
    case 'string': w.string(AttributeField.s, a.value); break;
    case 'tensor': w.message(AttributeField.t, (t) => writeTensor(t, a.value)); break;
    case 'floats': w.packedFloats(AttributeField.floats, a.value); break;
    case 'ints': w.packedVarints(AttributeField.ints, a.value); break;
  }
  w.int(AttributeField.type, ATTRIBUTE_TYPE[a.kind]);
}

function writeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.string(NodeField.input, i);
  for (const o of n.outputs) w.string(NodeField.output, o);
  if (n.name !== undefined) w.string(NodeField.name, n.name);
  w.string(NodeField.op_type, n.opType);
  for (const [name, a] of Object.entries(n.attributes ?? {})) {
    w.message(NodeField.attribute, (m) => writeAttribute(m, name, a));
  }
  if (n.domain !== undefined) w.string(NodeField.domain, n.domain);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(ValueInfoField.name, v.name);
  w.message(ValueInfoField.type, (type) =>
    type.message(TypeField.tensor_type, (tensor) => {
      tensor.int(TensorTypeField.elem_type, v.dataType);
      tensor.message(TensorTypeField.shape, (shape) => {
        for (const d of v.dims) {
          shape.message(ShapeField.dim, (dim) =>
            typeof d === 'number' ? dim.int(DimensionField.dim_value, d) : dim.string(DimensionField.dim_param, d));
        }
      });
    }),
  );
}

/** Serializes a model to ONNX protobuf bytes, ready for `InferenceSession.create(bytes)`. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int(ModelField.ir_version, IR_VERSION);
  w.string(ModelField.producer_name, spec.producerName ?? 'maskpack');
  w.message(ModelField.graph, (g) => {
    for (const n of spec.nodes) g.message(GraphField.node, (m) => writeNode(m, n));
    g.string(GraphField.name, spec.graphName);
    for (const t of spec.initializers ?? []) g.message(GraphField.initializer, (m) => writeTensor(m, t));
    for (const v of spec.inputs) g.message(GraphField.input, (m) => writeValueInfo(m, v));
    for (const v of spec.outputs) g.message(GraphField.output, (m) => writeValueInfo(m, v));
  });
  w.message(ModelField.opset_import, (o) => {
    o.string(OperatorSetIdField.domain, '');
    o.int(OperatorSetIdField.version, spec.opset ?? OPSET_VERSION);
  });
  return w.finish();
}
