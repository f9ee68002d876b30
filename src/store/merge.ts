/** Concatenating stores (e.g. ingestion sharded over jobs or machines, then merged). */
import { MaskpackError } from '../errors.js';
import type { StoreManifest } from './manifest.js';
import { openStore, type OpenedStore } from './reader.js';
import { createStoreWriter } from './writer.js';

const COPY_BYTES = 8 << 20;

/** What must agree between stores for their ids to mean the same thing. */
function compatibility(m: StoreManifest): string {
  const { name, source, sha256, vocabSize } = m.tokenizer;
  return JSON.stringify([name, source, sha256 ?? null, vocabSize, m.idx.dtype, m.specialTokens, m.wordStarts, m.whitespace]);
}

/** Options of {@link mergeStores}. */
export interface MergeOptions {
  /**
   * Stops the merge between two chunks of 8 MiB: nothing is left at `out` (the writer's
   * temporaries are removed) and the promise rejects with `signal.reason`.
   */
  readonly signal?: AbortSignal;
}

/**
 * Write the documents of `prefixes`, in order, into a new store at `out`. Every input is fully
 * validated first (ids included); all must share tokenizer, vocabulary, special ids, word
 * starts and dtype (`ERR_BAD_INPUT` otherwise). Returns the new manifest. The copy yields to
 * the event loop between chunks, so signals and timers are served while it runs.
 */
export async function mergeStores(prefixes: readonly string[], out: string, options: MergeOptions = {}): Promise<StoreManifest> {
  if (!Array.isArray(prefixes) || prefixes.length === 0 || !prefixes.every((p) => typeof p === 'string' && p !== '')) {
    throw new TypeError(`prefixes must be a non-empty array of non-empty strings, got ${JSON.stringify(prefixes)}`);
  }
  if (typeof out !== 'string' || out === '') throw new TypeError(`out must be a non-empty string, got ${JSON.stringify(out)}`);
  const { signal } = options;
  signal?.throwIfAborted();
  const stores: OpenedStore[] = [];
  try {
    for (const p of prefixes) {
      stores.push(openStore(p));
      await new Promise(setImmediate);
      signal?.throwIfAborted();
    }
    const first = stores[0];
    const key = compatibility(first.manifest);
    for (const s of stores.slice(1)) {
      if (compatibility(s.manifest) !== key) {
        throw new MaskpackError('ERR_BAD_INPUT', `${s.prefix}.json: tokenizer, special tokens, word starts or dtype differ from ${first.prefix}.json; stores cannot be merged`);
      }
    }
    const m = first.manifest;
    const writer = createStoreWriter(out, {
      vocabSize: first.vocabSize, specials: m.specialTokens, tokenizer: m.tokenizer,
      wordStarts: m.wordStarts && first.wordStarts ? { rule: m.wordStarts.rule, description: m.wordStarts.description, table: first.wordStarts } : null,
      whitespace: m.whitespace,
      provenance: { merge: stores.map((s) => ({ prefix: s.prefix, sha256: s.manifest.sha256, counts: s.manifest.counts })) },
    });
    try {
      for (const s of stores) await copyStore(s, writer, signal);
      return writer.finish();
    } catch (err) {
      writer.abort();
      throw err;
    }
  } finally {
    for (const s of stores) s.close();
  }
}

async function copyStore(s: OpenedStore, writer: ReturnType<typeof createStoreWriter>, signal: AbortSignal | undefined): Promise<void> {
  const width = s.dtype === 'uint16' ? 2 : 4;
  const buf = new Uint8Array(COPY_BYTES);
  let doc = 0;
  let k = 0;
  while (k < s.numSentences) {
    await new Promise(setImmediate);
    signal?.throwIfAborted();
    let end = k;
    while (end < s.numSentences && (end === k || (s.sentenceStarts[end + 1] - s.sentenceStarts[k]) * width <= COPY_BYTES)) end++;
    const bytes = (s.sentenceStarts[end] - s.sentenceStarts[k]) * width;
    const chunk = bytes <= buf.length ? buf.subarray(0, bytes) : new Uint8Array(bytes);
    s.readBytes(s.sentenceStarts[k] * width, chunk);
    let from = k;
    while (from < end) {
      while (s.documentIndex[doc + 1] <= from) doc++;
      const to = Math.min(end, s.documentIndex[doc + 1]);
      const a = (s.sentenceStarts[from] - s.sentenceStarts[k]) * width;
      const b = (s.sentenceStarts[to] - s.sentenceStarts[k]) * width;
      writer.appendRaw(chunk.subarray(a, b), s.sentenceLengths.subarray(from, to));
      if (to === s.documentIndex[doc + 1]) writer.endDocument();
      from = to;
    }
    k = end;
  }
}
