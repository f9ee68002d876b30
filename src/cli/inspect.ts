/** `maskpack inspect <prefix>`: one masked batch, decoded, with every selected position visible. */
import type { AnyBatch } from '../batch.js';
import { batchArrays } from '../batch-arrays.js';
import { MaskpackError } from '../errors.js';
import { createLoader } from '../loader/loader.js';
import { resolveLoaderOptions, type LoaderOptions } from '../loader/options.js';
import { createSampler, type MixtureSource } from '../sampler/index.js';
import type { OpenedStore } from '../store/reader.js';
import { BUILTIN_TOKENIZER, type Tokenizer } from '../tokenizer/types.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { intFlag, parseCommand, UsageError, usageError, type Command } from './command.js';
import { LOADER_FLAG_OF, loaderFlags, loaderFlagsHelp, toLoaderOptions } from './loader-options.js';
import { plural } from './plural.js';
import { legend, renderRow } from './render.js';
import { mixFlag, mixFlagHelp, openCommandStores } from './stores.js';

const usage = `Usage: maskpack inspect <prefix> [options]
       maskpack inspect --mix W:PREFIX --mix W:PREFIX ... [options]

Print one masked batch of a token store decoded to text, exactly as the loader builds it for
training. Every position selected for prediction shows its original token and what replaced it:
on a terminal in colour (<mask> red, random token yellow, kept green), otherwise bracketed as
[orig→new] with the space before a word outside the bracket, e.g. the [fox→<mask>],
the [fox→dog], the [fox→fox]. Each row shows its index, sample id,
real length and number of selected positions (and, for a mixture, its source store); pair
formats also show next_sentence_label and segments A and B (by token type) on separate lines.
With --layout packed the rows are cut out of the packed batch by cu_seqlens; with --labels
sparse the selected positions are those the sparse lists name.

Options:
      --batch-index <I>             which batch of the epoch (default: 0)
      --rows <R>                    print only the first R rows (default: the whole batch)
      --json                        print the raw batch (input_ids, attention_mask, labels, ...;
                                    the arrays of the batch's form) as JSON
      --color <when>                auto, always or never; auto: colour when standard output is a terminal
                                    and NO_COLOR is not set (default: auto)
      --tokenizer <file>            the tokenizer.json of a store ingested with one (required then;
                                    checked against the store's sha256) (default: built-in roberta-gpt2)
${mixFlagHelp()}
  -h, --help                        show this help

Loader options (as for export and train):
${loaderFlagsHelp({ workers: '0' })}

Exit status: 0 on success, 1 when the store cannot be read or is empty, 2 on usage errors.`;

/**
 * The JSON form of a batch of any form: snake_case names as in the exported files, in the
 * library's array order; `[B, L]` and `[B, N]` arrays as rows of arrays, `[T]` and `[M]` flat,
 * `max_seqlen` a number.
 */
function batchJson(batch: AnyBatch, where: { epoch: number; batchIndex: number }): string {
  const out: Record<string, unknown> = {
    epoch: where.epoch,
    batch_index: where.batchIndex,
    ...(batch.layout === 'packed' ? { layout: 'packed' } : {}),
    shape: [...batch.shape],
    sample_ids: [...batch.sampleIds],
    ...(batch.sourceIds ? { source_ids: [...batch.sourceIds] } : {}),
  };
  for (const { name, array, shape } of batchArrays(batch)) {
    if (name === 'sample_ids' || name === 'source_ids') continue;
    if (shape.length === 0) out[name] = array[0];
    else if (shape.length === 1) out[name] = Array.from(array as ArrayLike<number>);
    else out[name] = Array.from({ length: shape[0] }, (_, r) => Array.from((array as Int32Array).subarray(r * shape[1], (r + 1) * shape[1])));
  }
  return JSON.stringify(out);
}

/**
 * The batch `batchIndex` of the loader's first epoch, built through the loader itself. Every
 * option is validated first, `prefetch` included (a loader that builds one batch needs no more
 * than one in flight, but the flag is checked as everywhere else).
 */
async function loadBatch(input: OpenedStore | MixtureSource[], options: LoaderOptions, batchIndex: number): Promise<AnyBatch> {
  const stores = Array.isArray(input) ? input.map((s) => s.store) : [input];
  resolveLoaderOptions(stores[0], options);
  for (const store of stores) {
    if (store.numTokens === 0) throw new MaskpackError('ERR_BAD_INPUT', `${store.prefix}: the store is empty (${plural(store.numDocuments, 'document')}, no tokens); there is no batch to inspect`);
  }
  const store = stores[0];
  const {
    format, seqLen, template, seed, epoch, batchSize, batchBy, tokenBudget, countPadding, pad, padToMultipleOf, dropLast, rank, worldSize, mixAlpha, mixEpochSamples, dupeFactor,
  } = options;
  const sampler = createSampler(input, {
    format, seqLen, template, seed, epoch, batchSize, batchBy, tokenBudget, countPadding, pad, padToMultipleOf, dropLast, rank, worldSize, mixAlpha, mixEpochSamples, dupeFactor,
  });
  const start = sampler.state();
  const total = sampler.numBatches(start.epoch);
  if (total === 0) {
    const why = dropLast ? ': --drop-last drops its only batch, which is incomplete' : '';
    throw new MaskpackError('ERR_BAD_INPUT', `${store.prefix}: epoch ${start.epoch} has no batches with these options${why}`);
  }
  if (batchIndex >= total) throw new UsageError(`--batch-index must be less than ${total} (the batches of epoch ${start.epoch}), got ${batchIndex}`);
  const loader = createLoader(input, { ...options, epochs: 1, prefetch: 1, resume: { ...start, batchIndex } });
  try {
    const { value, done } = await loader.next();
    if (done) throw new UsageError(`epoch ${start.epoch} has no batch ${batchIndex}`);
    return value;
  } finally {
    await loader.close();
  }
}

/**
 * The store's tokenizer: the built-in one by name; a Hugging Face one only from `--tokenizer`
 * (the manifest records its file name, not where it lives), checked against the manifest.
 */
function storeTokenizer(store: OpenedStore, spec: string | undefined): Tokenizer {
  const want = store.manifest.tokenizer;
  if (spec === undefined && want.name !== BUILTIN_TOKENIZER) {
    throw new UsageError(`${store.prefix} was tokenized with ${want.source}; pass its path with --tokenizer <tokenizer.json>`);
  }
  const tokenizer = loadTokenizer(spec ?? BUILTIN_TOKENIZER);
  const got = tokenizer.identity;
  if (got.name !== want.name || got.sha256 !== want.sha256 || got.vocabSize !== want.vocabSize) {
    throw new UsageError(`--tokenizer ${spec} is not the tokenizer of ${store.prefix} (${want.source}${want.sha256 ? `, sha256 ${want.sha256}` : ''})`);
  }
  return tokenizer;
}

export const inspectCommand: Command = {
  summary: 'print one masked batch decoded to text, masked positions highlighted',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, {
      ...loaderFlags,
      ...mixFlag,
      'batch-index': { type: 'string' },
      rows: { type: 'string' },
      json: { type: 'boolean' },
      color: { type: 'string' },
      tokenizer: { type: 'string' },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const options = toLoaderOptions(values, { workers: 0 });
    const batchIndex = intFlag('batch-index', values['batch-index'] as string | undefined, 0, 2 ** 32 - 1) ?? 0;
    const rowsWanted = intFlag('rows', values.rows as string | undefined, 1, Number.MAX_SAFE_INTEGER) ?? Infinity;
    const colorWhen = (values.color as string | undefined) ?? 'auto';
    if (!['auto', 'always', 'never'].includes(colorWhen)) throw new UsageError(`--color must be one of auto, always, never, got ${JSON.stringify(colorWhen)}`);
    const colour = colorWhen === 'always' || (colorWhen === 'auto' && process.stdout.isTTY === true && !process.env.NO_COLOR);
    const opened = openCommandStores(positionals, values.mix)!;
    const store = opened.stores[0];
    try {
      let batch: AnyBatch;
      try {
        batch = await loadBatch(opened.input, options, batchIndex);
      } catch (err) {
        throw usageError(err, LOADER_FLAG_OF);
      }
      const epoch = options.epoch ?? 0;
      if (values.json) {
        process.stdout.write(`${batchJson(batch, { epoch, batchIndex })}\n`);
        return 0;
      }
      const tokenizer = storeTokenizer(store, values.tokenizer as string | undefined);
      const B = batch.sampleIds.length;
      const rows = Math.min(B, rowsWanted);
      const render = { maskId: store.specials.mask, ignoreIndex: -100, colour, sources: opened.stores.map((s) => s.prefix) };
      const name = opened.sources ? `mixture of ${opened.stores.length} stores` : store.prefix;
      const form = [
        batch.layout === 'packed' ? `${plural(B, 'row')} packed, ${plural(batch.shape[0], 'token')} (longest ${batch.maxSeqlen})` : `${B} × ${batch.shape[1]}`,
        ...(batch.maskedIds === undefined ? [] : [`sparse labels: ${plural(batch.maskedRowStart[B], 'masked position')}${batch.maxPredictions === undefined ? '' : ` in ${B} × ${batch.maxPredictions}`}`]),
      ];
      const out = [`${name} · epoch ${epoch} · batch ${batchIndex} · ${form.join(' · ')}${rows < B ? ` · ${rows} of ${B} rows shown` : ''}`];
      if (colour) out.push(legend());
      for (let r = 0; r < rows; r++) out.push(renderRow(batch, r, tokenizer, render));
      process.stdout.write(`${out.join('\n')}\n`);
      return 0;
    } finally {
      opened.close();
    }
  },
};
