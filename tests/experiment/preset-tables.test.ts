// A preset's tables read "at the barrier" as the verdict does: with the report's barrierTolerance.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/experiment/report.js';

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
