/**
 * The loader's job streams: a Piscina pool whose every worker serves jobs on a MessagePort of
 * its own, so that each worker always has its next batches queued.
 *
 * ```
 *  main thread                                   worker w (Piscina thread)
 *  post(job) ──port w──▶ job queue ──▶ plan + collate + mask ──port w──▶ reply (buffers moved)
 *  waiting[w]: FIFO of jobs posted, resolved by the replies in order
 * ```
 * Why not one Piscina task per batch: a thread takes its next task only after the main thread
 * has handled the previous reply, so a worker idled for a round trip per batch (~0.3 ms of
 * ~1.1), and Piscina's per-task bookkeeping cost the main thread ~0.2 ms per batch, which on
 * two cores was taken from the workers. Piscina still starts, owns and stops the threads: one
 * start-up task per worker hands it its port. The start-up tasks hold their threads until every
 * worker has checked in, so each lands on its own thread; then they return, and with Piscina's
 * Atomics wait loop disabled the threads keep serving their ports from their event loops.
 *
 * Failures: a job's error comes back as its reply; a worker that dies closes its port, which
 * rejects every job it had not answered with the thread's exit code or error. A port keeps the
 * process alive only while jobs wait on it, so an abandoned loader does not hold the process.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { MaskpackError } from '../errors.js';
import type { StreamReady, StreamTask, WorkerInit, WorkerJob, WorkerReply } from './protocol.js';

/** How long closing waits for the workers to finish their queued jobs before stopping them. */
const SETTLE_MS = 2000;
/** How long a closed port waits for its thread's exit code, for the error message. */
const EXIT_WAIT_MS = 500;

/** A job posted to a worker, waiting for its reply (replies come back in posting order). */
export interface Waiter {
  where: string;
  resolve(reply: WorkerReply): void;
  reject(err: Error): void;
}

/** One worker's job stream. */
export interface Stream {
  readonly port: MessagePort;
  readonly waiting: Waiter[];
  /** Keys (`indexKey`) of the sample indexes this worker already has. */
  readonly indexes: Set<string>;
  /** Why the worker stopped: its exit code, uncaught error or failed start-up task. */
  readonly stopped: Promise<string>;
  /** Why the stream ended: its later jobs fail at once with it. */
  ended?: Error;
  /** Called once no job waits (set by `close`). */
  idle?: () => void;
  /** The worker said `ready`, or the stream ended before it could: it no longer holds up `go`. */
  counted?: boolean;
}

export class JobStreams {
  readonly streams: Stream[] = [];
  private readonly pool: Piscina;
  private readonly started: Promise<unknown>[] = [];
  private ready = 0;
  private stopping = false;

  constructor(filename: string, init: WorkerInit, workers: number) {
    this.pool = new Piscina({
      filename, workerData: init, minThreads: workers, maxThreads: workers, concurrentTasksPerWorker: 1,
      idleTimeout: Number.MAX_SAFE_INTEGER, atomics: 'disabled',
    });
    // A worker's uncaught error outside a task is emitted on the pool (unhandled, it would throw
    // in this thread); the stream of that worker reports it through its thread's 'error' event.
    this.pool.on('error', () => undefined);
    for (let w = 0; w < workers; w++) this.streams.push(this.open());
  }

  /** The live stream with the fewest jobs waiting (the first such); an ended one only when all have ended. */
  pick(): Stream {
    // Runs once per batch on the main thread: a plain loop, nothing allocated.
    let best: Stream | undefined;
    for (const s of this.streams) if (!s.ended && (!best || s.waiting.length < best.waiting.length)) best = s;
    return best ?? this.streams[0];
  }

  /**
   * Posts `job` to `stream`; `waiter` gets the worker's reply, or is rejected (`ERR_WORKER`,
   * naming its `where`) if the job cannot be sent or the worker dies first.
   */
  send(stream: Stream, job: WorkerJob, waiter: Waiter, transfer: ArrayBuffer[] = []): void {
    if (stream.ended) {
      waiter.reject(failed(waiter.where, stream.ended));
      return;
    }
    try {
      stream.port.postMessage(job, transfer);
    } catch (err) {
      // Not sent (e.g. a buffer that cannot be transferred): no reply will come for it.
      waiter.reject(new MaskpackError('ERR_WORKER', `${waiter.where}: could not send the job: ${(err as Error).message}`, { cause: err }));
      return;
    }
    stream.waiting.push(waiter);
    if (stream.waiting.length === 1) stream.port.ref();
  }

  /** {@link send} as a promise of the reply. */
  post(stream: Stream, job: WorkerJob, where: string, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    return new Promise((resolve, reject) => this.send(stream, job, { where, resolve, reject }, transfer));
  }

  /**
   * Lets the queued jobs finish (at most `SETTLE_MS`: they take milliseconds), closes the ports
   * and stops the threads. Jobs still waiting then reject.
   */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const idle = this.streams.map((s) => (s.ended || s.waiting.length === 0 ? undefined : new Promise<void>((resolve) => { s.idle = resolve; })));
    await Promise.race([Promise.all(idle), new Promise((resolve) => { timer = setTimeout(resolve, SETTLE_MS); })]);
    clearTimeout(timer);
    for (const s of this.streams) this.end(s, new Error('the loader was closed'));
    // A closed port ends its worker's start-up task; wait for those briefly (a task's reply after
    // destroy() upsets Piscina), then stop the threads whatever state they are in.
    await Promise.race([Promise.allSettled(this.started), new Promise((resolve) => { timer = setTimeout(resolve, EXIT_WAIT_MS); })]);
    clearTimeout(timer);
    await this.pool.destroy();
  }

  private open(): Stream {
    const { port1, port2 } = new MessageChannel();
    let stoppedBecause!: (reason: string) => void;
    const stream: Stream = { port: port1, waiting: [], indexes: new Set(), stopped: new Promise((resolve) => { stoppedBecause = resolve; }) };
    port1.on('message', (reply: WorkerReply | StreamReady) => {
      if (reply.kind === 'ready') {
        this.count(stream);
        return;
      }
      stream.waiting.shift()?.resolve(reply);
      if (stream.waiting.length === 0) {
        port1.unref();
        stream.idle?.();
      }
    });
    // A worker that dies closes its end of the port. Node delivers the replies it posted before
    // that first, so the jobs it finished resolve and the failure names the job it was on.
    // (Draining the port with receiveMessageOnPort instead crashes Node 20 once the thread is gone.)
    const giveUp = (): void => {
      if (stream.ended) return; // closed by this side
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((resolve) => { timer = setTimeout(resolve, EXIT_WAIT_MS, 'its thread stopped'); });
      void Promise.race([stream.stopped, late]).then((reason) => {
        clearTimeout(timer);
        this.end(stream, new Error(reason));
      });
    };
    port1.on('close', giveUp);
    port1.unref();
    const task = this.pool.run({ kind: 'stream', port: port2 } satisfies StreamTask, { transferList: [port2] }).then(
      (threadId: number) => {
        const thread = this.pool.threads.find((t: Worker) => t.threadId === threadId);
        thread?.once('exit', (code) => stoppedBecause(`its thread exited with code ${code}`));
        thread?.once('error', (err) => stoppedBecause(`its thread failed: ${err.message}`));
      },
      (err: unknown) => {
        // The start-up task failed (the worker died before every worker was ready, or could not
        // start): its port closes too, unless the task never reached the thread.
        stoppedBecause(err instanceof Error ? err.message : String(err));
        setTimeout(giveUp, EXIT_WAIT_MS).unref();
      },
    );
    this.started.push(task);
    return stream;
  }

  /**
   * Counts `stream` towards `go`, once: when every stream is ready or ended, the live ones get
   * `go` (a worker that died or a loader closed during start-up must not hold the others).
   */
  private count(stream: Stream): void {
    if (stream.counted) return;
    stream.counted = true;
    if (++this.ready < this.streams.length) return;
    for (const s of this.streams) if (!s.ended) s.port.postMessage({ kind: 'go' } satisfies WorkerJob);
  }

  /** Ends `stream`: every job still waiting rejects with `err`, and later jobs fail at once. */
  private end(stream: Stream, err: Error): void {
    if (stream.ended) return;
    stream.ended = err;
    this.count(stream);
    for (const w of stream.waiting.splice(0)) w.reject(failed(w.where, err));
    stream.idle?.();
    stream.port.close();
  }
}

function failed(where: string, err: Error): MaskpackError {
  return new MaskpackError('ERR_WORKER', `${where}: worker failed: ${err.message}`, { cause: err });
}
