/**
 * sha256 in a thread of its own, so that a writer that copies at disk speed (`merge`) does not
 * also wait for the hash: `update` hands each chunk to the hashing thread (a copy, so the caller
 * may reuse its buffer at once) and returns; `digest` waits for the thread's result. At most
 * {@link IN_FLIGHT} chunks wait to be hashed (the caller blocks on the next one), so memory
 * stays bounded. Synchronous to the caller, like `crypto.Hash`.
 *
 *   caller ── chunk (moved) ──▶ hashing thread: hash.update(chunk); pending -= 1
 *   digest() ── 'end' ──▶ thread posts the hex digest on a port, sets done = 1, notifies
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** Chunks waiting to be hashed, at most. */
const IN_FLIGHT = 4;

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const state = new Int32Array(workerData.state);
const hash = createHash('sha256');
parentPort.on('message', (m) => {
  if (m === 'end') {
    workerData.port.postMessage(hash.digest('hex'));
    Atomics.store(state, 1, 1);
    Atomics.notify(state, 1);
    return;
  }
  hash.update(new Uint8Array(m));
  Atomics.sub(state, 0, 1);
  Atomics.notify(state, 0);
});
`;

export class ParallelHash {
  private readonly worker: Worker;
  /** [chunks in flight, done]. */
  private readonly state = new Int32Array(new SharedArrayBuffer(8));
  private readonly port: MessagePort;
  private finished = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(THREAD, { eval: true, workerData: { state: this.state.buffer, port: port2 }, transferList: [port2] });
    this.worker.unref();
  }

  update(bytes: Uint8Array): this {
    for (let n = Atomics.load(this.state, 0); n >= IN_FLIGHT; n = Atomics.load(this.state, 0)) Atomics.wait(this.state, 0, n, 1000);
    const copy = new Uint8Array(bytes).buffer; // a copy (Buffer#slice would be a view)
    Atomics.add(this.state, 0, 1);
    this.worker.postMessage(copy, [copy]);
    return this;
  }

  /** The hex digest of everything given to {@link update} (`encoding` is always hex); stops the thread. */
  digest(encoding: 'hex' = 'hex'): string {
    void encoding;
    if (this.finished) throw new Error('digest() was already called');
    this.finished = true;
    this.worker.postMessage('end');
    while (Atomics.load(this.state, 1) === 0) Atomics.wait(this.state, 1, 0, 1000);
    const reply = receiveMessageOnPort(this.port) as { message: string } | undefined;
    void this.worker.terminate();
    if (!reply) throw new Error('the hashing thread gave no digest');
    return reply.message;
  }

  /** Stops the thread without a digest (idempotent). */
  dispose(): void {
    this.finished = true;
    void this.worker.terminate();
  }
}
