// Channels the barrier stopped before they closed, on real runs: the committed float64 records of the
// flow-sweep settings on Matérn GP teachers at r = 8 (benchmarks/results/gp-groups/r8, barrier 10³),
// and its runs at the barrier without a channel continued to a barrier of 10⁴
// (benchmarks/results/barrier-10k/gp-r8, `channelscope continue`;
// benchmarks/results/barrier-without-channel-2026-12-06.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/experiment/summary.js';
import type { RunRecord } from '../../src/experiment/results.js';

const recordsOf = (file: string): RunRecord[] =>
  readFileSync(new URL(`../../benchmarks/results/${file}`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
const idsWith = (verdicts: { id: string; cause?: string; outcome: string }[], label: string) =>
  verdicts.filter((v) => (v.cause ?? v.outcome) === label).map((v) => v.id).sort();

describe('channels still opening at the barrier (GP teachers, r = 8)', () => {
  const atThousand = recordsOf('gp-groups/r8/runs.jsonl').map((record) => ({ id: record.id, ...classifyRecord(record) }));
  // named by the runs they continue (a continued run's own id carries its new settings)
  const continued = recordsOf('barrier-10k/gp-r8/runs.jsonl').map((record) => ({ id: record.continuedFrom!.id, ...classifyRecord(record) }));
  const opening = ['34d343e052e3-s9', '7389469bbfda-s1', '7389469bbfda-s13', '7389469bbfda-s19', '7389469bbfda-s3'];

  it('at the barrier 10³: five runs open a channel (a pair, a pair beside a closed one, three or four neurons along one line), seven have no road named', () => {
    expect(idsWith(atThousand, 'channel-opening')).toEqual(opening);
    expect(idsWith(atThousand, 'barrier-without-channel')).toHaveLength(7);
    const reason = (id: string) => atThousand.find((v) => v.id === id)!.reason;
    expect(reason('7389469bbfda-s1')).toMatch(/neurons 2, 5 of hidden layer 1: outgoing -210, 106 changing by -6\.43, 5\.73 .* cosine distance 0\.0326 \(≥ 0\.0100\); 100% of ‖Δθ‖ along them, a closed channel/);
    expect(reason('7389469bbfda-s3')).toMatch(/neurons 2, 6, 7 of hidden layer 1/);
    // two reflected pairs whose linear terms a neuron in its linear regime takes up, not each other
    expect(reason('34d343e052e3-s9')).toMatch(/neurons 1, 2, 3, 6 of hidden layer 1: .* with one reflected \(ũ → −ũ\) \(< 0\.0100, but the reflections' linear terms do not cancel among themselves\)/);
  });

  it('the report says how to see whether they close', async () => {
    const { buildReport } = await import('../../src/experiment/report.js');
    const { formatReport } = await import('../../src/experiment/report-text.js');
    const report = await buildReport(fileURLToPath(new URL('../../benchmarks/results/gp-groups/r8', import.meta.url)), []);
    expect(formatReport(report, 'md')).toMatch(/5 runs stopped at the barrier while a channel was still closing: `channelscope continue \S+gp-groups\/r8 --only channel-opening --set maxnorm=1e4`/);
  });

  it('continued to the barrier 10⁴, three of them close into channels and none of the others does', () => {
    expect(continued.map((v) => v.id).sort()).toEqual([...opening, ...idsWith(atThousand, 'barrier-without-channel')].sort());
    expect(idsWith(continued, 'channel')).toEqual(['7389469bbfda-s1', '7389469bbfda-s13', '7389469bbfda-s19']);
    // the other two are still opening: the three neurons at cosine distance 0.0108, the reflected pairs
    expect(idsWith(continued, 'channel-opening')).toEqual(['34d343e052e3-s9', '7389469bbfda-s3']);
    // nor does any of the flow sweep's seven r = 8 runs at the barrier without a named road
    const rosenbrock = [...recordsOf('barrier-10k/rosenbrock-r8-subset/runs.jsonl'), ...recordsOf('barrier-10k/rosenbrock-r8-rest/runs.jsonl')].map((record) => classifyRecord(record));
    expect(rosenbrock).toHaveLength(7);
    expect(rosenbrock.filter((v) => v.outcome === 'channel' || v.cause === 'channel-opening')).toEqual([]);
  });
});
