/** Choosing a tokenizer by name or file. */
import { robertaGpt2Tokenizer } from './gpt2.js';
import { loadHuggingFaceTokenizer } from './huggingface.js';
import { BUILTIN_TOKENIZER, type Tokenizer } from './types.js';

/**
 * The tokenizer named by `spec`: `'roberta-gpt2'` (the default, built in) or the path of a
 * Hugging Face `tokenizer.json`. Workers call this with the same string to get the same ids.
 */
export function loadTokenizer(spec: string = BUILTIN_TOKENIZER): Tokenizer {
  if (typeof spec !== 'string' || spec === '') {
    throw new TypeError(`tokenizer must be "${BUILTIN_TOKENIZER}" or a tokenizer.json path, got ${JSON.stringify(spec)}`);
  }
  return spec === BUILTIN_TOKENIZER ? robertaGpt2Tokenizer() : loadHuggingFaceTokenizer(spec);
}
