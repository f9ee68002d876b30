/** A Hugging Face tokenizer.json small enough to build in a test. */

/** GPT-2's byte → printable character table (bytes_to_unicode), written out for the tests. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  const out: string[] = [];
  bs.forEach((b, i) => { out[b] = String.fromCodePoint(cs[i]); });
  return out;
}

/** A tiny byte-level BPE tokenizer.json (RoBERTa specials, a few merges, `<mask>` last). */
export function tinyTokenizerJson(): object {
  const specials = ['<s>', '<pad>', '</s>', '<unk>'];
  const vocab: Record<string, number> = {};
  specials.forEach((s, i) => { vocab[s] = i; });
  for (const c of bytesToUnicode()) vocab[c] = Object.keys(vocab).length;
  const merges = ['Ġ t', 'h e', 'Ġt he', 'Ġ c', 'Ġc a', 'Ġca t'];
  for (const m of merges) vocab[m.replace(' ', '')] ??= Object.keys(vocab).length;
  const mask = Object.keys(vocab).length;
  const added = [...specials.map((content, id) => ({ id, content })), { id: mask, content: '<mask>' }]
    .map((a) => ({ ...a, single_word: false, lstrip: a.content === '<mask>', rstrip: false, normalized: false, special: true }));
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab, merges,
    },
  };
}
