/** `maskpack merge <prefix>... --out <prefix>` */
import { mergeStores } from '../store/merge.js';
import { parseCommand, UsageError, type Command } from './command.js';

const usage = `Usage: maskpack merge <prefix>... --out <prefix> [--json]

Concatenate token stores (documents in the order given) into a new store. All inputs are
validated and must share tokenizer, special ids and dtype.

Options:
  -o, --out <prefix>   output prefix (required)
      --json           print the new manifest's counts as JSON
  -h, --help           show this help`;

export const mergeCommand: Command = {
  summary: 'concatenate token stores into one',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, { out: { type: 'string', short: 'o' }, json: { type: 'boolean' } });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (!values.out) throw new UsageError('--out <prefix> is required');
    if (positionals.length === 0) throw new UsageError('no input stores given');
    const m = await mergeStores(positionals, values.out);
    const c = m.counts;
    process.stdout.write(values.json
      ? `${JSON.stringify({ out: values.out, ...c })}\n`
      : `${values.out}: ${c.documents} documents, ${c.sentences} sentences, ${c.tokens} tokens from ${positionals.length} stores\n`);
    return 0;
  },
};
