// RunVerdicts: the dashboard's summary, recomputed as a sweep's runs stream in, judges each run once.
import { describe, expect, it } from 'vitest';
import type { RunDiagnostics } from '../../src/analysis/diagnostics.js';
import { recordJudgement, RunVerdicts, summarizeRecords } from '../../src/experiment/summary.js';
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

describe('the Hessian extremes a verdict reads from a record without a spectrum (more than FULL_SPECTRUM_MAX_PARAMETERS)', () => {
  it('take λ_max as the larger of power iteration and Lanczos, both lower bounds of it', () => {
    // an indefinite Hessian (λ from −100 to 1) where power iteration, shifted by a λ_min Lanczos
    // overestimated, settled on the most negative eigenvalue
    const diagnostics = { lambdaMin: -100, lambdaMax: -99.76, lanczosLambdaMax: 0.9986, hessianEigenvalues: null } as unknown as RunDiagnostics;
    const facts = recordJudgement({ ...record('large', finiteTheta), diagnostics })!.facts;
    expect([facts.hessianMinEigenvalue, facts.hessianMaxEigenvalue]).toEqual([-100, 0.9986]);
    // a spectrum, where there is one, decides
    const withSpectrum = { ...diagnostics, hessianEigenvalues: [-100, 0.5, 1] } as RunDiagnostics;
    expect(recordJudgement({ ...record('small', finiteTheta), diagnostics: withSpectrum })!.facts.hessianMaxEigenvalue).toBe(1);
  });
});
