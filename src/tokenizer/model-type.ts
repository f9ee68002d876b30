/**
 * The model type of a tokenizer.json, inferred as the Hugging Face `tokenizers` library (Rust)
 * does when the `model` has no `"type"` key (files written before the key existed): the first of
 * BPE, WordPiece, WordLevel, Unigram whose required fields the model has (`ModelUntagged` in
 * `tokenizers/src/models/mod.rs`; WordPiece is tried before WordLevel because its fields are a
 * superset).
 *
 * | type | required fields |
 * | --- | --- |
 * | BPE | `vocab` (an object), `merges` |
 * | WordPiece | `vocab` (an object), `unk_token`, `continuing_subword_prefix`, `max_input_chars_per_word` |
 * | WordLevel | `vocab` (an object), `unk_token` |
 * | Unigram | `vocab` (an array of [piece, score]) |
 */

export type ModelType = 'BPE' | 'WordPiece' | 'WordLevel' | 'Unigram';

/** `model.type` when given, else the inferred type, or `undefined` when no type fits. */
export function modelType(model: Record<string, unknown> | null | undefined): ModelType | string | undefined {
  if (!model || typeof model !== 'object') return undefined;
  if (typeof model.type === 'string') return model.type;
  const has = (k: string): boolean => Object.hasOwn(model, k);
  const vocab = model.vocab;
  const mapVocab = vocab !== null && typeof vocab === 'object' && !Array.isArray(vocab);
  if (mapVocab && Array.isArray(model.merges)) return 'BPE';
  if (mapVocab && has('unk_token') && has('continuing_subword_prefix') && has('max_input_chars_per_word')) return 'WordPiece';
  if (mapVocab && has('unk_token')) return 'WordLevel';
  if (Array.isArray(vocab)) return 'Unigram';
  return undefined;
}
