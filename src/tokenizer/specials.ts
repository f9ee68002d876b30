/**
 * The special tokens of a tokenizer file: which id plays each role (bos, eos, cls, sep, pad,
 * unk, mask), which ids are reserved, and which ids the user added.
 *
 * A role is taken, in order, from the user's `specialTokens` (a token text or an id), from the
 * usual token names (`<s>`/`[CLS]`, …), or for `cls`/`sep` from `bos`/`eos` (RoBERTa's `<s>` and
 * `</s>` play both). A token text the vocabulary lacks becomes a new id after the vocabulary (in
 * role order), as `add_special_tokens` does in Hugging Face's libraries. Ids in `[0, vocabSize)`
 * that no piece or added token has (holes, e.g. a vocab.json without RoBERTa's `madeupword`
 * slots) are reserved like special ids: never produced by encoding, never masked nor drawn as
 * random replacements.
 */
import { MaskpackError } from '../errors.js';
import type { SpecialTokens } from '../store/types.js';
import { describe, optionError } from '../validate.js';

/** The roles of special tokens. */
export const SPECIAL_ROLES = ['bos', 'eos', 'cls', 'sep', 'pad', 'unk', 'mask'] as const;
export type SpecialRole = (typeof SPECIAL_ROLES)[number];

/** Explicit special tokens: a role → a token text (existing or new) or an existing id. */
export type SpecialTokenChoice = Partial<Readonly<Record<SpecialRole, string | number>>>;

const NAMES: Readonly<Record<SpecialRole, readonly string[]>> = {
  bos: ['<s>', '[CLS]', '<|startoftext|>', '<bos>'],
  eos: ['</s>', '[SEP]', '<|endoftext|>', '<eos>'],
  cls: ['<s>', '[CLS]', '<cls>'],
  sep: ['</s>', '[SEP]', '<sep>'],
  pad: ['<pad>', '[PAD]'],
  unk: ['<unk>', '[UNK]'],
  mask: ['<mask>', '[MASK]'],
};
const FALLBACK: Partial<Record<SpecialRole, SpecialRole>> = { cls: 'bos', sep: 'eos' };

/** The most special ids besides `<mask>` a store can hold (the masker's limit). */
export const MAX_RESERVED = 63;

export interface ResolvedSpecials {
  readonly specials: SpecialTokens & { readonly tokens: Readonly<Record<string, number>> };
  /** The vocabulary size with the added ids. */
  readonly vocabSize: number;
  /** New ids after the vocabulary and their text. */
  readonly added: ReadonlyMap<number, string>;
  /** Ids below the file's vocabulary size that have no token. */
  readonly holes: readonly number[];
}

/** `ids` as short ranges: `5, 7–9, 12`. */
export function idRanges(ids: readonly number[], max = 12): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ids.length && parts.length < max) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    parts.push(j > i ? `${ids[i]}–${ids[j]}` : `${ids[i]}`);
    i = j + 1;
  }
  return parts.join(', ') + (i < ids.length ? ', …' : '');
}

/** Check the shape of a `specialTokens` option (`TypeError`/`RangeError` naming `name`). */
export function checkSpecialTokenChoice(name: string, choice: unknown): SpecialTokenChoice {
  if (choice === undefined) return {};
  if (choice === null || typeof choice !== 'object' || Array.isArray(choice)) throw optionError(TypeError, [name], (n) => `${n} must be an object, got ${describe(choice)}`);
  for (const [role, value] of Object.entries(choice)) {
    if (!(SPECIAL_ROLES as readonly string[]).includes(role)) {
      throw optionError(RangeError, [name], (n) => `${n} has an unknown role ${describe(role)}; roles are ${SPECIAL_ROLES.join(', ')}`);
    }
    const ok = (typeof value === 'string' && value !== '') || (Number.isInteger(value) && (value as number) >= 0);
    if (!ok) throw optionError(TypeError, [name], (n) => `${n} ${role} must be a non-empty token text or a non-negative integer id, got ${describe(value)}`);
  }
  return choice as SpecialTokenChoice;
}

/**
 * Resolve the roles of `vocab` (token text → id, pieces and added tokens) for the file `file`;
 * `marked` are the ids of added tokens marked special. Throws `ERR_BAD_INPUT` naming the file
 * when a role has no token (saying how to name one) or when there are more reserved ids than a
 * store can hold.
 */
export function resolveSpecials(file: string, vocab: ReadonlyMap<string, number>, marked: readonly number[], choice: SpecialTokenChoice): ResolvedSpecials {
  let size = 0;
  for (const id of vocab.values()) size = Math.max(size, id + 1);
  const taken = new Uint8Array(size);
  for (const id of vocab.values()) taken[id] = 1;
  const added = new Map<number, string>();
  const addedIds = new Map<string, number>();
  const tokens: Record<string, number> = {};
  const ids: Partial<Record<SpecialRole, number>> = {};
  const missing: SpecialRole[] = [];
  for (const role of SPECIAL_ROLES) {
    const want = choice[role];
    if (typeof want === 'number') {
      if (want >= size || !taken[want]) {
        throw new MaskpackError('ERR_BAD_INPUT', `${file}: special token ${role}=${want}: the vocabulary has no id ${want} (ids are below ${size}); give a token text to add a new token, e.g. ${role}=<${role}>`);
      }
      ids[role] = want;
      continue;
    }
    if (typeof want === 'string') {
      let id = vocab.get(want) ?? addedIds.get(want);
      if (id === undefined) {
        id = size + added.size;
        added.set(id, want);
        addedIds.set(want, id);
      }
      tokens[want] = id;
      ids[role] = id;
      continue;
    }
    const name = NAMES[role].find((t) => vocab.has(t));
    if (name !== undefined) {
      tokens[name] = vocab.get(name)!;
      ids[role] = tokens[name];
    } else if (FALLBACK[role] !== undefined && ids[FALLBACK[role]!] !== undefined) {
      ids[role] = ids[FALLBACK[role]!];
    } else {
      missing.push(role);
    }
  }
  if (missing.length) {
    const looked = missing.map((r) => `${r}: ${NAMES[r].join(', ')}`).join('; ');
    throw new MaskpackError('ERR_BAD_INPUT',
      `${file}: no special token for ${missing.join(', ')} (looked for ${looked}); name them with --special <role>=<token or id> `
      + `(library: options.specialTokens), e.g. ${missing.map((r) => `--special ${r}=<${r}>`).join(' ')}; a token the vocabulary lacks is added after it`);
  }
  const holes: number[] = [];
  for (let id = 0; id < size; id++) if (!taken[id]) holes.push(id);
  const role = ids as Record<SpecialRole, number>;
  const all = new Set<number>([...Object.values(role), ...marked, ...added.keys(), ...holes]);
  if (all.size - 1 > MAX_RESERVED) {
    throw new MaskpackError('ERR_BAD_INPUT',
      `${file}: ${all.size - 1} special, added and missing ids besides <mask> (missing ids: ${holes.length ? idRanges(holes) : 'none'}), `
      + `more than the ${MAX_RESERVED} a store can reserve; a vocabulary with that many missing ids cannot be used`);
  }
  return {
    specials: { ...role, all: [...all].sort((a, b) => a - b), tokens },
    vocabSize: size + added.size,
    added,
    holes,
  };
}
