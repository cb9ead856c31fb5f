// Progress of a sweep on stderr: on a terminal one line redrawn in place (at most ~8 times a
// second); otherwise (a log file, a batch job) a plain line every few seconds. No dependency: a
// progress-bar library would add little over this one line.
import { activeRunsText, type ActiveRuns } from '../experiment/scheduler.js';

export interface ProgressCounts {
  /** runs finished, earlier sessions (resume) included */
  done: number;
  total: number;
  /** finished runs by stop reason */
  byReason: Readonly<Record<string, number>>;
  /**
   * how far the runs still going have got (scheduler.ts ActiveRuns): shown so that a long stretch
   * without a finished run (stiff flow at N = 10⁴ on a CPU, SwiftShader) still shows motion
   */
  active?: ActiveRuns;
}

export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** force the terminal (true) or the log (false) style; default: the stream's isTTY */
  tty?: boolean;
  /** seconds between lines in the log style */
  interval?: number;
  /** runs already done when this session started (they do not count toward runs/s) */
  initialDone?: number;
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return '– runs/s';
  if (rate >= 100) return `${rate.toFixed(0)} runs/s`;
  if (rate >= 1) return `${rate.toFixed(1)} runs/s`;
  return `${(rate * 60).toFixed(1)} runs/min`;
}

export class Progress {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private readonly tty: boolean;
  private readonly interval: number;
  private readonly initialDone: number;
  private readonly now: () => number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private last: ProgressCounts | null = null;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
    this.interval = options.interval ?? 5;
    this.initialDone = options.initialDone ?? 0;
    this.now = options.now ?? (() => performance.now() / 1000);
    this.start = this.now();
  }

  /** The line as shown: runs done/total, counts per stop reason, runs/s, ETA. */
  line(counts: ProgressCounts): string {
    const elapsed = this.now() - this.start;
    const fresh = counts.done - this.initialDone;
    const rate = elapsed > 0 ? fresh / elapsed : 0;
    const remaining = counts.total - counts.done;
    const percent = counts.total > 0 ? Math.floor((100 * counts.done) / counts.total) : 100;
    const reasons = Object.entries(counts.byReason)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    const eta = remaining === 0 ? 'done' : rate > 0 ? `ETA ${formatDuration(remaining / rate)}` : 'ETA ?';
    const going = activeRunsText(counts.active, remaining);
    return [`runs ${counts.done}/${counts.total} (${percent}%)`, reasons || 'none finished yet', ...(going ? [going] : []), formatRate(rate), eta, `elapsed ${formatDuration(elapsed)}`].join(' | ');
  }

  /** Shows the counts if enough time has passed since the last line (or `force`). */
  update(counts: ProgressCounts, force = false): void {
    this.last = counts;
    const t = this.now();
    const wait = this.tty ? 0.125 : this.interval;
    if (!force && t - this.lastDraw < wait) return;
    this.lastDraw = t;
    let text = this.line(counts);
    if (this.tty) {
      const width = this.stream.columns;
      if (width && text.length > width - 1) text = `${text.slice(0, Math.max(width - 2, 1))}…`;
      this.stream.write(`\r\x1b[2K${text}`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** A message that must not be drawn over: clears the line, writes, and the next update redraws. */
  message(text: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${text}\n`);
    this.drawn = false;
    if (this.tty && this.last) this.update(this.last, true);
  }

  /** The final line, ending the in-place one on a terminal. */
  finish(counts: ProgressCounts): void {
    this.update(counts, true);
    if (this.tty) this.stream.write('\n');
    this.drawn = false;
  }
}
