// Data shaping for the dashboard's charts: log bins, outcome bars, optimiser groups, loss curves.
import { describe, expect, it } from 'vitest';
import { summarizeRecords } from '../../src/experiment/summary.js';
import { optimizerLabel } from '../../src/experiment/preset-reports.js';
import type { RunConfig } from '../../src/experiment/spec.js';
import { binWidthText, comparesOptimizers, curveLegendLabels, hasSimulatedTime, logBinsPerDecade, logHistogram, lossCurve, optimizerComparison, outcomeBars, runsFarOnTime } from '../../web/src/charts/shape.js';
import { channelTheta, config, finiteTheta, record } from './records.js';

describe('logHistogram', () => {
  it('bins by decade fractions with edges at powers of ten and keeps empty bins between', () => {
    const h = logHistogram([1, 1.5, 9.9, 10, 1000, 0, -2, NaN, null, Infinity], 1);
    expect(h.bins.map((b) => [b.x1, b.x2, b.count])).toEqual([
      [1, 10, 3],
      [10, 100, 1],
      [100, 1000, 0],
      [1000, 10000, 1],
    ]);
    expect(h.nonPositive).toBe(2);
    expect(h.nonFinite).toBe(3);
  });

  it('puts values on bin edges into the bin above (1e-3 with 4 bins per decade)', () => {
    const h = logHistogram([1e-3, 1.7e-3], 4);
    expect(h.bins).toHaveLength(1);
    expect(h.bins[0].x1).toBeCloseTo(1e-3, 15);
    expect(h.bins[0].x2).toBeCloseTo(10 ** -2.75, 12);
  });

  it('is empty without positive values', () => {
    expect(logHistogram([0, -1]).bins).toEqual([]);
  });

  it('widens its bins where the values span many decades (a diverging run beside norms near 1)', () => {
    expect(logBinsPerDecade([1, 5, 1000, NaN, 0])).toBe(4);
    // 1 … 4e169: 170 decades in at most 64 bins → one bin per 5 decades
    const density = logBinsPerDecade([1.37, 2.28, 4.19e169]);
    expect(density).toBe(1 / 5);
    expect(binWidthText(density)).toBe('5 decades');
    const h = logHistogram([1.37, 2.28, 4.19e169], density);
    expect(h.bins.length).toBeLessThanOrEqual(64);
    expect(h.bins[0]).toMatchObject({ x1: 1, count: 2 });
    expect(h.bins[0].x2).toBeCloseTo(1e5, 6);
    expect(h.bins.at(-1)!.count).toBe(1);
    expect(() => logHistogram([1], 0.3)).toThrow(/positive integer or 1\/n/);
    // a wide bin's upper edge past float64's range is held at its largest number (an axis needs a finite one)
    expect(logHistogram([1, 1e306], 0.2).bins.at(-1)!.x2).toBe(Number.MAX_VALUE);
  });
});

describe('reach quartiles', () => {
  it('leave diverged runs out: their overflowed numbers are no reach (the runs column counts the rest)', () => {
    const report = summarizeRecords([record('f1', finiteTheta), record('d1', finiteTheta, { stopReason: 'diverged', weightNorm: 4.19e169, loss: 3.5e170 })], [], 'test');
    expect(report.runs.map((run) => run.outcome)).toEqual(['finite-minimum', 'diverged']);
    expect(report.reach[0].n).toBe(1);
    expect(report.reach[0].weightNorm.high).toBeLessThan(1e3);
  });
});

describe('outcome bars and the optimiser comparison', () => {
  const records = [
    record('c1', channelTheta(1e-4), { weightNorm: 1000 }),
    record('f1', finiteTheta),
    record('f2', finiteTheta, { config: { ...config, optimizer: { kind: 'sgd', lr: 0.1, batch: 16 } } }),
  ];
  const report = summarizeRecords(records, ['optimizer'], 'test');

  it('gives one bar per group and occurring outcome, channel always, with the report\'s Wilson intervals', () => {
    const bars = outcomeBars(report);
    const groups = [...new Set(bars.map((b) => b.group))];
    expect(groups).toEqual(report.groups.map((g) => g.key));
    const outcomes = [...new Set(bars.map((b) => b.outcome))];
    expect(outcomes).toContain('channel');
    for (const bar of bars) {
      const f = report.groups.find((g) => g.key === bar.group)!.outcomes[bar.outcome];
      expect([bar.successes, bar.n, bar.low, bar.high]).toEqual([f.successes, f.n, f.low, f.high]);
    }
    // outcomes that occur nowhere are left out
    for (const outcome of outcomes) expect(outcome === 'channel' || report.groups.some((g) => g.outcomes[outcome].successes > 0)).toBe(true);
  });

  it("labels optimisers as the preset tables do and counts channels per label", () => {
    expect(optimizerLabel(config as RunConfig)).toBe('flow rosenbrock23');
    expect(optimizerLabel({ optimizer: { kind: 'sgd', lr: 0.1, batch: 16 } } as RunConfig)).toBe('sgd η=0.1 batch=16');
    expect(optimizerLabel({ optimizer: { kind: 'momentum', lr: 0.01, beta: 0.9 } } as RunConfig)).toBe('momentum η=0.01 β=0.9');
    const rows = optimizerComparison(records, report.runs);
    expect(rows.map((r) => [r.key, r.n])).toEqual([
      ['flow rosenbrock23', 2],
      ['sgd η=0.1 batch=16', 1],
    ]);
    const channels = report.runs.filter((r) => r.outcome === 'channel' && r.id !== 'f2').length;
    expect(rows[0].outcomes.channel.successes).toBe(channels);
    expect(rows[0].outcomes.channel.high).toBeGreaterThan(rows[0].outcomes.channel.fraction);
    // the page offers the comparison only where there is one: two optimisers here, one among the flows alone
    expect(comparesOptimizers(records)).toBe(true);
    expect(comparesOptimizers(records.filter((r) => optimizerLabel(r.config as RunConfig) === 'flow rosenbrock23'))).toBe(false);
  });
});

describe('loss curves', () => {
  it('keeps positive steps and losses for log–log axes; time only for flow runs', () => {
    const r = record('a', finiteTheta);
    expect(lossCurve(r).map((p) => p.step)).toEqual([10, 100]);
    expect(lossCurve(r, 'time').map((p) => p.time)).toEqual([1, 10]);
    expect(hasSimulatedTime([r])).toBe(true);
    expect(hasSimulatedTime([record('b', finiteTheta, { trajectory: [{ step: 5, time: 0, loss: 1, gradInf: 1, weightNorm: 1 }] })])).toBe(false);
  });

  it('names each curve by its run, and by its optimiser where the runs drawn together differ in it', () => {
    const flow = [record('a-s1', finiteTheta), record('a-s2', finiteTheta)];
    expect(curveLegendLabels(flow)).toEqual(['a-s1', 'a-s2']);
    const adam = record('b-s1', finiteTheta, { config: { ...config, optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 } } });
    expect(curveLegendLabels([...flow, adam])).toEqual(['a-s1 (flow rosenbrock23)', 'a-s2 (flow rosenbrock23)', 'b-s1 (adam η=0.01)']);
  });

  it('names the runs whose simulated time ends far past the median run (a flow at rest: t ≈ 10³¹ beside 10⁴)', () => {
    const curve = (id: string, times: number[]) => times.map((time, k) => ({ id, step: 10 * (k + 1), time, loss: 1, gradInf: 1, weightNorm: 1 }));
    const channel = curve('channel', [0.1, 100, 2e4]);
    const sharpening = curve('sharpening', [0.1, 50, 8e3]);
    const atRest = curve('at-rest', [0.1, 1e5, 1.6e31]);
    expect(runsFarOnTime([...channel, ...sharpening, ...atRest])).toEqual([{ id: 'at-rest', time: 1.6e31 }]);
    // runs within six decades of each other, or one run alone, need no note
    expect(runsFarOnTime([...channel, ...sharpening, ...curve('slow', [0.1, 1e9])])).toEqual([]);
    expect(runsFarOnTime(atRest)).toEqual([]);
  });
});
