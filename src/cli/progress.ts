/** Progress output for long commands: a redrawn bar on a terminal, nothing otherwise. */
import type { IngestProgress } from '../ingest/ingest.js';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function count(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : `${n}`;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${Math.round(s % 60).toString().padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** One line: `[####......]  42% 4.5/10.8 MB · 98 docs · 870K tokens · 6.1 MB/s · ETA 1s`. */
export function progressLine(p: IngestProgress, width = 24): string {
  const rate = p.seconds > 0 ? p.bytes / 1e6 / p.seconds : 0;
  const parts: string[] = [];
  if (p.totalBytes) {
    const f = Math.min(1, p.bytes / p.totalBytes);
    const fill = Math.round(f * width);
    parts.push(`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(f * 100).toFixed(0).padStart(3)}% ${(p.bytes / 1e6).toFixed(1)}/${mb(p.totalBytes)}`);
  } else {
    parts.push(mb(p.bytes));
  }
  parts.push(`${count(p.documents)} docs`, `${count(p.tokens)} tokens`, `${rate.toFixed(1)} MB/s`);
  if (p.totalBytes && rate > 0) parts.push(`ETA ${duration((p.totalBytes - p.bytes) / 1e6 / rate)}`);
  return parts.join(' · ');
}

/** A progress sink that redraws one line on `stream` at most every 100 ms when it is a TTY. */
export function progressBar(stream: NodeJS.WriteStream): { update(p: IngestProgress): void; done(): void } {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      drawn = true;
      stream.write(`\r\x1b[2K${progressLine(p, 24)}`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
