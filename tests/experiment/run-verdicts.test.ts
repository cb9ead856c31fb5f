// RunVerdicts: the dashboard's summary, recomputed as a sweep's runs stream in, judges each run once.
import { describe, expect, it } from 'vitest';
import { RunVerdicts, summarizeRecords } from '../../src/experiment/summary.js';
import { channelTheta, finiteTheta, record } from '../web/records.js';
describe('verdicts kept between summaries (the dashboard refreshes its summary as runs stream in)', () => {
  const records = [
    record('channel-a', channelTheta(1e-4), { weightNorm: 1000 }),
    record('channel-b', channelTheta(1e-5), { weightNorm: 1000 }),
    record('finite', finiteTheta),
    record('gone', finiteTheta, { stopReason: 'diverged', weightNorm: 4e169, loss: 3e170 }),
  ];

  it('give the report a summary without them gives, however the runs are grouped, judging each record once per thresholds', () => {
    const verdicts = new RunVerdicts();
    for (const by of [[], ['optimizer'], ['seed']]) {
      expect(summarizeRecords(records, by, 'x', { verdicts })).toEqual(summarizeRecords(records, by, 'x'));
    }
    // kept, not judged again: the same reach object, for a growing set of runs too
    const first = summarizeRecords(records.slice(0, 2), [], 'x', { verdicts });
    const later = summarizeRecords(records, ['optimizer'], 'x', { verdicts });
    expect(later.runs[0].reach).toBe(first.runs[0].reach);
    expect(later.runs.map((run) => run.outcome)).toEqual(['channel', 'channel', 'finite-minimum', 'diverged']);
    // other thresholds judge again: a strict cosine between the two channels' distances (1e-8, 1e-10)
    const strict = summarizeRecords(records, [], 'x', { verdicts, overrides: { strictCosine: 1e-9 } });
    expect(strict).toEqual(summarizeRecords(records, [], 'x', { overrides: { strictCosine: 1e-9 } }));
    expect(strict.runs.map((run) => run.channelStrict)).not.toEqual(later.runs.map((run) => run.channelStrict));
  });
});
