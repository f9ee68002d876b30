/** `maskpack export <prefix> --out DIR`: masked batches as numpy `.npy` files, one folder per epoch. */
import { availableParallelism } from 'node:os';
import { MaskpackError } from '../errors.js';
import { exportBatches, type ExportedEpoch, type ExportSummary } from '../export/export.js';
import type { ExportOptions } from '../export/layout.js';
import { intFlag, parseCommand, UsageError, usageError, type Command } from './command.js';
import { INTERRUPTED, listenForInterrupt } from './interrupt.js';
import { LOADER_FLAG_OF, loaderFlags, loaderFlagsHelp, toLoaderOptions } from './loader-options.js';
import { plural } from './plural.js';
import { mixFlag, mixFlagHelp, openCommandStores } from './stores.js';

const usage = `Usage: maskpack export <prefix> --out DIR [options]
       maskpack export --mix W:PREFIX --mix W:PREFIX ... --out DIR [options]

Write the loader's masked batches as numpy .npy files (int32 or int64, loadable by numpy.load
and PyTorch), one folder per epoch:

  DIR/epoch-<e>/input_ids.npy, attention_mask.npy, labels.npy    (rows, W)
               token_type_ids.npy (rows, W), next_sentence_label.npy (rows,)   pair formats
               source_ids.npy (rows,): with --mix, each row's store (its index in --mix order)
               batch_offsets.npy (batches,): the first row of each batch
  DIR/options.json   every option that decides the bytes, the store's checksums and counts,
                     the maskpack and random-function versions; written last, so it marks a
                     complete export

With --layout packed the rows are back to back, without padding (no --width):

  DIR/epoch-<e>/input_ids.npy, labels.npy, position_ids.npy      (T,): the epoch's T real tokens
               cu_seqlens.npy (rows+1,): where each row starts in them, then T
               token_type_ids.npy (T,), next_sentence_label.npy (rows,)       pair formats

With --labels sparse there is no labels.npy, but masked_positions.npy and masked_ids.npy (M,):
the positions of the masked tokens in the epoch's raveled input_ids.npy, increasing, and their
original ids, and masked_row_start.npy (rows+1,): row r's are entries [start[r], start[r+1]).
With --max-predictions N, masked_positions.npy, masked_ids.npy and masked_weights.npy (float32)
are (rows, N): row-local positions as google-bert's, padding slots position 0, id -100, weight 0.

W is --seq-len (--width seq-len) or the width of the epoch's widest batch (--width epoch).
With --width batch each batch keeps its own width: the (rows, W) arrays are flat instead,
(positions,), batch after batch, and batch_shapes.npy (batches, 2) gives each batch's rows
and width. A failed or interrupted export leaves no options.json (Ctrl-C or SIGTERM: the epochs already
complete stay, the line on stderr names them). An export into a folder first removes its
options.json, the epoch folders of an earlier export that it does not rewrite, and the
temporaries of killed runs.

Options:
  -o, --out <DIR>                   output folder (required)
      --epochs <E>                  epochs to export, from --epoch, at most 100000 (default: 1)
      --width <W>                   row layout: seq-len, epoch or batch (default: batch for sentence-pair, epoch otherwise)
      --dtype <T>                   int32 or int64 for every array; int64 is torch.long, for CrossEntropyLoss (default: int32)
      --json                        print the summary as JSON
${mixFlagHelp()}
  -h, --help                        show this help

Loader options (as for inspect and train):
${loaderFlagsHelp({ workers: `the number of cores, ${availableParallelism()} here` })}

Exit status: 0 on success, 1 when the store cannot be read or the export fails (no options.json
is left), 2 on usage errors, 130 when interrupted (SIGINT/SIGTERM).`;

/** The most epochs one export writes (each is a folder of full copies of the masked data). */
const MAX_EPOCHS = 100_000;

/** A redrawn progress line on a terminal; nothing otherwise. */
function progress(stream: NodeJS.WriteStream): { batch(rows: number, epoch: number): void; done(): void } {
  if (!stream.isTTY) return { batch() {}, done() {} };
  const start = Date.now();
  let last = 0;
  let rows = 0;
  let batches = 0;
  let current = -1;
  return {
    batch(n, epoch) {
      if (epoch !== current) [current, rows, batches] = [epoch, 0, 0];
      rows += n;
      batches++;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      stream.write(`\r\x1b[2Kepoch ${epoch}: ${batches} batches, ${rows} rows · ${((now - start) / 1000).toFixed(1)} s`);
    },
    done() {
      if (last) stream.write('\r\x1b[2K');
      last = 0;
    },
  };
}

function epochLine(e: ExportedEpoch): string {
  return `${e.dir}: ${plural(e.rows, 'row')}, ${plural(e.batches, 'batch', 'batches')}, ${plural(e.tokens, 'token')}`;
}

function summaryLines(s: ExportSummary, prefixes: readonly string[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return s.epochs.map((e) => [
    epochLine(e),
    ...(e.sources ?? []).map((x, i) => `  source ${i} (${prefixes[i]}, weight ${s.weights![i].toFixed(4)}): ${plural(x.rows, 'row')} (${pct(x.rowShare)}), ${plural(x.tokens, 'token')} (${pct(x.tokenShare)})`),
  ].join('\n')).join('\n');
}

/** What an interrupted export leaves: the complete epochs, the others, and that the folder is not a complete export. */
function interruptedLine(out: string, done: readonly ExportedEpoch[], first: number, epochs: number): string {
  const complete = done.length === 0
    ? 'no epoch is complete'
    : `${done.length === 1 ? 'epoch' : 'epochs'} ${done.map((e) => e.epoch).join(', ')} ${done.length === 1 ? 'is' : 'are'} complete (${done.map((e) => e.dir).join(', ')})`;
  const from = first + done.length;
  const last = first + epochs - 1;
  const rest = from > last ? '' : from === last ? `, epoch ${from} is not` : `, epochs ${from}-${last} are not`;
  return `maskpack export: interrupted; ${complete}${rest}; no options.json was written, so ${out} is not a complete export\n`;
}

export const exportCommand: Command = {
  summary: 'write masked batches as numpy .npy files, one folder per epoch',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, {
      ...loaderFlags,
      ...mixFlag,
      out: { type: 'string', short: 'o' },
      epochs: { type: 'string' },
      width: { type: 'string' },
      dtype: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const out = values.out as string | undefined;
    if (!out) throw new UsageError('--out <DIR> is required');
    const layout = { width: values.width as string | undefined, dtype: values.dtype as string | undefined };
    if (layout.width !== undefined && !['seq-len', 'epoch', 'batch'].includes(layout.width)) throw new UsageError(`--width must be one of seq-len, epoch, batch, got ${JSON.stringify(layout.width)}`);
    if (layout.dtype !== undefined && !['int32', 'int64'].includes(layout.dtype)) throw new UsageError(`--dtype must be one of int32, int64, got ${JSON.stringify(layout.dtype)}`);
    if (layout.width === 'seq-len') {
      for (const flag of ['pad', 'pad-to-multiple-of']) {
        if ((values as Record<string, unknown>)[flag] !== undefined) throw new UsageError(`--${flag} is not accepted with --width seq-len: every row is padded to --seq-len`);
      }
    }
    const epochs = intFlag('epochs', values.epochs as string | undefined, 1, MAX_EPOCHS);
    const options: ExportOptions = { ...toLoaderOptions(values, epochs === undefined ? {} : { epochs }), ...(layout as Pick<ExportOptions, 'width' | 'dtype'>) };
    const opened = openCommandStores(positionals, values.mix)!;
    const bar = progress(process.stderr);
    const stop = listenForInterrupt();
    const done: ExportedEpoch[] = [];
    try {
      for (const store of opened.stores) {
        if (store.numTokens === 0) throw new MaskpackError('ERR_BAD_INPUT', `${store.prefix}: the store is empty (${plural(store.numDocuments, 'document')}, no tokens); there is nothing to export`);
      }
      const summary = await exportBatches(opened.input, out, options, {
        onBatch: (rows, epoch) => bar.batch(rows, epoch), onEpoch: (e) => done.push(e), signal: stop.signal,
      });
      bar.done();
      const prefixes = opened.stores.map((s) => s.prefix);
      process.stdout.write(values.json ? `${JSON.stringify({ out, ...summary })}\n` : `${summaryLines(summary, prefixes)}\n`);
      return 0;
    } catch (err) {
      if (!stop.interrupted) throw usageError(err, { ...LOADER_FLAG_OF, epochs: '--epochs', width: '--width' });
      bar.done();
      process.stderr.write(interruptedLine(out, done, options.epoch ?? 0, options.epochs ?? 1));
      return INTERRUPTED;
    } finally {
      stop.dispose();
      bar.done();
      opened.close();
    }
  },
};
