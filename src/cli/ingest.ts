/** `maskpack ingest <inputs...> --out <prefix>` */
import os from 'node:os';
import { ingest, type IngestSummary } from '../ingest/ingest.js';
import { INPUT_FORMATS, type InputFormat } from '../ingest/documents.js';
import { SPECIAL_TEXT_MODES, type SpecialTextMode } from '../tokenizer/types.js';
import { specialFlags } from './special-flags.js';
import { parseCommand, positiveInt, UsageError, type Command } from './command.js';
import { progressBar } from './progress.js';

const usage = `Usage: maskpack ingest <inputs...> --out <prefix> [options]

Tokenize a corpus into a token store: <prefix>.bin, <prefix>.idx (Megatron-LM MMIDIDX v1)
and <prefix>.json. Inputs are files, directories (read recursively), glob patterns, - for stdin,
or FIFOs and process substitutions such as <(zcat corpus.txt.gz), read as streams.

Options:
  -o, --out <prefix>          output prefix (required)
  -f, --input-format <fmt>    text (one document per file), lines (one sentence per line,
                              blank line between documents) or jsonl (one document per line);
                              default: jsonl for .jsonl files, text otherwise
      --text-field <name>     JSONL field holding the text (default: text)
  -w, --workers <n>           tokenizer threads (default: number of cores, ${os.availableParallelism()} here)
  -t, --tokenizer <file>      a Hugging Face tokenizer.json (default: built-in GPT-2 BPE with RoBERTa ids)
      --special <role>=<token|id>  a special token of the tokenizer.json, repeatable; roles: bos, eos,
                              cls, sep, pad, unk, mask; a token the vocabulary lacks is added after it
                              (e.g. for GPT-2: --special bos=<|endoftext|> --special mask=<mask> ...)
      --special-text <mode>   plain (default): special-token text in the corpus is ordinary text;
                              match: the tokenizer.json's special tokens are matched in the text
      --skip-bad              skip and count malformed JSONL lines and binary files instead of failing
      --max-sentence-chars <n>  cut longer sentences (default: 20000)
      --json                  print the summary as JSON
  -h, --help                  show this help

Exit status: 0 on success, 1 when the run fails (nothing is left at <prefix>), 2 on usage errors.`;

function summaryLine(s: IngestSummary): string {
  const extra = [
    s.emptyDocuments && `${s.emptyDocuments} empty documents skipped`,
    s.skippedLines && `${s.skippedLines} bad lines skipped`,
    s.skippedFiles && `${s.skippedFiles} binary files skipped`,
    s.invalidUtf8 && `${s.invalidUtf8} invalid UTF-8 sequences replaced`,
    s.byteOrderMarks && `${s.byteOrderMarks} byte-order mark${s.byteOrderMarks === 1 ? '' : 's'} dropped`,
  ].filter(Boolean);
  return `${s.out}: ${s.documents} documents, ${s.sentences} sentences, ${s.tokens} tokens from ${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(1)} s (${s.mbPerSecond.toFixed(1)} MB/s, ${s.workers} worker${s.workers === 1 ? "" : "s"})${extra.length ? `; ${extra.join(', ')}` : ''}`;
}

export const ingestCommand: Command = {
  summary: 'tokenize text, lines or jsonl inputs into a token store',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, {
      out: { type: 'string', short: 'o' },
      'input-format': { type: 'string', short: 'f' },
      'text-field': { type: 'string' },
      workers: { type: 'string', short: 'w' },
      tokenizer: { type: 'string', short: 't' },
      special: { type: 'string', multiple: true },
      'special-text': { type: 'string' },
      'skip-bad': { type: 'boolean' },
      'max-sentence-chars': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (!values.out) throw new UsageError('--out <prefix> is required');
    if (positionals.length === 0) throw new UsageError('no inputs given (use - for stdin)');
    const format = values['input-format'];
    if (format !== undefined && !INPUT_FORMATS.includes(format as InputFormat)) {
      throw new UsageError(`--input-format must be one of ${INPUT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    }
    const specialText = values['special-text'];
    if (specialText !== undefined && !SPECIAL_TEXT_MODES.includes(specialText as SpecialTextMode)) {
      throw new UsageError(`--special-text must be one of ${SPECIAL_TEXT_MODES.join(', ')}, got ${JSON.stringify(specialText)}`);
    }
    const specialTokens = specialFlags(values.special);
    const bar = progressBar(process.stderr);
    const controller = new AbortController();
    const onSignal = (): void => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const summary = await ingest({
        inputs: positionals,
        out: values.out,
        inputFormat: format as InputFormat | undefined,
        textField: values['text-field'],
        workers: positiveInt('workers', values.workers),
        tokenizer: values.tokenizer,
        specialTokens,
        specialText: specialText as SpecialTextMode | undefined,
        skipBad: values['skip-bad'] ?? false,
        maxSentenceChars: positiveInt('max-sentence-chars', values['max-sentence-chars']),
        onProgress: (p) => bar.update(p),
        signal: controller.signal,
      });
      bar.done();
      process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `${summaryLine(summary)}\n`);
      return 0;
    } catch (err) {
      if (!controller.signal.aborted) throw err;
      process.stderr.write(`maskpack ingest: interrupted; nothing was written to ${values.out}\n`);
      return 130;
    } finally {
      bar.done();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
