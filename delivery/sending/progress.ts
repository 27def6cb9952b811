// The send's progress line on a terminal: sent, failed, remaining, rate and ETA,
// redrawn in place at most a few times a second. Pure formatting plus a throttle.
import type { SendProgress } from './send-loop.ts';

export function formatProgress(p: SendProgress, total: number, elapsedMs: number, width = 24): string {
  const done = p.sent + p.failed + p.unknown;
  const remaining = Math.max(0, total - done);
  const rate = elapsedMs > 0 ? (p.sent / elapsedMs) * 1000 : 0;
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  const eta = rate > 0 ? formatDuration((remaining / rate) * 1000) : '—';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.sent} sent, ${p.failed} failed, ${p.unknown > 0 ? `${p.unknown} unknown, ` : ''}${remaining} remaining · ${rate.toFixed(1)}/s · ETA ${eta}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function createProgressBar(write: (s: string) => void, total: number, now: () => number = () => performance.now()) {
  const started = now();
  let last = 0;
  return {
    update(p: SendProgress, force = false) {
      const t = now();
      if (!force && t - last < 200) return;
      last = t;
      write(`\r\x1b[2K${formatProgress(p, total, t - started)}`);
    },
    done() {
      write('\n');
    },
  };
}
