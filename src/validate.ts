/**
 * Option checks for the public boundary: a `TypeError` for a wrong type, a `RangeError` for a
 * bad value, each naming the option and the received value. Every such error is an
 * {@link OptionError}: besides its message it says, as data, which options it is about, so a
 * caller that knows the options under other names (the CLI's flags) can word it in those.
 */

/** At most this many characters of a string value are quoted in a message. */
const QUOTE_CHARS = 64;

/** A short, bounded rendering of a received value for a message (long strings are cut). */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > QUOTE_CHARS ? `${JSON.stringify(value.slice(0, QUOTE_CHARS))}… (${value.length} characters)` : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.slice(0, 8).map(describe).join(', ')}${value.length > 8 ? ', …' : ''}]`;
  if (value instanceof Object && !ArrayBuffer.isView(value)) return Object.prototype.toString.call(value);
  return String(value);
}

/**
 * A `TypeError` or `RangeError` about options. `option` is the path of the option at fault below
 * `options` (`maskProb`, `model.heads`, `specialIds[2]`), `options` every option the message
 * names (the first is `option`), and `messageWith(name)` the message with each of them named by
 * `name(path)` instead of as in `message` (`options.maskProb`).
 */
export type OptionError = (TypeError | RangeError) & {
  readonly option: string;
  readonly options: readonly string[];
  messageWith(name: (path: string) => string): string;
};

/** Whether `err` is an {@link OptionError} (thrown by an option check of the library). */
export function isOptionError(err: unknown): err is OptionError {
  return (err instanceof TypeError || err instanceof RangeError) && typeof (err as Partial<OptionError>).messageWith === 'function';
}

/** `options.seqLen` → `seqLen`; a name outside `options` (`init.tier`) stays whole. */
function pathOf(name: string): string {
  return name.startsWith('options.') ? name.slice('options.'.length) : name;
}

/**
 * An {@link OptionError} of class `Kind` about the options `names` (as the caller calls them,
 * e.g. `options.maskProb`), worded by `text` from the names it is given.
 */
export function optionError(Kind: typeof TypeError | typeof RangeError, names: readonly string[], text: (...names: string[]) => string): OptionError {
  const err = new Kind(text(...names)) as OptionError;
  const paths = names.map(pathOf);
  Object.defineProperties(err, {
    option: { value: paths[0], enumerable: true },
    options: { value: paths, enumerable: true },
    messageWith: { value: (name: (path: string) => string) => text(...paths.map(name)) },
  });
  return err;
}

/** Throws unless `obj` is a plain object whose keys are all in `known`. */
export function checkKnownKeys(name: string, obj: unknown, known: readonly string[]): asserts obj is Record<string, unknown> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw optionError(TypeError, [name], (n) => `${n} must be an object, got ${describe(obj)}`);
  }
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw optionError(TypeError, [`${name}.${key}`], (n) => `${n} is not a known option (known: ${known.join(', ')})`);
  }
}

/** An integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw optionError(TypeError, [name], (n) => `${n} must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw optionError(RangeError, [name], (n) => `${n} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/** A finite number in [min, max], or in (min, max] when `openMin`. */
export function checkNumber(name: string, value: unknown, min: number, max: number, openMin = false): number {
  if (typeof value !== 'number') throw optionError(TypeError, [name], (n) => `${n} must be a number, got ${describe(value)}`);
  if (!((openMin ? value > min : value >= min) && value <= max)) {
    throw optionError(RangeError, [name], (n) => `${n} must be in ${openMin ? '(' : '['}${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/** One of `choices`. */
export function checkEnum<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string') throw optionError(TypeError, [name], (n) => `${n} must be one of ${choices.join(', ')}, got ${describe(value)}`);
  if (!(choices as readonly string[]).includes(value)) {
    throw optionError(RangeError, [name], (n) => `${n} must be one of ${choices.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw optionError(TypeError, [name], (n) => `${n} must be a boolean, got ${describe(value)}`);
  return value;
}

export const U32_MAX = 0xffffffff;
export const I32_MIN = -0x80000000;
export const I32_MAX = 0x7fffffff;

/** `options` itself: undefined (no options) or a plain object. */
export function checkOptionsObject(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw optionError(TypeError, ['options'], (n) => `${n} must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}
