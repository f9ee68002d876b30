/**
 * The sources of a mixture of stores: what a caller gives (`{ store, weight? }`), the checks that
 * they can be mixed (their ids must mean the same thing), and the resolved weights and epoch length.
 */
import { MaskpackError } from '../errors.js';
import type { TokenStore } from '../store/types.js';
import { checkInteger, checkNumber } from '../validate.js';
import { mixtureWeights } from './blend.js';

/** One store of a mixture and its weight (see `mixtureWeights` for the defaults). */
export interface MixtureSource {
  readonly store: TokenStore;
  /** Relative weight, a finite number >= 0 (normalised over the sources). */
  readonly weight?: number;
}

/** At most this many sources (a row's source is a uint8). */
export const MAX_SOURCES = 255;

function name(s: MixtureSource, i: number): string {
  return s.store.prefix ? `sources[${i}] (${s.store.prefix})` : `sources[${i}]`;
}

/** The fields two stores must share, as `[field, value]` (values compared as JSON). */
function identity(store: TokenStore): [string, unknown][] {
  const manifest = (store as { manifest?: { tokenizer?: { name?: string; source?: string; sha256?: string } } }).manifest;
  const t = manifest?.tokenizer;
  return [
    ['dtype', store.dtype],
    ['vocabSize', store.vocabSize],
    ['tokenizer', t ? { name: t.name, sha256: t.sha256 ?? null } : null],
    ['specialTokens', { ...store.specials, all: [...store.specials.all] }],
    ['wordStarts', store.wordStarts ? Buffer.from(store.wordStarts).toString('base64') : null],
  ];
}

/**
 * Checks a list of sources: 1 to 255 objects with a store each, all sharing the tokenizer
 * identity, special ids, word starts and dtype (a store without a manifest, such as a memory
 * store, is compared on the rest).
 * @throws TypeError for a malformed list; MaskpackError `ERR_BAD_INPUT` naming both stores and the field that differs.
 */
export function checkCompatible(sources: readonly MixtureSource[]): void {
  if (sources.length < 1 || sources.length > MAX_SOURCES) throw new RangeError(`sources must hold 1 to ${MAX_SOURCES} stores, got ${sources.length}`);
  sources.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || s.store === null || typeof s.store !== 'object') {
      throw new TypeError(`sources[${i}] must be { store, weight? }, got ${s === null ? 'null' : typeof s}`);
    }
  });
  const first = identity(sources[0].store);
  for (let i = 1; i < sources.length; i++) {
    const other = identity(sources[i].store);
    for (let k = 0; k < first.length; k++) {
      const [field, a] = first[k];
      const b = other[k][1];
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        const show = (v: unknown) => (field === 'wordStarts' ? (v === null ? 'none' : 'a table') : JSON.stringify(v)).slice(0, 200);
        throw new MaskpackError('ERR_BAD_INPUT', `${name(sources[i], i)} and ${name(sources[0], 0)} cannot be mixed: their ${field} differ (${show(b)} and ${show(a)})`);
      }
    }
  }
}

export interface ResolvedMixture {
  readonly weights: number[];
  readonly epochSamples: number;
  /** What the resumable state's options hash covers besides the sampler options. */
  readonly identity: unknown;
}

/** The weights as used and the epoch length of a mixture whose sources hold `samples` in their first epoch. */
export function resolveMixture(
  sources: readonly MixtureSource[], samples: readonly number[], o: { readonly mixAlpha?: number; readonly mixEpochSamples?: number },
): ResolvedMixture {
  const alpha = o.mixAlpha === undefined ? undefined : checkNumber('options.mixAlpha', o.mixAlpha, 0, 1);
  const weights = mixtureWeights(sources.map((s, i) => ({ weight: s.weight, tokens: s.store.numTokens, samples: samples[i] })), alpha);
  samples.forEach((n, i) => {
    if (n === 0 && weights[i] > 0) throw new MaskpackError('ERR_BAD_INPUT', `${name(sources[i], i)} has no samples for these options but a weight of ${weights[i]}`);
  });
  const total = samples.reduce((a, b) => a + b, 0);
  const epochSamples = checkInteger('options.mixEpochSamples', o.mixEpochSamples ?? total, 1, 0xffffffff);
  const stores = sources.map((s) => [s.store.numDocuments, s.store.numSentences, s.store.numTokens]);
  return { weights, epochSamples, identity: { weights, epochSamples, stores } };
}
