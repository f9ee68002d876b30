// The training graphs decoded by protobufjs against the ONNX schema (test/onnx-subset.proto,
// copied from onnx/onnx.proto), independently of maskpack's writer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildTrainingGraphs, DEFAULT_ADAMW, parameterSpecs, type ModelConfig } from 'maskpack';
import protobuf from 'protobufjs';

const schema = readFileSync(fileURLToPath(new URL('../../test/onnx-subset.proto', import.meta.url)), 'utf8');
const ModelProto = protobuf.parse(schema, { keepCase: true }).root.lookupType('onnx.ModelProto');

/** The decoded messages, as protobufjs' `toObject` gives them with the options below. */
interface Dimension { dim_value?: number; dim_param?: string }
interface ValueInfo { name: string; type?: { tensor_type?: { elem_type?: number; shape?: { dim?: Dimension[] } } } }
interface Tensor { name?: string; dims?: number[]; data_type?: number; raw_data?: Uint8Array }
interface Attribute { name: string; type?: number; f?: number; i?: number; s?: Uint8Array; t?: Tensor; floats?: number[]; ints?: number[] }
interface Node { input?: string[]; output?: string[]; op_type: string; domain?: string; attribute?: Attribute[] }
interface Graph { name?: string; node?: Node[]; initializer?: Tensor[]; input?: ValueInfo[]; output?: ValueInfo[] }
interface Model { ir_version?: number; producer_name?: string; opset_import?: { domain?: string; version?: number }[]; graph?: Graph }

function decodeModel(bytes: Uint8Array): Model {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, enums: Number, arrays: true }) as Model;
}

/** `TensorProto.DataType` → element size in bytes, for the types the graphs hold. */
const ELEMENT_BYTES: Record<number, number> = { 1: 4, 6: 4, 7: 8 };
/** `AttributeProto.AttributeType` → the field that carries its value. */
const ATTRIBUTE_FIELD: Record<number, keyof Attribute> = { 1: 'f', 2: 'i', 3: 's', 4: 't', 6: 'floats', 7: 'ints' };

const config: ModelConfig = { vocabSize: 13, hidden: 8, layers: 2, heads: 2, ffn: 16, maxPositions: 5, ignoreIndex: -100 };

describe('ONNX graphs written by maskpack', () => {
  const graphs = buildTrainingGraphs(config, DEFAULT_ADAMW);
  const names = parameterSpecs(config).map((s) => s.name);

  for (const [kind, bytes] of Object.entries(graphs)) {
    it(`${kind}: decodes as a well-formed ModelProto (IR 8, opset 17, topologically ordered)`, () => {
      const model = decodeModel(bytes);
      assert.equal(model.ir_version, 8, 'ir_version');
      assert.equal(model.producer_name, 'maskpack');
      assert.deepEqual(model.opset_import, [{ domain: '', version: 17 }], 'opset_import');
      const graph = model.graph;
      assert.ok(graph, 'graph');
      assert.equal(graph.name, `maskpack_${kind}`);
      const defined = new Set<string>();
      for (const vi of [...graph.input ?? [], ...graph.output ?? []]) {
        const t = vi.type?.tensor_type;
        assert.ok(t && ELEMENT_BYTES[t.elem_type!], `${vi.name}: a float, int32 or int64 tensor type`);
        for (const d of t.shape?.dim ?? []) assert.ok((d.dim_value ?? -1) >= 0 || (d.dim_param ?? '') !== '', `${vi.name}: each dimension a size or a name`);
      }
      for (const vi of graph.input ?? []) defined.add(vi.name);
      for (const t of graph.initializer ?? []) {
        const size = ELEMENT_BYTES[t.data_type!];
        assert.ok(size, `initializer ${t.name} is float, int32 or int64`);
        assert.equal(t.raw_data?.length, (t.dims ?? []).reduce((a, b) => a * b, 1) * size, `initializer ${t.name}: raw_data length`);
        defined.add(t.name!);
      }
      const produced = new Set<string>();
      for (const node of graph.node ?? []) {
        const op = node.op_type;
        assert.ok(op, 'op_type');
        for (const input of node.input ?? []) {
          if (input !== '') assert.ok(defined.has(input), `${op} reads ${input} before it is defined`);
        }
        for (const output of node.output ?? []) {
          assert.ok(!defined.has(output), `${output} is defined twice`);
          defined.add(output);
          produced.add(output);
        }
        for (const a of node.attribute ?? []) {
          const field = ATTRIBUTE_FIELD[a.type!];
          assert.ok(field && a[field] !== undefined, `${op}.${a.name}: type ${a.type} and its value field`);
        }
        if (op === 'LayerNormalization') {
          const eps = node.attribute?.find((a) => a.name === 'epsilon');
          assert.ok(eps?.f !== undefined && Math.abs(eps.f - 1e-5) < 1e-12, 'LayerNorm epsilon 1e-5');
        }
      }
      const outputs = (graph.output ?? []).map((vi) => vi.name);
      for (const o of outputs) assert.ok(produced.has(o), `output ${o} is produced by a node`);
      const inputs = (graph.input ?? []).map((vi) => vi.name);
      if (kind !== 'apply') {
        assert.deepEqual(inputs.filter((n) => !n.startsWith('param.') && !/^[mv]\./.test(n) && !['grad_scale', 'step', 'lr'].includes(n)),
          ['input_ids', 'attention_mask', 'labels']);
        assert.deepEqual(outputs.slice(0, 3), ['nll_sum', 'correct', 'count']);
      }
      for (const n of names) assert.ok(inputs.includes(`param.${n}`), `input param.${n}`);
      if (kind === 'grad') for (const n of names) assert.ok(outputs.includes(`grad.${n}`), `output grad.${n}`);
      if (kind === 'apply' || kind === 'step') {
        for (const n of names) for (const p of ['param', 'm', 'v']) assert.ok(outputs.includes(`new.${p}.${n}`), `output new.${p}.${n}`);
      }
    });
  }
});
