// A preset's tables read "at the barrier" as the verdict does: with the report's barrierTolerance;
// the toy's runs along a channel are placed beside its L∞(w) curve.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/experiment/report.js';
import { lossAtInfinityCurve, tabledPresetOfSpec, toyChannelPoints } from '../../src/experiment/preset-reports.js';
import { findPreset, presetSpec, presetSpecInput, type SweepPreset } from '../../src/experiment/presets.js';
import type { RunRecord } from '../../src/experiment/results.js';
import type { ClassifiedRun } from '../../src/experiment/summary.js';
import type { Architecture } from '../../src/model/architecture.js';
import { formatParameterFile } from '../../src/model/params-file.js';
import { finiteTheta, record } from '../web/records.js';

// GD on the 1-D toy (committed): 24 runs, weight norms ~1–4, far below the barrier of 1000
const FOLDER = 'benchmarks/results/edge-of-stability-4-seeds-2026-12-06';

function atBarrierCounts(tables: NonNullable<Awaited<ReturnType<typeof buildReport>>['presetTables']>): number[] {
  const table = tables.find((t) => t.columns.includes('at barrier'))!;
  const column = table.columns.indexOf('at barrier');
  return table.rows.map((row) => Number(String(row[column]).split(' ')[0]));
}

describe('preset tables', () => {
  it('count runs at the barrier by the report\'s barrierTolerance, as the verdicts do', async () => {
    const defaults = await buildReport(FOLDER, []);
    expect(atBarrierCounts(defaults.presetTables!)).toEqual([0, 0, 0, 0, 0, 0]);
    // within 99.9% of maxnorm 1000: every run whose weight norm passed 1
    const loose = await buildReport(FOLDER, [], { barrierTolerance: 0.999 });
    const counts = atBarrierCounts(loose.presetTables!);
    expect(counts).toHaveLength(6);
    const records = readFileSync(`${FOLDER}/runs.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { stopReason: string; weightNorm: number });
    const past = records.filter((r) => r.stopReason !== 'diverged' && r.weightNorm > 1000 * (1 - 0.999)).length;
    expect(past).toBeGreaterThan(0);
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(past);
  });
});

describe("the toy's runs beside L∞(w)", () => {
  const toy: Architecture = { inputDim: 1, hidden: [2], activation: 'erf', biases: false };
  const toyRecord = (id: string, theta: number[], loss: number): RunRecord => ({ ...record(id, finiteTheta, { loss }), params: formatParameterFile(toy, theta) });
  const classified = (id: string, outcome: ClassifiedRun['outcome'], onChannel: boolean) => ({ id, outcome, onChannel }) as ClassifiedRun;

  it('places each run whose neurons, flipped to w > 0 (erf is odd), have opposite-sign output weights at their mean w, and no other', () => {
    const records = [toyRecord('flipped', [3.2, -3.1, 40, 40], 7.5e-4), toyRecord('saddle', [0.8, 0.8, 1, 1], 0.04), toyRecord('blown', [1, 1, 1, -1], 1e300)];
    const runs = [classified('flipped', 'channel', true), classified('saddle', 'plateau-saddle', false), classified('blown', 'diverged', true)];
    const points = toyChannelPoints(records, runs);
    expect(points.map(({ id, loss, optimizer }) => ({ id, loss, optimizer }))).toEqual([{ id: 'flipped', loss: 7.5e-4, optimizer: 'flow rosenbrock23' }]);
    expect(points[0].w).toBeCloseTo(3.15, 12); // (3.2 + 3.1)/2 in float64
  });
});

describe('the preset with tables a spec belongs to (the dashboard and report find it so)', () => {
  const sweep = (name: string) => findPreset(name) as SweepPreset;
  it('names it, says whether the spec is the quick version, and counts its seeds in each form a spec writes them', () => {
    expect(tabledPresetOfSpec(presetSpecInput(sweep('channel-frequency')))).toEqual({ name: 'channel-frequency', quick: false, seeds: 50 });
    expect(tabledPresetOfSpec(presetSpecInput(sweep('loss-levels'), { quick: true, seeds: 3 }))).toEqual({ name: 'loss-levels', quick: true, seeds: 3 });
    const spec = presetSpecInput(sweep('toy-1d'), { quick: true }) as Record<string, unknown>;
    expect(tabledPresetOfSpec({ ...spec, seeds: [4, 9] })).toMatchObject({ name: 'toy-1d', quick: true, seeds: 2 });
    expect(tabledPresetOfSpec({ ...spec, seeds: { from: 100, count: 7 } })).toMatchObject({ seeds: 7 });
  });

  it('is none for a spec of no preset, or of a procedure preset (no sweep, no tables)', () => {
    expect(tabledPresetOfSpec({ name: 'my sweep', seeds: 3 })).toBeNull();
    expect(tabledPresetOfSpec({ name: 'channel-jump' })).toBeNull();
    expect(tabledPresetOfSpec(null)).toBeNull();
    expect(tabledPresetOfSpec('loss-levels')).toBeNull();
  });
});

describe('the toy\'s loss at infinity L∞(w)', () => {
  it('keeps the points it computed for a toy problem (the dashboard redraws at every batch of runs): the same points, not fitted again', () => {
    const { config } = presetSpec(findPreset('toy-1d') as SweepPreset, { quick: true }).configurations[0];
    const first = lossAtInfinityCurve(config, 0, [0.5, 1, 3])!;
    const again = lossAtInfinityCurve(config, 0, [3, 0.5, 2])!;
    expect(again[0]).toBe(first[2]);
    expect(again[1]).toBe(first[0]);
    expect(again[2].w).toBe(2);
    // the toy's data do not depend on the run's seed (one dataset for the sweep): the same points
    expect(lossAtInfinityCurve(config, 1, [0.5])![0]).toBe(first[0]);
    // other data, other points
    const other = lossAtInfinityCurve({ ...config, data: { ...config.data, samples: 128 } }, 0, [0.5])!;
    expect(other[0]).not.toBe(first[0]);
    expect(other[0].lossAtInfinity).not.toBe(first[0].lossAtInfinity);
    expect(first.map((point) => point.lossAtInfinity).every((loss) => loss > 0)).toBe(true);
  });
});
