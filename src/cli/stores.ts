/**
 * The stores a loader-backed command reads: its one store prefix, or a weighted mixture given as
 * `--mix W:PREFIX` (repeatable) in its place. Opens them (closing what it opened on failure).
 */
import type { MixtureSource } from '../sampler/mixture.js';
import { openStore, type OpenedStore } from '../store/reader.js';
import { storePrefix, UsageError } from './command.js';

/** The `parseArgs` spec of `--mix`; merge it into a command's options. */
export const mixFlag = { mix: { type: 'string', multiple: true } } as const;

/** The `--help` lines of `--mix`, aligned at `column`. */
export function mixFlagHelp(column = 36): string {
  return [
    ['      --mix <W:PREFIX>', 'a weighted mixture of stores instead of one prefix (repeatable): weight W >= 0,'],
    ['', 'then the store prefix; each row draws from a store in proportion to the weights'],
  ].map(([l, r]) => `${l.padEnd(column)}${r}`).join('\n');
}

/** What a command reads: one store, or a mixture (weights as given, in `--mix` order). */
export interface CommandStores {
  readonly stores: OpenedStore[];
  /** The mixture's sources (undefined for one store). */
  readonly sources: MixtureSource[] | undefined;
  /** The weights as given on the command line (mixtures only). */
  readonly given: number[] | undefined;
  /** What the loader takes: the store, or the sources. */
  readonly input: OpenedStore | MixtureSource[];
  close(): void;
}

/**
 * Parses `--mix W:PREFIX` values: W a non-negative decimal number, PREFIX what follows the
 * first colon (a prefix may itself contain colons).
 * @throws UsageError naming `--mix` and the value.
 */
export function parseMix(values: readonly string[]): { weight: number; prefix: string }[] {
  return values.map((v) => {
    const at = v.indexOf(':');
    const w = at < 0 ? '' : v.slice(0, at);
    const prefix = at < 0 ? '' : v.slice(at + 1);
    if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(w) || !Number.isFinite(Number(w)) || prefix === '') {
      throw new UsageError(`--mix must be W:PREFIX with a weight W >= 0 and a store prefix, got ${JSON.stringify(v)}`);
    }
    return { weight: Number(w), prefix };
  });
}

/**
 * Opens the command's stores: the one positional prefix (`optional`: or none, returning
 * undefined), or the `--mix` values (then no positional prefix is allowed).
 */
export function openCommandStores(positionals: readonly string[], mix: readonly string[] | undefined, optional = false): CommandStores | undefined {
  if (mix !== undefined && mix.length > 0) {
    if (positionals.length > 0) throw new UsageError(`give either a store prefix or --mix, not both (got ${JSON.stringify(positionals[0])} and --mix)`);
    const parsed = parseMix(mix);
    const stores: OpenedStore[] = [];
    try {
      for (const m of parsed) stores.push(openStore(storePrefix(m.prefix)));
    } catch (err) {
      for (const s of stores) s.close();
      throw err;
    }
    const sources = stores.map((store, i) => ({ store, weight: parsed[i].weight }));
    return { stores, sources, given: parsed.map((m) => m.weight), input: sources, close: () => stores.forEach((s) => s.close()) };
  }
  if (positionals.length === 0 && optional) return undefined;
  if (positionals.length !== 1) throw new UsageError(`expected one store prefix (or --mix W:PREFIX), got ${positionals.length}`);
  const store = openStore(storePrefix(positionals[0]));
  return { stores: [store], sources: undefined, given: undefined, input: store, close: () => store.close() };
}
