/**
 * Option checks for the public boundary: a `TypeError` for a wrong type, a `RangeError` for a
 * bad value, each naming the option and the received value.
 */

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.slice(0, 8).map(describe).join(', ')}${value.length > 8 ? ', …' : ''}]`;
  if (value instanceof Object && !ArrayBuffer.isView(value)) return Object.prototype.toString.call(value);
  return String(value);
}

/** Throws unless `obj` is a plain object whose keys are all in `known`. */
export function checkKnownKeys(name: string, obj: unknown, known: readonly string[]): asserts obj is Record<string, unknown> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new TypeError(`${name} must be an object, got ${describe(obj)}`);
  }
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new TypeError(`${name}.${key} is not a known option (known: ${known.join(', ')})`);
  }
}

/** An integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/** A finite number in [min, max]. */
export function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!(value >= min && value <= max)) throw new RangeError(`${name} must be in [${min}, ${max}], got ${describe(value)}`);
  return value;
}

/** One of `choices`. */
export function checkEnum<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string') throw new TypeError(`${name} must be one of ${choices.join(', ')}, got ${describe(value)}`);
  if (!(choices as readonly string[]).includes(value)) {
    throw new RangeError(`${name} must be one of ${choices.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export const U32_MAX = 0xffffffff;
export const I32_MIN = -0x80000000;
export const I32_MAX = 0x7fffffff;

/** `options` itself: undefined (no options) or a plain object. */
export function checkOptionsObject(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new TypeError(`options must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}
