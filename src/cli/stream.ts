/** `maskpack stream <prefix>`: live masked batches as `.npy` records on stdout or a Unix socket. */
import { fstatSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import { MaskpackError } from '../errors.js';
import type { SamplerState } from '../sampler/index.js';
import { listenOnce, type OneConnection } from '../stream/socket.js';
import { streamBatches, type StreamSummary } from '../stream/stream.js';
import { intFlag, parseCommand, textFlag, UsageError, usageError, type Command } from './command.js';
import { INTERRUPTED, listenForInterrupt } from './interrupt.js';
import { LOADER_FLAG_OF, loaderFlags, loaderFlagsHelp, toLoaderOptions } from './loader-options.js';
import { plural } from './plural.js';
import { mixFlag, mixFlagHelp, openCommandStores } from './stores.js';

const usage = `Usage: maskpack stream <prefix> [options] | consumer
       maskpack stream --mix W:PREFIX --mix W:PREFIX ... [options] | consumer
       maskpack stream <prefix> --socket PATH [options]

Write the loader's masked batches, one after another in the loader's order, to standard output
or to the one consumer of a Unix domain socket: live batches for a trainer in another process
(python/maskpack_stream.py reads them as NumPy arrays or PyTorch tensors). Every batch is a
header record followed by its arrays, all NumPy .npy records (format 1.0, C order, little-endian):

  header                 uint8 (n,): UTF-8 JSON {"maskpack": "stream-v1", "epoch": E, "batchIndex": I,
                         "arrays": [the names of the records that follow], "state": {...}}
                         where state is the loader's state after this batch (what --resume takes)
  input_ids, attention_mask, labels            int32 (rows, width)
  token_type_ids (rows, width), next_sentence_label (rows,)          pair formats
  source_ids (rows,)                           with --mix: each row's store (its index in --mix order)

Other batch forms write their arrays in this order: input_ids, attention_mask (padded) or position_ids,
cu_seqlens (rows+1,) and max_seqlen (0-d) (--layout packed: input_ids (T,) of the batch's T real
tokens), labels (dense) or masked_positions, masked_ids, masked_weights, masked_row_start (--labels
sparse), token_type_ids, next_sentence_label, source_ids (see the README's "Batch forms").

After the last batch comes an end record: a header with "end": true, "arrays": [] and "batches" (the
count sent); a stream without one was cut short. The batches are those of export --width batch
with the same options (--pad max: rows of --seq-len). When the consumer reads slowly, maskpack
waits (holding two batches in the output and at most --prefetch more); when it closes the pipe or
socket, maskpack stops quietly.

Options:
      --epochs <E>                  epochs to stream from --epoch, or inf (default: 1; inf when only
                                    --batches is given)
      --batches <N>                 stop after N batches (default: no limit)
      --resume <STATE>              continue a run after the batch whose header carried STATE: the state's
                                    JSON (or a whole header's) or a file holding it; give the run's other
                                    options unchanged (--epoch and --epochs still count from --epoch)
                                    (default: none)
      --socket <PATH>               serve one consumer on a Unix domain socket at PATH instead of stdout
                                    (a socket file left by a killed run is replaced; removed at the end)
                                    (default: standard output)
      --dtype <T>                   int32 or int64 for the int32 arrays (default: int32)
${mixFlagHelp()}
  -h, --help                        show this help

Loader options (as for inspect, export and train):
${loaderFlagsHelp({ workers: `the number of cores, ${availableParallelism()} here` })}

Exit status: 0 when every batch was sent or the consumer closed the stream, 1 when a store cannot
be read or a batch fails, 2 on usage errors, 130 on SIGINT or SIGTERM (the stream stops between
batches and says where to resume).`;

/** `--epochs`: a positive integer or `inf`. */
function parseEpochs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === 'inf') return Infinity;
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--epochs must be a positive integer or inf, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** `--resume`: a state (or a header holding one) as JSON text, or the path of a file holding it. */
function parseResume(value: string | undefined): SamplerState | undefined {
  if (value === undefined) return undefined;
  const quoted = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  let text = value;
  if (!value.trimStart().startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (err) {
      throw new UsageError(`--resume must be a JSON state or a file holding one, got ${quoted} (${(err as Error).message})`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--resume ${quoted} is not JSON: ${(err as Error).message}`);
  }
  const header = parsed as { state?: unknown; optionsHash?: unknown } | null;
  if (header !== null && typeof header === 'object' && typeof header.state === 'object' && header.optionsHash === undefined) return header.state as SamplerState;
  return parsed as SamplerState;
}

/** The flags of this command's options, for `usageError`. */
const FLAG_OF: Readonly<Record<string, string>> = { ...LOADER_FLAG_OF, batches: '--batches', dtype: '--dtype', epochs: '--epochs' };

/**
 * An error of the run as the user should see it: option errors named by their flags, a state
 * that does not belong to these options (the sampler's `state.…` errors) named by `--resume`.
 */
function commandError(err: unknown): unknown {
  if ((err instanceof TypeError || err instanceof RangeError) && /^state\b/.test(err.message)) {
    const message = err.message.replace(/\boptions\.(\w+)\b/g, (m, option: string) => FLAG_OF[option] ?? m);
    return new UsageError(`--resume: ${message} (give the options of the run the state comes from)`, { cause: err });
  }
  return usageError(err, FLAG_OF);
}

/**
 * Standard output as a stream the command can cut off: a pipe or socket gets a socket of its own
 * on fd 1 (destroying it cancels a write that a stalled reader holds up, which `process.stdout`
 * would keep the process alive for); anything else (a file) is written through `process.stdout`.
 */
function standardOutput(): Writable {
  const stat = fstatSync(1);
  return stat.isFIFO() || stat.isSocket() ? new net.Socket({ fd: 1, readable: false, writable: true }) : process.stdout;
}

/** Ends `out` after what was written (`graceful`) or at once, and ignores its later errors (EPIPE). */
function finish(out: Writable, graceful: boolean): void {
  out.on('error', () => {});
  if (out === process.stdout) return;
  if (graceful) out.end(() => out.destroy());
  else out.destroy();
}

export const streamCommand: Command = {
  summary: 'write masked batches live as .npy records to stdout or a Unix socket (for PyTorch)',
  usage,
  async run(argv) {
    const parsed = parseCommand(argv, usage, {
      ...loaderFlags,
      ...mixFlag,
      epochs: { type: 'string' },
      batches: { type: 'string' },
      resume: { type: 'string' },
      socket: { type: 'string' },
      dtype: { type: 'string' },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const epochs = parseEpochs(values.epochs);
    const batches = intFlag('batches', values.batches, 1, Number.MAX_SAFE_INTEGER);
    const resume = parseResume(values.resume);
    const dtype = values.dtype;
    if (dtype !== undefined && dtype !== 'int32' && dtype !== 'int64') throw new UsageError(`--dtype must be int32 or int64, got ${JSON.stringify(dtype)}`);
    const socketPath = textFlag('socket', values.socket);
    if (socketPath === undefined && process.stdout.isTTY) {
      throw new UsageError('standard output is a terminal: pipe it into a consumer (e.g. python/maskpack_stream.py) or give --socket PATH');
    }
    const options = toLoaderOptions(values, epochs === undefined ? {} : { epochs });
    const opened = openCommandStores(positionals, values.mix)!;
    const stop = listenForInterrupt();
    let listening: OneConnection | undefined;
    let out: Writable | undefined;
    let summary: StreamSummary | undefined;
    try {
      for (const store of opened.stores) {
        if (store.numTokens === 0) throw new MaskpackError('ERR_BAD_INPUT', `${store.prefix}: the store is empty (${plural(store.numDocuments, 'document')}, no tokens); there is nothing to stream`);
      }
      if (socketPath !== undefined) {
        listening = await listenOnce(socketPath, stop.signal).catch((err: unknown) => {
          throw err instanceof RangeError ? new UsageError(`--socket ${err.message}`) : err;
        });
      }
      const output = listening ? listening.connection.then((s) => (out = s)) : (out = standardOutput());
      summary = await streamBatches(opened.input, output, { ...options, batches, resume, signal: stop.signal, ...(dtype ? { dtype } : {}) })
        .catch((err: unknown) => {
          throw commandError(err);
        });
      if (summary.ending !== 'aborted') return 0;
      const reason = (stop.signal.reason as Error).message;
      process.stderr.write(`maskpack stream: ${reason} after ${plural(summary.batches, 'batch', 'batches')}; to continue: --resume '${JSON.stringify(summary.state)}'\n`);
      return INTERRUPTED;
    } finally {
      stop.dispose();
      listening?.close();
      if (out) finish(out, summary?.ending === 'done');
      opened.close();
    }
  },
};
