/** ONNX graph builder: nodes, graph inputs and outputs, constants deduplicated as initializers; encoded by writer.ts. */
import {
  DataType,
  encodeModel,
  OPSET_VERSION,
  type AttributeValue,
  type DataTypeCode,
  type NodeSpec,
  type TensorValue,
  type ValueInfo,
} from './writer.js';

/** Attribute shorthands for {@link GraphBuilder.op}. */
export const attr = {
  i: (value: number): AttributeValue => ({ kind: 'int', value }),
  is: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  f: (value: number): AttributeValue => ({ kind: 'float', value }),
  t: (value: TensorValue): AttributeValue => ({ kind: 'tensor', value }),
};

type Attrs = Readonly<Record<string, AttributeValue>>;

/**
 * Builds one ONNX graph node by node. Tensor names are strings; every helper returns the name
 * of the tensor it produced. Constants become initializers (deduplicated by value).
 */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: TensorValue[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();
  /** Node outputs that leave the graph under another name. */
  private readonly renamed = new Map<string, string>();

  constructor(readonly name: string) {}

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** Adds a node with `nOutputs` fresh outputs and returns their names. */
  opN(opType: string, inputs: readonly string[], nOutputs: number, attributes?: Attrs): string[] {
    const outputs = Array.from({ length: nOutputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, inputs, outputs, attributes });
    return outputs;
  }

  /** Adds a single-output node. */
  op(opType: string, inputs: readonly string[], attributes?: Attrs): string {
    return this.opN(opType, inputs, 1, attributes)[0]!;
  }

  input(name: string, dataType: DataTypeCode, dims: readonly (number | string)[]): string {
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  /**
   * Declares `source` as graph output `name`. A tensor computed by a node is renamed (no copy);
   * a graph input, an initializer or a tensor already exported goes through an Identity node.
   */
  output(name: string, source: string, dataType: DataTypeCode, dims: readonly (number | string)[]): void {
    const computed = this.nodes.some((n) => n.outputs.includes(source));
    if (computed && !this.renamed.has(source)) this.renamed.set(source, name);
    else this.nodes.push({ opType: 'Identity', inputs: [source], outputs: [name] });
    this.outputs.push({ name, dataType, dims });
  }

  private constant(kind: string, dataType: DataTypeCode, data: TensorValue['data'], dims: readonly number[]): string {
    const key = `${kind}:${dims.join(',')}:${Array.from(data as ArrayLike<number | bigint>).join(',')}`;
    const cached = this.constCache.get(key);
    if (cached !== undefined) return cached;
    const name = this.fresh(`const_${kind}`);
    this.initializers.push({ name, dataType, dims, data });
    this.constCache.set(key, name);
    return name;
  }

  /** A float32 constant; a scalar when `dims` is omitted. */
  f32(values: number | readonly number[], dims: readonly number[] = []): string {
    const arr = Float32Array.from(typeof values === 'number' ? [values] : values);
    return this.constant('f32', DataType.FLOAT, arr, dims);
  }

  /** An int64 constant, 1-D unless `dims` is given (shapes, axes, indices). */
  i64(values: number | readonly number[], dims?: readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const arr = BigInt64Array.from(list, (v) => BigInt(v));
    return this.constant('i64', DataType.INT64, arr, dims ?? (typeof values === 'number' ? [] : [list.length]));
  }

  add(a: string, b: string): string { return this.op('Add', [a, b]); }
  sub(a: string, b: string): string { return this.op('Sub', [a, b]); }
  mul(a: string, b: string): string { return this.op('Mul', [a, b]); }
  div(a: string, b: string): string { return this.op('Div', [a, b]); }
  matmul(a: string, b: string): string { return this.op('MatMul', [a, b]); }
  transpose(x: string, perm: readonly number[]): string { return this.op('Transpose', [x], { perm: attr.is(perm) }); }
  reshape(x: string, shape: readonly number[]): string { return this.op('Reshape', [x, this.i64(shape)]); }
  cast(x: string, to: DataTypeCode): string { return this.op('Cast', [x], { to: attr.i(to) }); }
  /** Sum over `axes` (opset 13+: axes is an input). */
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.i64(axes)], { keepdims: attr.i(keepdims ? 1 : 0) });
  }
  /** `Aᵀ·B` for 2-D operands: a weight gradient from activations and output gradients. */
  gemmTA(a: string, b: string): string { return this.op('Gemm', [a, b], { transA: attr.i(1) }); }

  /** The whole graph as ONNX bytes (opset {@link OPSET_VERSION}). */
  encode(): Uint8Array {
    const rename = (t: string) => this.renamed.get(t) ?? t;
    return encodeModel({
      graphName: this.name,
      nodes: this.nodes.map((n) => ({ ...n, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) })),
      inputs: this.inputs,
      outputs: this.outputs,
      initializers: this.initializers,
      opset: OPSET_VERSION,
    });
  }
}
