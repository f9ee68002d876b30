/** `maskpack merge <prefix>... --out <prefix>` */
import { mergeStores } from '../store/merge.js';
import { outPrefix, parseCommand, storePrefix, UsageError, type Command } from './command.js';
import { INTERRUPTED, listenForInterrupt } from './interrupt.js';
import { plural } from './plural.js';

const usage = `Usage: maskpack merge <prefix>... --out <prefix> [--json]

Concatenate token stores (documents in the order given) into a new store. All inputs are
validated and must share tokenizer, special ids and dtype.

Options:
  -o, --out <prefix>   output prefix (required)
      --json           print the new manifest's counts as JSON
  -h, --help           show this help

Exit status: 0 on success, 1 when an input cannot be read or the stores do not match (nothing is
left at the output prefix), 2 on usage errors, 130 when interrupted (SIGINT/SIGTERM; nothing is
left either).`;

export const mergeCommand: Command = {
  summary: 'concatenate token stores into one',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, { out: { type: 'string', short: 'o' }, json: { type: 'boolean' } });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (!values.out) throw new UsageError('--out <prefix> is required');
    if (positionals.length === 0) throw new UsageError('no input stores given');
    const out = outPrefix(values.out);
    const inputs = positionals.map(storePrefix);
    const stop = listenForInterrupt();
    try {
      const m = await mergeStores(inputs, out, { signal: stop.signal });
      const c = m.counts;
      process.stdout.write(values.json
        ? `${JSON.stringify({ out, ...c })}\n`
        : `${out}: ${plural(c.documents, 'document')}, ${plural(c.sentences, 'sentence')}, ${plural(c.tokens, 'token')} from ${plural(inputs.length, 'store')}\n`);
      return 0;
    } catch (err) {
      if (!stop.interrupted) throw err;
      process.stderr.write(`maskpack merge: interrupted; nothing was written to ${out}\n`);
      return INTERRUPTED;
    } finally {
      stop.dispose();
    }
  },
};
