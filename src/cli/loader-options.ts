/**
 * The command-line flags of every loader-backed command (`inspect`, `export`, `train`): one table
 * from which the `parseArgs` spec, the `--help` text and the mapping to {@link LoaderOptions} are
 * all derived, so a flag cannot exist without its documentation or its conversion.
 *
 * Values are parsed strictly here (a malformed number is a {@link UsageError} naming the flag);
 * ranges are checked once by the library (except `--workers`, bounded here by `MAX_WORKERS`),
 * whose option errors `usageError` rewords with {@link LOADER_FLAG_OF}.
 */
import type { ParseArgsConfig } from 'node:util';
import { FORMAT_NAMES } from '../formats/index.js';
import type { LoaderOptions } from '../loader/options.js';
import { describe } from '../validate.js';
import { intFlag, MAX_WORKERS, parseDecimal, parseInteger, UsageError } from './command.js';

type Kind = 'int' | 'number' | 'boolean' | readonly string[];

interface FlagDef {
  readonly flag: string;
  readonly option: keyof LoaderOptions;
  readonly kind: Kind;
  readonly arg?: string;
  readonly default: string;
  readonly help: string;
}

/** Every loader flag, in `--help` order (as literals, for the type of the flag names). */
const FLAG_LITERALS = [
  { flag: 'format', option: 'format', kind: FORMAT_NAMES, arg: 'F', default: 'full-sentences', help: 'input format: full-sentences, doc-sentences, segment-pair, sentence-pair' },
  { flag: 'seq-len', option: 'seqLen', kind: 'int', arg: 'N', default: '512', help: 'maximum row length, special tokens included' },
  { flag: 'template', option: 'template', kind: ['roberta', 'bert'], arg: 'T', default: 'roberta', help: 'special-token template: roberta (<s> A </s></s> B </s>) or bert' },
  { flag: 'batch', option: 'batchSize', kind: 'int', arg: 'B', default: '32', help: 'global sequences per batch (and the base of the token budget)' },
  { flag: 'batch-by', option: 'batchBy', kind: ['count', 'tokens'], arg: 'BY', default: 'tokens for doc-sentences and sentence-pair, count otherwise', help: 'form batches by a number of rows or by a token budget' },
  { flag: 'token-budget', option: 'tokenBudget', kind: 'int', arg: 'N', default: 'the real tokens of --batch rows of segment-pair / full-sentences', help: 'global tokens per batch with --batch-by tokens' },
  { flag: 'count-padding', option: 'countPadding', kind: 'boolean', default: 'off', help: 'token budgets count padded tokens instead of real ones' },
  { flag: 'pad', option: 'pad', kind: ['longest', 'multiple', 'max'], arg: 'P', default: 'multiple', help: 'batch width: the longest row, that rounded up to --pad-to-multiple-of, or seq-len' },
  { flag: 'pad-to-multiple-of', option: 'padToMultipleOf', kind: 'int', arg: 'N', default: '8', help: 'rounding of the batch width with --pad multiple' },
  { flag: 'drop-last', option: 'dropLast', kind: 'boolean', default: 'off', help: "drop the epoch's last batch when it is incomplete" },
  { flag: 'seed', option: 'seed', kind: 'int', arg: 'S', default: '0', help: 'seed of every random decision (order, pairs, masks), in [0, 2^32)' },
  { flag: 'epoch', option: 'epoch', kind: 'int', arg: 'E', default: '0', help: 'epoch (the first one, for commands that run several)' },
  { flag: 'rank', option: 'rank', kind: 'int', arg: 'R', default: '0', help: "this process's share of every global batch" },
  { flag: 'world-size', option: 'worldSize', kind: 'int', arg: 'W', default: '1', help: 'number of ranks sharing every global batch' },
  { flag: 'mask-prob', option: 'maskProb', kind: 'number', arg: 'P', default: '0.15', help: 'share of eligible tokens (or words) selected for prediction' },
  { flag: 'mask-replace-prob', option: 'maskReplaceProb', kind: 'number', arg: 'P', default: '0.8', help: 'share of selected positions replaced by <mask>' },
  { flag: 'random-replace-prob', option: 'randomReplaceProb', kind: 'number', arg: 'P', default: '0.1', help: 'share of selected positions replaced by a random token (the rest are kept)' },
  { flag: 'selection', option: 'selection', kind: ['bernoulli', 'exact'], arg: 'S', default: 'bernoulli', help: 'each token independently (bernoulli) or round(p × eligible) per row (exact)' },
  { flag: 'whole-word-mask', option: 'wholeWordMask', kind: 'boolean', default: 'off', help: 'select whole words (needs a store with word starts)' },
  { flag: 'span-mask', option: 'spanMask', kind: 'boolean', default: 'off', help: 'SpanBERT span masking: geometric-length spans of whole words (tokens if the store has no word starts) up to --mask-prob of the tokens' },
  { flag: 'span-p', option: 'spanP', kind: 'number', arg: 'P', default: '0.2', help: 'with --span-mask: the geometric distribution\'s p of span lengths, in (0, 1]' },
  { flag: 'span-max-length', option: 'spanMaxLength', kind: 'int', arg: 'N', default: '10', help: 'with --span-mask: the longest span in words (tokens), 1 to 256' },
  { flag: 'dupe-factor', option: 'dupeFactor', kind: 'int', arg: 'K', default: 'dynamic masking', help: 'static masking: epoch e holds the rows (masks, pairs) of epoch e mod K, reshuffled' },
  { flag: 'mix-alpha', option: 'mixAlpha', kind: 'number', arg: 'A', default: 'none', help: 'with --mix: weights × (store tokens)^A, XLM-R\'s temperature sampling (A in [0, 1], 0.3 in XLM-R)' },
  { flag: 'mix-epoch-samples', option: 'mixEpochSamples', kind: 'int', arg: 'N', default: 'the stores\' samples together', help: 'with --mix: rows per mixture epoch' },
  { flag: 'layout', option: 'layout', kind: ['padded', 'packed'], arg: 'L', default: 'padded', help: 'batch rows padded to one width, or packed back to back without padding (cu_seqlens, position_ids)' },
  { flag: 'labels', option: 'labels', kind: ['dense', 'sparse'], arg: 'F', default: 'dense', help: 'labels at every position, or only the masked positions (masked_positions, masked_ids)' },
  { flag: 'max-predictions', option: 'maxPredictions', kind: 'int', arg: 'N', default: 'none', help: 'at most N masked positions per row (the selection capped without bias); with --labels sparse also the fixed [rows, N] form (google-bert\'s max_predictions_per_seq), weights 1 / 0' },
  { flag: 'store-access', option: 'storeAccess', kind: ['auto', 'memory', 'stream'], arg: 'A', default: 'auto', help: 'load the store into memory, or stream each batch\'s tokens from its files (auto: stream stores over 2 GiB)' },
  { flag: 'workers', option: 'workers', kind: 'int', arg: 'N', default: '', help: `collate threads, at most ${MAX_WORKERS} (4 per core); 0 builds batches in the main thread` },
  { flag: 'prefetch', option: 'prefetch', kind: 'int', arg: 'N', default: '2 × workers, 1 with no workers', help: 'batches in flight' },
] as const satisfies readonly FlagDef[];
const FLAGS: readonly FlagDef[] = FLAG_LITERALS;

/** Names of the loader flags, without `--`. */
export type LoaderFlag = (typeof FLAG_LITERALS)[number]['flag'];

/** The `parseArgs` option spec of the loader flags (all strings or booleans); merge it into a command's own options. */
export const loaderFlags = Object.fromEntries(
  FLAGS.map((f) => [f.flag, { type: f.kind === 'boolean' ? 'boolean' : 'string' }]),
) as { readonly [K in LoaderFlag]: { readonly type: 'string' | 'boolean' } } satisfies NonNullable<ParseArgsConfig['options']>;

/**
 * The `--help` lines of the loader flags, each with its default, in a column that starts at
 * `column` (to line up with a command's own options). `defaults` overrides the shown default of
 * flags whose default depends on the command (at least `workers`); `omit` leaves flags out of
 * the help of a command that refuses them.
 */
export function loaderFlagsHelp(defaults: { workers: string } & Partial<Record<string, string>>, omit: readonly string[] = [], column = 36): string {
  const rows = FLAGS.filter((f) => !omit.includes(f.flag)).map((f) => [`      --${f.flag}${f.arg ? ` <${f.arg}>` : ''}`, `${f.help} (default: ${defaults[f.flag] ?? f.default})`]);
  const width = Math.max(column, ...rows.map(([l]) => l.length + 2));
  return rows.map(([l, r]) => `${l.padEnd(width)}${r}`).join('\n');
}

function convert(f: FlagDef, raw: string | boolean): string | number | boolean {
  if (f.kind === 'boolean') return raw;
  const value = raw as string;
  if (f.kind === 'int') return f.flag === 'workers' ? intFlag(f.flag, value, 0, MAX_WORKERS)! : parseInteger(f.flag, value);
  if (f.kind === 'number') return parseDecimal(f.flag, value);
  if (!f.kind.includes(value)) throw new UsageError(`--${f.flag} must be one of ${f.kind.join(', ')}, got ${describe(value)}`);
  return value;
}

/**
 * The {@link LoaderOptions} of parsed flag `values` (only the flags given; the library supplies
 * the defaults, except those in `defaults`, e.g. a command's own default for `workers`).
 * @throws UsageError for a malformed value, naming the flag and the value.
 */
export function toLoaderOptions(values: Readonly<Record<string, unknown>>, defaults: LoaderOptions = {}): LoaderOptions {
  const options: Record<string, unknown> = { ...defaults };
  for (const f of FLAGS) {
    const raw = values[f.flag] as string | boolean | undefined;
    if (raw === undefined) continue;
    options[f.option] = convert(f, raw);
  }
  return options as LoaderOptions;
}

/** Each loader option's flag (`maskProb` → `--mask-prob`), for `usageError`. */
export const LOADER_FLAG_OF: Readonly<Record<string, string>> = Object.fromEntries(FLAGS.map((f) => [f.option, `--${f.flag}`]));
