/** Concatenating stores (e.g. ingestion sharded over jobs or machines, then merged). */
import { MaskpackError } from '../errors.js';
import type { StoreManifest } from './manifest.js';
import { openStore, type OpenedStore } from './reader.js';
import { Arena, createKernelMemory, FIRST_CLAIM } from '../wasm/arena.js';
import { instantiate } from '../wasm/module.js';
import { IdCheck } from '../wasm/tokens.js';
import { forEachSentenceChunk } from './layout.js';
import { createStoreWriter, type StoreWriter } from './writer.js';

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
 * Write the documents of `prefixes`, in order, into a new store at `out`, in constant memory at
 * about the disk's speed. Every input is fully validated (its structure when opened, its ids as
 * they are copied: a bad id aborts the merge and leaves nothing at `out`); all must share
 * tokenizer, vocabulary, special ids, word starts and dtype (`ERR_BAD_INPUT` otherwise). Returns
 * the new manifest. The copy yields to the event loop between chunks, so signals and timers are
 * served while it runs.
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
    // Structure checked here; ids are checked while they are copied (one read of each .bin).
    for (const p of prefixes) {
      stores.push(openStore(p, { verifyIds: false }));
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
      parallelHash: true,
      provenance: { merge: stores.map((s) => ({ prefix: s.prefix, sha256: s.manifest.sha256, counts: s.manifest.counts })) },
    });
    try {
      const copy = copier(first.vocabSize);
      for (const s of stores) await copyStore(s, writer, copy, signal);
      return writer.finish();
    } catch (err) {
      writer.abort();
      throw err;
    }
  } finally {
    for (const s of stores) s.close();
  }
}

/**
 * Copies one store's parts into `writer` in constant memory: the `.bin` in 8 MiB positional reads
 * straight into kernel memory, where every id is checked (a SIMD pass) before it is written, then
 * the sentence lengths in chunks and the document ends. Nothing per sentence is held. Yields to
 * the event loop between chunks (and stops there when `signal` aborts).
 */
async function copyStore(s: OpenedStore, writer: StoreWriter, copy: Copier, signal: AbortSignal | undefined): Promise<void> {
  const width = s.dtype === 'uint16' ? 2 : 4;
  const bytes = s.numTokens * width;
  for (let pos = 0; pos < bytes; pos += COPY_BYTES) {
    await new Promise(setImmediate);
    signal?.throwIfAborted();
    const n = Math.min(COPY_BYTES, bytes - pos);
    const view = copy.arena.u8(copy.ptr, n);
    s.readBytes(pos, view);
    copy.ids.check(`${s.prefix}.bin`, copy.ptr, n / width, width, pos / width);
    writer.appendRawTokens(view);
  }
  const base = writer.numSentences;
  forEachSentenceChunk(s, (lengths) => writer.appendSentenceLengths(lengths));
  for (let d = 0; d < s.numDocuments; d++) writer.endDocumentAt(base + s.documentIndex[d + 1]);
}

/** A copy buffer in kernel memory and the id check over it. */
interface Copier {
  readonly arena: Arena;
  readonly ptr: number;
  readonly ids: IdCheck;
}

function copier(vocabSize: number): Copier {
  const memory = createKernelMemory(COPY_BYTES + (1 << 16));
  const arena = new Arena(memory);
  const ptr = arena.claim(COPY_BYTES);
  return { arena, ptr, ids: new IdCheck(instantiate(memory, FIRST_CLAIM), arena, vocabSize) };
}
