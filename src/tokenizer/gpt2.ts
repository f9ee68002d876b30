/**
 * The built-in tokenizer: GPT-2's 50K byte-level BPE (gpt-tokenizer's `r50k_base`) with
 * RoBERTa's special tokens and vocabulary size.
 *
 * ```
 *  id        token
 *  0         <s>      (bos, cls)
 *  1         <pad>
 *  2         </s>     (eos, sep)
 *  3         <unk>
 *  4..50259  GPT-2 id t → t + 4
 *  50260     GPT-2's <|endoftext|> (reserved: never produced by encode)
 *  50261..3  reserved (RoBERTa's madeupword slots)
 *  50264     <mask>
 * ```
 * vocabSize 50265, as roberta-base's embedding matrix. The ids are GPT-2's shifted by 4, not
 * roberta-base's (fairseq orders GPT-2's pieces by frequency: "Hello world" is 31414, 232 there);
 * use roberta-base's tokenizer.json (`loadHuggingFaceTokenizer`) for its exact ids.
 *
 * Decoding does not use gpt-tokenizer's `decode`: in 4.0.0 it shares one streaming
 * `TextDecoder` across calls and never flushes it, so a call that ends inside a multi-byte
 * character corrupts the next call's output. We take each piece's bytes once and decode them
 * with our own decoder.
 */
import { createRequire } from 'node:module';
import { BUILTIN_TOKENIZER, type Tokenizer, type WordStartTable } from './types.js';

const OFFSET = 4;
const GPT2_VOCAB = 50257;
const SPECIAL_TEXT: Record<number, string> = {
  0: '<s>', 1: '<pad>', 2: '</s>', 3: '<unk>',
  50260: '<|endoftext|>', 50261: '<madeupword0000>', 50262: '<madeupword0001>', 50263: '<madeupword0002>',
  50264: '<mask>',
};
const PLAIN = { disallowedSpecial: new Set<string>() };

interface PieceSource {
  /** A rank's text, its bytes when not valid UTF-8 on its own, or undefined (what `decodeNativeGenerator` yields, when truthy). */
  tryDecodeToken(rank: number): string | Uint8Array | undefined;
  /** gpt-tokenizer's merge cache (a private field of its BytePairEncodingCore). */
  readonly mergeCache?: Map<string, number[]>;
}
interface R50k {
  encode(text: string, options: typeof PLAIN): number[];
  setMergeCacheSize(size: number): void;
  clearMergeCache(): void;
  default: { bytePairEncodingCoreProcessor: PieceSource };
}

/**
 * Entries of the BPE merge cache before it is emptied. gpt-tokenizer 4.0.0 evicts its LRU cache
 * (100 000 entries) one oldest key at a time with `keys().next()`, which in V8 walks over every
 * deleted entry still at the front of the table: once a corpus has more distinct pieces than fit
 * (numbers, names, URLs), each eviction costs up to ~100 000 steps and tokenizing slowed ~10×
 * (300 000 short files of "Doc <n>." went from ~47 000 to ~2 500 documents/s, 23 of 25 s of the
 * worker in `addToMergeCache`). The cache is made unbounded and emptied here at this size
 * instead: memory stays bounded, a clear is cheap, and frequent words are cached again at once.
 */
const MERGE_CACHE_ENTRIES = 100_000;

let library: R50k | undefined;
let bpeCore: PieceSource | undefined;
function r50k(): R50k {
  if (!library) {
    library = createRequire(import.meta.url)('gpt-tokenizer/encoding/r50k_base') as R50k;
    library.setMergeCacheSize(Number.POSITIVE_INFINITY);
    bpeCore = library.default.bytePairEncodingCoreProcessor;
  }
  return library;
}

let pieceBytes: Uint8Array[] | undefined;

/** The UTF-8 bytes of every GPT-2 piece (ids 0..50255), from gpt-tokenizer's own table. */
export function gpt2PieceBytes(): Uint8Array[] {
  if (pieceBytes) return pieceBytes;
  const core = r50k().default.bytePairEncodingCoreProcessor;
  const utf8 = new TextEncoder();
  pieceBytes = [];
  // tryDecodeToken directly, not a decodeNativeGenerator([t]) per id: half the time (~45 of
  // ~90 ms), which the word-start table pays at the end of every ingest.
  for (let t = 0; t < GPT2_VOCAB - 1; t++) {
    const part = core.tryDecodeToken(t);
    pieceBytes.push(!part ? new Uint8Array(0) : typeof part === 'string' ? utf8.encode(part) : part);
  }
  return pieceBytes;
}

/** GPT-2's own ids (0..50255) of `text`, special-token text encoded as plain text. */
export function encodeGpt2(text: string): number[] {
  const lib = r50k();
  if ((bpeCore!.mergeCache?.size ?? 0) > MERGE_CACHE_ENTRIES) lib.clearMergeCache();
  return lib.encode(text, PLAIN);
}

class RobertaGpt2Tokenizer implements Tokenizer {
  readonly vocabSize = 50265;
  readonly identity = {
    name: BUILTIN_TOKENIZER,
    source: 'GPT-2 byte-level BPE (gpt-tokenizer 4.0.0 r50k_base), GPT-2 id t -> t + 4, RoBERTa specials',
    vocabSize: 50265,
  };
  readonly specials = {
    bos: 0, pad: 1, eos: 2, unk: 3, cls: 0, sep: 2, mask: 50264,
    all: [0, 1, 2, 3, 50260, 50261, 50262, 50263, 50264],
    tokens: { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 50264 },
  };
  private table: WordStartTable | null = null;

  get wordStarts(): WordStartTable {
    if (!this.table) {
      const table = new Uint8Array(this.vocabSize);
      // Whether gpt2PieceBytes()[t][0] === 0x20, without UTF-8-encoding 50K strings (~5 ms, not
      // ~45): a string's UTF-8 starts with byte 0x20 exactly when it starts with U+0020.
      const core = r50k().default.bytePairEncodingCoreProcessor;
      for (let t = 0; t < GPT2_VOCAB - 1; t++) {
        const part = core.tryDecodeToken(t);
        const first = !part ? -1 : typeof part === 'string' ? part.charCodeAt(0) : part[0];
        if (first === 0x20) table[t + OFFSET] = 1;
      }
      this.table = {
        rule: 'leading-space',
        description: 'a piece whose decoded text begins with a space (GPT-2 "Ġ") starts a word; special ids do not',
        table,
      };
    }
    return this.table;
  }

  encode(text: string): number[] {
    const ids = encodeGpt2(text);
    for (let i = 0; i < ids.length; i++) ids[i] += OFFSET;
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    const pieces = gpt2PieceBytes();
    const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
    let out = '';
    let run: Uint8Array[] = [];
    let runBytes = 0;
    const flush = (): void => {
      if (runBytes === 0) return;
      out += utf8.decode(Buffer.concat(run, runBytes));
      run = [];
      runBytes = 0;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id >= OFFSET && id < OFFSET + pieces.length) {
        run.push(pieces[id - OFFSET]);
        runBytes += pieces[id - OFFSET].length;
        continue;
      }
      flush();
      out += SPECIAL_TEXT[id] ?? '<unk>';
    }
    flush();
    return out;
  }
}

let instance: RobertaGpt2Tokenizer | undefined;

/** The built-in RoBERTa/GPT-2 tokenizer (one shared instance). */
export function robertaGpt2Tokenizer(): Tokenizer {
  instance ??= new RobertaGpt2Tokenizer();
  return instance;
}
