/**
 * A Unix domain socket that serves one consumer: listens at a path, takes the first connection
 * and stops listening (the socket file is removed then, and when the wait ends without one).
 */
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';

/** The longest socket path the system takes (`sun_path` less its NUL; 104 bytes on macOS and the BSDs). */
const MAX_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/**
 * The paths of the listening Unix sockets of this machine (Linux: `/proc/net/unix`, the sockets
 * whose flags hold `__SO_ACCEPTCON`), or undefined where the system does not list them.
 */
function listeningPaths(): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  const out = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 8 && (parseInt(fields[3], 16) & 0x10000) !== 0) out.add(fields.slice(7).join(' '));
  }
  return out;
}

/**
 * Whether something accepts connections at `path` (false for a socket file left by a killed
 * process). Where the system lists its listening sockets this connects to nothing: a probe
 * connection would be taken by another stream as its one consumer.
 */
function inUse(path: string): Promise<boolean> {
  const listening = listeningPaths();
  if (listening) return Promise.resolve(listening.has(path));
  return new Promise((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Removes a stale socket file at `path` (named `shown` in errors).
 * @throws RangeError when `path` exists and is not a socket, or another process listens there.
 */
async function clearPath(path: string, shown: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) throw new RangeError(`${JSON.stringify(shown)} exists and is not a socket`);
  if (await inUse(path)) throw new RangeError(`${JSON.stringify(shown)} is in use: another process listens on it`);
  unlinkSync(path);
}

/** A listening socket and its first connection. */
export interface OneConnection {
  /** Resolves to the first consumer's connection; rejects when `signal` aborts or `close()` is called first. */
  readonly connection: Promise<net.Socket>;
  /** Stops listening (and removes the socket file); a connection not made yet then rejects. */
  close(): void;
}

/**
 * Listens at `given` (removing a socket file a killed process left there) for one consumer.
 * Rejects with RangeError when the path is too long for a socket or taken (a file, or a socket
 * another process listens on), or with the system's error when it cannot listen there.
 */
export async function listenOnce(given: string, signal?: AbortSignal): Promise<OneConnection> {
  // Bound by its absolute path, so that another stream finds it listed whatever its directory.
  const path = resolve(given);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_PATH_BYTES) throw new RangeError(`${JSON.stringify(given)} is too long for a Unix socket (${bytes} bytes as an absolute path, at most ${MAX_PATH_BYTES})`);
  await clearPath(path, given);
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let giveUp: ((reason: unknown) => void) | undefined;
  const close = (): void => {
    if (server.listening) server.close();
    giveUp?.(new Error(`no consumer connected to ${path}`));
  };
  const connection = new Promise<net.Socket>((resolve, reject) => {
    giveUp = reject;
    const onAbort = (): void => close();
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    server.once('connection', (socket) => {
      signal?.removeEventListener('abort', onAbort);
      giveUp = undefined;
      if (server.listening) server.close();
      resolve(socket);
    });
  });
  connection.catch(() => {}); // the caller may never await it (an option error first)
  return { connection, close };
}
