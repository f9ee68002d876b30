/**
 * Option checks for the public boundary: a `TypeError` for a wrong type, a `RangeError` for a
 * bad value, both naming the option and the received value.
 */

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** An integer in `[min, max]`. */
export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${show(value)}`);
  }
  return value;
}

/** One of a fixed list of strings. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${typeof value}`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${name} must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

export function checkBool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

/** `options` itself: undefined or a plain object. */
export function checkOptionsObject(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new TypeError(`options must be an object, got ${value === null ? 'null' : typeof value}`);
  return value as Record<string, unknown>;
}
