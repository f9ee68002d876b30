import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describe, isOptionError } from '../validate.js';

/** What every subcommand module provides to the dispatcher in `main.ts`. */
export interface Command {
  /** One line for `maskpack --help`. */
  readonly summary: string;
  /** Full `--help` text of the subcommand. */
  readonly usage: string;
  /** Run with the arguments after the subcommand name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** A command-line mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const INT = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * `value` of `--flag` as an integer, parsed strictly: decimal digits with an optional sign and
 * nothing else (`0x10`, ` 2`, `1e3`, `2.0` are refused), or a {@link UsageError} naming both.
 */
export function parseInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!INT.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`--${flag} must be an integer, got ${describe(value)}`);
  return n;
}

/** `value` of `--flag` as a decimal number (optional fraction and exponent), or a {@link UsageError}. */
export function parseDecimal(flag: string, value: string): number {
  if (!NUMBER.test(value)) throw new UsageError(`--${flag} must be a number, got ${describe(value)}`);
  return Number(value);
}

/** The integer value of `--flag` in `[min, max]` ({@link parseInteger}), or undefined when it was not given. */
export function intFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = parseInteger(flag, value);
  if (n < min || n > max) throw new UsageError(`--${flag} must be an integer in [${min}, ${max}], got ${value}`);
  return n;
}

/**
 * The most threads a `--workers` flag may ask for: 4 per core. More only adds memory and
 * contention (each thread holds its own kernel memory); the bound keeps a typo such as
 * `--workers 1000` from spawning threads until memory runs out.
 */
export const MAX_WORKERS = 4 * availableParallelism();

/** A non-empty string value of `--flag`, or undefined when it was not given. */
export function textFlag(flag: string, value: string | undefined): string | undefined {
  if (value === '') throw new UsageError(`--${flag} must not be empty`);
  return value;
}

/**
 * An option error of the library (see `isOptionError`) about options that are all set by flags
 * of this command (`flags` maps an option's path, e.g. `maskProb` or `model.heads`, to how the
 * user knows it, e.g. `--mask-prob`), reworded with those names as a {@link UsageError}. Any
 * other error — a failed run, a defect of the store, an option the command sets itself — is
 * returned unchanged (so it exits 1, not 2).
 */
export function usageError(err: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (!isOptionError(err) || !err.options.every((p) => Object.hasOwn(flags, p))) return err;
  return new UsageError(err.messageWith((p) => flags[p]), { cause: err });
}

type FlagConfig = NonNullable<ParseArgsConfig['options']>;
/** What `parseArgs` returns for positionals and the flags `F` (typed by their declarations). */
type Parsed<F extends FlagConfig> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: F }>>;

/**
 * Parses a subcommand's arguments: its `flags` plus `-h/--help`, positionals allowed, unknown
 * flags refused (Node's `ERR_PARSE_ARGS_*` errors, which `main.ts` reports as usage errors), a
 * flag given twice refused (a {@link UsageError}, rather than the last one silently winning)
 * unless it is declared `multiple` (its values then come as an array).
 * Returns undefined once `--help` has printed `usage` (the command then exits 0).
 */
export function parseCommand<const F extends FlagConfig & { help?: never }>(argv: string[], usage: string, flags: F): Parsed<F> | undefined {
  const options = Object.fromEntries(Object.entries({ ...flags, help: { type: 'boolean', short: 'h' } }).map(([k, v]) => [k, { ...(v as object), multiple: true }])) as FlagConfig;
  const parsed = parseArgs({ args: argv, allowPositionals: true, options });
  const values: Record<string, unknown> = {};
  for (const [key, list] of Object.entries(parsed.values) as [string, unknown[]][]) {
    if ((flags as FlagConfig)[key]?.multiple) {
      values[key] = list; // declared repeatable (e.g. --mix)
      continue;
    }
    if (list.length > 1) throw new UsageError(`--${key} was given more than once`);
    values[key] = list[0];
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return { values, positionals: parsed.positionals } as unknown as Parsed<F>;
}

const STORE_FILE = /\.(bin|idx|json)$/;

/**
 * `prefix` as given, or a {@link UsageError} when it names one of a store's files
 * (`corpus.bin`) rather than the store's prefix and no store has that prefix.
 */
export function storePrefix(prefix: string): string {
  const m = STORE_FILE.exec(prefix);
  if (m && !existsSync(`${prefix}.json`)) {
    throw new UsageError(`${describe(prefix)} is a store file, not a store prefix: give the path without .${m[1]} (${describe(prefix.slice(0, -m[0].length))})`);
  }
  return prefix;
}

/** An output prefix (`--out`) that does not end in a store file's extension (it would write `x.bin.bin`). */
export function outPrefix(prefix: string): string {
  const m = STORE_FILE.exec(prefix);
  if (m) throw new UsageError(`--out ${describe(prefix)} ends in .${m[1]}: give the prefix without it (the store is written to <prefix>.bin, .idx and .json)`);
  return prefix;
}

/** The one store prefix a command takes, or a {@link UsageError} saying how many were given. */
export function onePrefix(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`expected one store prefix, got ${positionals.length}`);
  return storePrefix(positionals[0]);
}
