/** Choosing a tokenizer by name or file. */
import { robertaGpt2Tokenizer } from './gpt2.js';
import { loadHuggingFaceTokenizer } from './huggingface.js';
import { describe, optionError } from '../validate.js';
import { checkSpecialTokenChoice } from './specials.js';
import { BUILTIN_TOKENIZER, SPECIAL_TEXT_MODES, type Tokenizer, type TokenizerOptions } from './types.js';

/**
 * Check `options` of {@link loadTokenizer} for the tokenizer `spec` (`TypeError`/`RangeError`
 * naming `options.<field>`); returns them with defaults.
 */
export function checkTokenizerOptions(spec: string, options: TokenizerOptions | undefined, name = 'options'): TokenizerOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw new TypeError(`${name} must be an object, got ${describe(options)}`);
  const specialTokens = checkSpecialTokenChoice(`${name}.specialTokens`, options.specialTokens);
  const specialText = options.specialText ?? 'plain';
  if (!SPECIAL_TEXT_MODES.includes(specialText)) {
    throw optionError(RangeError, [`${name}.specialText`], (n) => `${n} must be one of ${SPECIAL_TEXT_MODES.join(', ')}, got ${describe(options.specialText)}`);
  }
  if (spec === BUILTIN_TOKENIZER && (Object.keys(specialTokens).length || specialText !== 'plain')) {
    const which = Object.keys(specialTokens).length ? 'specialTokens' : 'specialText';
    throw optionError(RangeError, [`${name}.${which}`], (n) => `${n} applies to a tokenizer.json; the built-in ${BUILTIN_TOKENIZER} tokenizer has fixed special ids and keeps special text plain`);
  }
  return { specialTokens, specialText };
}

/**
 * The tokenizer named by `spec`: `'roberta-gpt2'` (the default, built in) or the path of a
 * Hugging Face `tokenizer.json`. Workers call this with the same arguments to get the same ids.
 */
export function loadTokenizer(spec: string = BUILTIN_TOKENIZER, options?: TokenizerOptions): Tokenizer {
  if (typeof spec !== 'string' || spec === '') {
    throw new TypeError(`tokenizer must be "${BUILTIN_TOKENIZER}" or a tokenizer.json path, got ${JSON.stringify(spec)}`);
  }
  const o = checkTokenizerOptions(spec, options);
  return spec === BUILTIN_TOKENIZER ? robertaGpt2Tokenizer() : loadHuggingFaceTokenizer(spec, o);
}
