// The progress line: counts, rate and ETA, how far the running runs have got, and the log style's
// throttling (a fake clock and a string stream).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from '../../src/cli/progress.js';

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) }), { isTTY, columns: 60 });
  return { stream, chunks };
}

describe('Progress', () => {
  it('shows runs done, stop reasons, how far the running runs have got, rate and ETA', () => {
    let t = 0;
    const progress = new Progress({ stream: capture(false).stream, now: () => t });
    t = 120;
    const line = progress.line({ done: 2, total: 10, byReason: { barrier: 2 }, active: { running: 8, medianSteps: 300, maxSteps: 1400, maxWeightNorm: 512.3 } });
    expect(line).toBe('runs 2/10 (20%) | barrier 2 | 8 running: step 300 median, 1400 most, weight norm ≤ 512 | 1.0 runs/min | ETA 8m 00s | elapsed 2m 00s');
    // a run recorded since the scheduler's last tick counts as done, not also as running (never 3 + 8 of 10)
    expect(progress.line({ done: 3, total: 10, byReason: { barrier: 3 }, active: { running: 8, medianSteps: 300, maxSteps: 1400, maxWeightNorm: 512.3 } })).toContain('| 7 running:');
    // nothing running or nothing left: no running part
    expect(progress.line({ done: 10, total: 10, byReason: { barrier: 10 }, active: { running: 0, medianSteps: 0, maxSteps: 0, maxWeightNorm: 0 } })).not.toMatch(/running/);
    expect(progress.line({ done: 0, total: 10, byReason: {} })).toMatch(/^runs 0\/10 \(0%\) \| none finished yet \| – runs\/s \| ETA \? \|/);
  });

  it('writes a plain line at most every `interval` seconds in the log style, and always when forced', () => {
    let t = 0;
    const { stream, chunks } = capture(false);
    const progress = new Progress({ stream, now: () => t, interval: 5 });
    const counts = { done: 0, total: 4, byReason: {} };
    progress.update(counts);
    t = 2;
    progress.update(counts);
    t = 6;
    progress.update(counts);
    progress.update(counts, true);
    expect(chunks).toHaveLength(3);
    expect(chunks.every((chunk) => chunk.endsWith('\n') && !chunk.includes('\r'))).toBe(true);
  });

  it('redraws one line in place on a terminal, cut to the width', () => {
    const { stream, chunks } = capture(true);
    const progress = new Progress({ stream, now: () => 0 });
    progress.update({ done: 1, total: 3, byReason: { converged: 1 }, active: { running: 2, medianSteps: 10, maxSteps: 20, maxWeightNorm: 3 } }, true);
    expect(chunks[0].startsWith('\r\x1b[2K')).toBe(true);
    expect(chunks[0].length).toBeLessThanOrEqual('\r\x1b[2K'.length + 59);
    expect(chunks[0].endsWith('…')).toBe(true);
  });

  it('formats durations from seconds to days', () => {
    expect([formatDuration(59.4), formatDuration(61), formatDuration(3 * 3600 + 5 * 60), formatDuration(50 * 3600), formatDuration(NaN)]).toEqual(['59s', '1m 01s', '3h 05m', '2d 02h', '?']);
  });
});
