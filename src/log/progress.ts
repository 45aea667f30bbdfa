// Progress of a long copy: every `intervalMs`, one log line with bytes done of the total, rate and
// ETA (JSON fields under pino, a readable sentence on a terminal).
import type { Logger } from './logger.js';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressReporter {
  private done = 0;
  private readonly started = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    private readonly total: number,
    private readonly describe: () => Record<string, unknown> = () => ({}),
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.report(), intervalMs);
    this.timer.unref();
  }

  add(bytes: number): void {
    this.done += bytes;
  }

  get bytesDone(): number {
    return this.done;
  }

  report(): void {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const eta = rate > 0 ? Math.max(0, this.total - this.done) / rate : Infinity;
    const percent = this.total > 0 ? Math.min(100, (100 * this.done) / this.total) : 100;
    this.log.info(
      { phase: 'streaming', bytesDone: this.done, bytesTotal: this.total, percent: Number(percent.toFixed(1)), rateBytesPerSecond: Math.round(rate), etaSeconds: Number.isFinite(eta) ? Math.round(eta) : null, ...this.describe() },
      `streamed ${formatBytes(this.done)} of ${formatBytes(this.total)} (${percent.toFixed(0)}%), ${formatBytes(rate)}/s, ETA ${formatDuration(eta)}`,
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
