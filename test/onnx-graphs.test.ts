import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTrainingGraphs, DEFAULT_ADAMW, parameterSpecs, type ModelConfig } from 'maskpack';

/** A protobuf message decoded generically: field number → values in order. */
type Fields = Map<number, Array<bigint | Uint8Array | number>>;

/** Decodes one protobuf message (wire types 0, 2, 5), independently of maskpack's writer. */
function decode(buf: Uint8Array): Fields {
  const fields: Fields = new Map();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      assert.ok(byte !== undefined, 'truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    let value: bigint | Uint8Array | number;
    switch (key & 7) {
      case 0: value = varint(); break;
      case 2: { const len = Number(varint()); value = buf.subarray(pos, pos + len); pos += len; break; }
      case 5: value = new DataView(buf.buffer, buf.byteOffset + pos, 4).getFloat32(0, true); pos += 4; break;
      default: assert.fail(`unexpected wire type ${key & 7}`);
    }
    assert.ok(pos <= buf.length, 'field runs past the end');
    if (!fields.has(field)) fields.set(field, []);
    fields.get(field)!.push(value);
  }
  return fields;
}

const text = (v: unknown) => new TextDecoder().decode(v as Uint8Array);
const all = (m: Fields, f: number) => m.get(f) ?? [];
const msgs = (m: Fields, f: number) => all(m, f).map((v) => decode(v as Uint8Array));
const str = (m: Fields, f: number) => text(all(m, f)[0]);

const config: ModelConfig = { vocabSize: 13, hidden: 8, layers: 2, heads: 2, ffn: 16, maxPositions: 5, ignoreIndex: -100 };

describe('ONNX graphs written by maskpack', () => {
  const graphs = buildTrainingGraphs(config, DEFAULT_ADAMW);
  const names = parameterSpecs(config).map((s) => s.name);

  for (const [kind, bytes] of Object.entries(graphs)) {
    it(`${kind}: decodes as a well-formed ModelProto (IR 8, opset 17, topologically ordered)`, () => {
      const model = decode(bytes);
      assert.equal(all(model, 1)[0], 8n, 'ir_version');
      const opset = msgs(model, 8);
      assert.equal(opset.length, 1);
      assert.equal(all(opset[0]!, 2)[0], 17n, 'opset version');
      const [graph] = msgs(model, 7);
      assert.ok(graph);
      const defined = new Set<string>();
      for (const vi of msgs(graph, 11)) defined.add(str(vi, 1));
      for (const t of msgs(graph, 5)) {
        const dims = all(t, 1).length ? decodePacked(all(t, 1)[0] as Uint8Array) : [];
        const size = { 1: 4, 6: 4, 7: 8 }[Number(all(t, 2)[0])];
        assert.ok(size, 'initializer type is float, int32 or int64');
        assert.equal((all(t, 9)[0] as Uint8Array).length, dims.reduce((a, b) => a * b, 1) * size, 'raw_data length');
        defined.add(str(t, 8));
      }
      const produced = new Set<string>();
      for (const node of msgs(graph, 1)) {
        const op = str(node, 4);
        for (const input of all(node, 1).map(text)) {
          if (input !== '') assert.ok(defined.has(input), `${op} reads ${input} before it is defined`);
        }
        for (const output of all(node, 2).map(text)) {
          assert.ok(!defined.has(output), `${output} is defined twice`);
          defined.add(output);
          produced.add(output);
        }
        if (op === 'LayerNormalization') {
          const eps = msgs(node, 5).find((a) => str(a, 1) === 'epsilon');
          assert.ok(eps && Math.abs((all(eps, 2)[0] as number) - 1e-5) < 1e-12, 'LayerNorm epsilon 1e-5');
        }
      }
      const outputs = msgs(graph, 12).map((vi) => str(vi, 1));
      for (const o of outputs) assert.ok(produced.has(o), `output ${o} is produced by a node`);
      const inputs = msgs(graph, 11).map((vi) => str(vi, 1));
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

function decodePacked(buf: Uint8Array): number[] {
  const out: number[] = [];
  let v = 0;
  let shift = 0;
  for (const byte of buf) {
    v += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) { out.push(v); v = 0; shift = 0; }
  }
  return out;
}
