/** `maskpack export <prefix> --out DIR`: masked batches as numpy `.npy` files, one folder per epoch. */
import { availableParallelism } from 'node:os';
import { exportBatches, type ExportSummary } from '../export/export.js';
import { parseCommand, UsageError, type Command } from './command.js';
import { flagError, loaderFlags, loaderFlagsHelp, toLoaderOptions } from './loader-options.js';
import { mixFlag, mixFlagHelp, openCommandStores } from './stores.js';

const usage = `Usage: maskpack export <prefix> --out DIR [options]
       maskpack export --mix W:PREFIX --mix W:PREFIX ... --out DIR [options]

Write the loader's masked batches as numpy .npy files (int32, loadable by numpy.load and
PyTorch), one folder per epoch:

  DIR/epoch-<e>/input_ids.npy, attention_mask.npy, labels.npy    (rows, seq-len)
               token_type_ids.npy (rows, seq-len), next_sentence_label.npy (rows,)   pair formats
               source_ids.npy (rows,): with --mix, each row's store (its index in --mix order)
               batch_offsets.npy (batches,): the first row of each batch
  DIR/options.json   the export's options; written last, so it marks a complete export

Rows are always padded to --seq-len (so --pad and --pad-to-multiple-of are not accepted).
A failed or interrupted export leaves no options.json; an export into a folder that holds
one removes it first.

Options:
  -o, --out <DIR>                   output folder (required)
      --epochs <E>                  epochs to export, from --epoch (default: 1)
      --json                        print the summary as JSON
${mixFlagHelp()}
  -h, --help                        show this help

Loader options (as for inspect and train):
${loaderFlagsHelp({ workers: `the number of cores, ${availableParallelism()} here` }, ['pad', 'pad-to-multiple-of'])}

Exit status: 0 on success, 1 when the store cannot be read or the export fails (no options.json
is left), 2 on usage errors.`;

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

function summaryLines(s: ExportSummary, prefixes: readonly string[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return s.epochs.map((e) => [
    `${e.dir}: ${e.rows} rows, ${e.batches} batches, ${e.tokens} tokens`,
    ...(e.sources ?? []).map((x, i) => `  source ${i} (${prefixes[i]}, weight ${s.weights![i].toFixed(4)}): ${x.rows} rows (${pct(x.rowShare)}), ${x.tokens} tokens (${pct(x.tokenShare)})`),
  ].join('\n')).join('\n');
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
      json: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const out = values.out as string | undefined;
    if (!out) throw new UsageError('--out <DIR> is required');
    for (const flag of ['pad', 'pad-to-multiple-of']) {
      if ((values as Record<string, unknown>)[flag] !== undefined) throw new UsageError(`--${flag} is not accepted: export always pads rows to --seq-len`);
    }
    const epochsText = values.epochs as string | undefined;
    if (epochsText !== undefined && !/^[1-9]\d*$/.test(epochsText)) throw new UsageError(`--epochs must be a positive integer, got ${JSON.stringify(epochsText)}`);
    const options = toLoaderOptions(values, epochsText === undefined ? {} : { epochs: Number(epochsText) });
    const opened = openCommandStores(positionals, values.mix)!;
    const bar = progress(process.stderr);
    try {
      const summary = await exportBatches(opened.input, out, options, (rows, epoch) => bar.batch(rows, epoch)).catch((err: unknown) => {
        throw flagError(err);
      });
      bar.done();
      const prefixes = opened.stores.map((s) => s.prefix);
      process.stdout.write(values.json ? `${JSON.stringify({ out, ...summary })}\n` : `${summaryLines(summary, prefixes)}\n`);
      return 0;
    } finally {
      bar.done();
      opened.close();
    }
  },
};
