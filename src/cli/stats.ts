/** `maskpack stats <prefix>` */
import { openStore } from '../store/reader.js';
import { storeStats, type LengthStats } from '../store/stats.js';
import { onePrefix, parseCommand, type Command } from './command.js';
import { plural } from './plural.js';

const usage = `Usage: maskpack stats <prefix> [--json]

Print a token store's documents, sentences and tokens, and histograms of sentence and
document lengths. The store is fully validated first.

Options:
      --json      print the statistics as JSON
  -h, --help      show this help

Exit status: 0 on success, 1 when the store cannot be read or is invalid, 2 on usage errors.`;

function histogram(title: string, s: LengthStats): string {
  const lines = [`${title}: min ${s.min}, median ${s.median}, mean ${s.mean.toFixed(1)}, p99 ${s.p99}, max ${s.max}`];
  const most = Math.max(1, ...s.histogram.map((b) => b.count));
  for (const b of s.histogram) {
    if (b.count === 0) continue;
    const range = b.lo === b.hi ? `${b.lo}` : `${b.lo}-${b.hi}`;
    lines.push(`  ${range.padStart(13)} ${String(b.count).padStart(10)} ${'█'.repeat(Math.max(1, Math.round((b.count / most) * 40)))}`);
  }
  return lines.join('\n');
}

export const statsCommand: Command = {
  summary: 'print counts and length histograms of a token store',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, { json: { type: 'boolean' } });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const prefix = onePrefix(positionals);
    const store = openStore(prefix);
    try {
      const s = storeStats(store);
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ prefix: store.prefix, dtype: store.dtype, vocabSize: store.vocabSize, tokenizer: store.manifest.tokenizer.name, ...s })}\n`);
        return 0;
      }
      process.stdout.write([
        `${store.prefix}: ${plural(s.documents, 'document')}, ${plural(s.sentences, 'sentence')}, ${plural(s.tokens, 'token')}`,
        `tokenizer ${store.manifest.tokenizer.name} (vocabulary ${store.vocabSize}, ${store.dtype})`,
        histogram('tokens per sentence', s.sentenceTokens),
        histogram('tokens per document', s.documentTokens),
        histogram('sentences per document', s.documentSentences),
      ].join('\n') + '\n');
      return 0;
    } finally {
      store.close();
    }
  },
};
