/** `maskpack export-fairseq <prefix> --out <prefix>` */
import { exportFairseq, FAIRSEQ_LAYOUTS, type FairseqLayout } from '../store/fairseq.js';
import { onePrefix, parseCommand, UsageError, type Command } from './command.js';
import { INTERRUPTED, listenForInterrupt } from './interrupt.js';

const usage = `Usage: maskpack export-fairseq <prefix> --out <prefix> [options]

Write a token store as a fairseq MMapIndexedDataset (<out>.bin and <out>.idx, fairseq's index
layout, --dataset-impl mmap) and, when the store's ids fit fairseq's Dictionary, dict.txt
beside them. fairseq cannot read maskpack's own .idx (Megatron's layout has a document index).

Options:
  -o, --out <prefix>      output prefix, e.g. data-bin/train (required)
      --layout <layout>   lines: </s> after every sentence and a </s>-only sequence between
                          documents, as fairseq-preprocess writes a corpus with blank lines
                          between documents; sentences: the store's sentences as they are
                          (default: lines)
      --no-dict           do not write dict.txt
      --json              print the summary as JSON
  -h, --help              show this help

Exit status: 0 on success, 1 when the store cannot be read or a file cannot be written (nothing is
left at <out>), 2 on usage errors, 130 when interrupted (SIGINT/SIGTERM; nothing is left either).`;

export const exportFairseqCommand: Command = {
  summary: 'write a token store as a fairseq MMapIndexedDataset (and dict.txt)',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, {
      out: { type: 'string', short: 'o' },
      layout: { type: 'string' },
      'no-dict': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const prefix = onePrefix(positionals);
    if (!values.out) throw new UsageError('--out <prefix> is required');
    const layout = values.layout;
    if (layout !== undefined && !FAIRSEQ_LAYOUTS.includes(layout as FairseqLayout)) {
      throw new UsageError(`--layout must be one of ${FAIRSEQ_LAYOUTS.join(', ')}, got ${JSON.stringify(layout)}`);
    }
    const stop = listenForInterrupt();
    try {
      const s = await exportFairseq(prefix, values.out, { layout: layout as FairseqLayout | undefined, dict: !values['no-dict'], signal: stop.signal });
      const dict = 'path' in s.dict ? `; ${s.dict.path}` : `; no dict.txt (${s.dict.skipped})`;
      process.stdout.write(values.json ? `${JSON.stringify(s)}\n` : `${s.out}.bin, ${s.out}.idx: ${s.sequences} sequences, ${s.tokens} tokens (${s.layout}, ${s.dtype})${dict}\n`);
      return 0;
    } catch (err) {
      if (!stop.interrupted) throw err;
      process.stderr.write(`maskpack export-fairseq: interrupted; nothing was written to ${values.out}\n`);
      return INTERRUPTED;
    } finally {
      stop.dispose();
    }
  },
};
