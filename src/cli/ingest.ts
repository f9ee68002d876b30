/** `maskpack ingest <inputs...> --out <prefix>` */
import os from 'node:os';
import { ingest, type IngestSummary } from '../ingest/ingest.js';
import { INPUT_FORMATS, type InputFormat } from '../ingest/documents.js';
import { SPECIAL_TEXT_MODES, type SpecialTextMode } from '../tokenizer/types.js';
import { specialFlags } from './special-flags.js';
import { describe } from '../validate.js';
import { intFlag, MAX_WORKERS, outPrefix, parseCommand, textFlag, UsageError, usageError, type Command } from './command.js';
import { INTERRUPTED, listenForInterrupt } from './interrupt.js';
import { plural } from './plural.js';
import { progressBar } from './progress.js';

/** Sentences may be cut at 16 to 2^24 UTF-16 code units (the library's minimum; a bound on the memory of one sentence). */
const SENTENCE_CHARS = [16, 1 << 24] as const;

/** The flag of each ingest option, for option errors of the library. */
const FLAG_OF = {
  out: '--out', inputFormat: '--input-format', textField: '--text-field', workers: '--workers', tokenizer: '--tokenizer',
  skipBad: '--skip-bad', maxSentenceChars: '--max-sentence-chars', specialTokens: '--special', specialText: '--special-text',
};

const usage = `Usage: maskpack ingest <inputs...> --out <prefix> [options]

Tokenize a corpus into a token store: <prefix>.bin, <prefix>.idx (Megatron-LM MMIDIDX v1)
and <prefix>.json. Inputs are files, directories (read recursively), glob patterns, - for stdin,
or FIFOs and process substitutions such as <(zcat corpus.txt.gz), read as streams.

Options:
  -o, --out <prefix>          output prefix (required)
  -f, --input-format <fmt>    text (one document per file), lines (one sentence per line,
                              blank line between documents) or jsonl (one document per line)
                              (default: jsonl for .jsonl files, text otherwise and for stdin)
      --text-field <name>     JSONL field holding the text (default: text)
  -w, --workers <n>           tokenizer threads, at most ${MAX_WORKERS} (4 per core); the output is the same
                              for any number (default: the number of cores, ${os.availableParallelism()} here)
  -t, --tokenizer <file>      a Hugging Face tokenizer.json (default: built-in roberta-gpt2, GPT-2 BPE
                              with RoBERTa ids)
      --special <role>=<token|id>  a special token of the tokenizer.json, repeatable; roles: bos, eos,
                              cls, sep, pad, unk, mask; a token the vocabulary lacks is added after it
                              (e.g. for GPT-2: --special bos=<|endoftext|> --special mask=<mask> ...)
                              (default: the file's own)
      --special-text <mode>   plain: special-token text in the corpus is ordinary text; match: the
                              tokenizer.json's special tokens are matched in the text (default: plain)
      --skip-bad              skip and count malformed JSONL lines and binary files instead of failing
      --max-sentence-chars <n>  cut longer sentences (UTF-16 code units), ${SENTENCE_CHARS[0]} to ${SENTENCE_CHARS[1]}
                              (default: 20000)
      --json                  print the summary as JSON
  -h, --help                  show this help

Exit status: 0 on success, 1 when the run fails (nothing is left at <prefix>), 2 on usage errors,
130 when interrupted (SIGINT/SIGTERM; nothing is left at <prefix>).`;

function summaryLine(s: IngestSummary): string {
  const extra = [
    s.emptyDocuments && `${plural(s.emptyDocuments, 'empty document')} skipped`,
    s.skippedLines && `${plural(s.skippedLines, 'bad line')} skipped`,
    s.skippedFiles && `${plural(s.skippedFiles, 'binary file')} skipped`,
    s.invalidUtf8 && `${plural(s.invalidUtf8, 'invalid UTF-8 sequence')} replaced`,
    s.byteOrderMarks && `${plural(s.byteOrderMarks, 'byte-order mark')} dropped`,
  ].filter(Boolean);
  return `${s.out}: ${plural(s.documents, 'document')}, ${plural(s.sentences, 'sentence')}, ${plural(s.tokens, 'token')} from ${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(1)} s (${s.mbPerSecond.toFixed(1)} MB/s, ${plural(s.workers, 'worker')})${extra.length ? `; ${extra.join(', ')}` : ''}`;
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
    if (positionals.filter((p) => p === '-').length > 1) throw new UsageError('- (stdin) may be given only once');
    const format = values['input-format'];
    if (format !== undefined && !INPUT_FORMATS.includes(format as InputFormat)) {
      throw new UsageError(`--input-format must be one of ${INPUT_FORMATS.join(', ')}, got ${describe(format)}`);
    }
    const specialText = values['special-text'];
    if (specialText !== undefined && !SPECIAL_TEXT_MODES.includes(specialText as SpecialTextMode)) {
      throw new UsageError(`--special-text must be one of ${SPECIAL_TEXT_MODES.join(', ')}, got ${describe(specialText)}`);
    }
    const options = {
      inputs: positionals,
      out: outPrefix(values.out),
      inputFormat: format as InputFormat | undefined,
      textField: textFlag('text-field', values['text-field']),
      workers: intFlag('workers', values.workers, 1, MAX_WORKERS),
      tokenizer: textFlag('tokenizer', values.tokenizer),
      specialTokens: specialFlags(values.special),
      specialText: specialText as SpecialTextMode | undefined,
      skipBad: values['skip-bad'] ?? false,
      maxSentenceChars: intFlag('max-sentence-chars', values['max-sentence-chars'], ...SENTENCE_CHARS),
    };
    const bar = progressBar(process.stderr);
    const stop = listenForInterrupt();
    try {
      const summary = await ingest({ ...options, onProgress: (p) => bar.update(p), signal: stop.signal });
      bar.done();
      process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `${summaryLine(summary)}\n`);
      return 0;
    } catch (err) {
      if (!stop.interrupted) throw usageError(err, FLAG_OF);
      process.stderr.write(`maskpack ingest: interrupted; nothing was written to ${values.out}\n`);
      return INTERRUPTED;
    } finally {
      stop.dispose();
      bar.done();
    }
  },
};
