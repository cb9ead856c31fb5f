// The dashboard's components when the user acts faster than files are read or runs are computed:
// an answer to an earlier choice must not replace a later one's. In Node (Lit's server-side DOM
// shim); the components are never connected, so nothing renders and their handlers are called directly.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/experiment/results.js';
import { CsResultsLoader, type RecordsLoadedDetail } from '../../web/src/views/cs-results-loader.js';
import { CsResultsViews } from '../../web/src/views/cs-results-views.js';
import type { PerRunCompute } from '../../web/src/views/per-run-compute.js';
import { CsSpecBuilder } from '../../web/src/app/cs-spec-builder.js';
import { CsNetworkCheck } from '../../web/src/app/cs-network-check.js';
import { followStatusText, sweepStatusText } from '../../web/src/app/sweep-status.js';
import { resumeCommand } from '../../src/experiment/report-text.js';
import { channelTheta, finiteTheta, record } from './records.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
}

const ticks = async () => {
  for (let k = 0; k < 20; k++) await new Promise((resolve) => setTimeout(resolve, 0));
};

const jsonl = (records: RunRecord[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** a file whose text the test hands over when it chooses */
function slowFile(name: string) {
  const text = deferred<string>();
  return { file: { name, text: () => text.promise }, arrive: text.resolve, fail: text.reject };
}

/** What these tests reach of <cs-network-check> (its state and file handling, no rendering). */
interface NetworkCheckInternals {
  analyze: (params: { name: string }, data: { name: string }) => Promise<{ result: never; lines: string[] }>;
  params: { name: string; text: string } | null;
  data: { name: string; text: string } | null;
  error: string;
  readErrors: Record<string, string>;
  pick(field: 'data' | 'previous', input: { files: unknown }): void;
  read(field: 'params', input: { files: unknown }): Promise<void>;
  run(): Promise<void>;
}

describe('opening results', () => {
  it('a slow first choice that finishes reading after a later one does not replace it', async () => {
    const loader = new CsResultsLoader();
    const loaded: RecordsLoadedDetail[] = [];
    loader.addEventListener('records-loaded', (event) => loaded.push((event as CustomEvent<RecordsLoadedDetail>).detail));
    const first = slowFile('big/runs.jsonl');
    const firstLoad = loader.load([first.file]);
    await loader.load([{ name: 'small/runs.jsonl', text: async () => jsonl([record('b', finiteTheta)]) }]);
    first.arrive(jsonl([record('a', finiteTheta)]));
    await firstLoad;
    expect(loaded.map((detail) => detail.source)).toEqual(['small/runs.jsonl']);
    expect(loader.status).toMatch(/^loaded 1 run from small\/runs\.jsonl/);
  });

  it('nor does its failure put an error under the later choice', async () => {
    // the damaged file alone is refused with an error (so an empty error below is the later choice's doing)
    const alone = new CsResultsLoader();
    await alone.load([{ name: 'damaged/runs.jsonl', text: async () => 'not json\n' }]);
    expect(alone.error).toMatch(/^Could not load the results: damaged\/runs\.jsonl: line 1 is not valid JSON/);
    const loader = new CsResultsLoader();
    const loaded: string[] = [];
    loader.addEventListener('records-loaded', (event) => loaded.push((event as CustomEvent<RecordsLoadedDetail>).detail.source));
    const first = slowFile('damaged/runs.jsonl');
    const firstLoad = loader.load([first.file]);
    await loader.load([{ name: 'small/runs.jsonl', text: async () => jsonl([record('b', finiteTheta)]) }]);
    first.arrive('not json\n');
    await firstLoad;
    expect(loader.error).toBe('');
    expect(loader.status).toMatch(/^loaded 1 run from small\/runs\.jsonl/);
    expect(loaded).toEqual(['small/runs.jsonl']);
  });
});

describe('the per-run tabs', () => {
  it('a spectrum computed for a run of earlier records is not shown for the same run id in new ones', async () => {
    const asked: RunRecord[] = [];
    const answers: ((value: { unavailable: string }) => void)[] = [];
    const compute: PerRunCompute = {
      functionGrid: () => new Promise(() => {}),
      hessianSpectrum: (run) => {
        asked.push(run);
        const answer = deferred<{ unavailable: string }>();
        answers.push(answer.resolve);
        return answer.promise;
      },
    };
    const views = new CsResultsViews() as unknown as { records: RunRecord[]; tab: string; compute: PerRunCompute; willUpdate(changed: Map<string, unknown>): void; updated(changed: Map<string, unknown>): void };
    views.compute = compute;
    views.tab = 'spectrum';
    // what Lit does on each change of records: willUpdate, render, updated
    const show = (records: RunRecord[]) => {
      views.records = records;
      views.willUpdate(new Map([['records', undefined]]));
      views.updated(new Map([['records', undefined]]));
    };
    const before = record('r1', channelTheta(0.01));
    show([before]);
    expect(asked).toEqual([before]);
    // the same run id trained again elsewhere (another engine): other parameters
    const after = record('r1', finiteTheta);
    show([after]);
    answers[0]({ unavailable: 'of the earlier record' });
    await ticks();
    views.updated(new Map());
    expect(asked).toEqual([before, after]);
  });
});

describe('the run table after other results are opened', () => {
  it('drops an outcome filter chosen for the old runs, and keeps it while the same runs stream in', () => {
    const views = new CsResultsViews() as unknown as { records: RunRecord[]; outcomeFilter: string; willUpdate(changed: Map<string, unknown>): void };
    const show = (records: RunRecord[]) => {
      const previous = views.records;
      views.records = records;
      views.willUpdate(new Map([['records', previous]]));
    };
    const first = [record('a', finiteTheta), record('b', finiteTheta)];
    show(first);
    views.outcomeFilter = 'finite-minimum';
    // more runs of the same sweep: the filter stays
    show([...first, record('c', finiteTheta)]);
    expect(views.outcomeFilter).toBe('finite-minimum');
    // other results with runs of that outcome too: the filter goes
    show([record('x', finiteTheta), record('y', finiteTheta)]);
    expect(views.outcomeFilter).toBe('all');
  });
});

describe('files chosen one after another', () => {
  it('the builder keeps every data file added, whichever finishes reading first', async () => {
    const builder = new CsSpecBuilder() as unknown as { files: Record<string, string>; addDataFiles(list: unknown): Promise<void> };
    const big = slowFile('big.csv');
    const first = builder.addDataFiles([big.file]);
    const second = builder.addDataFiles([{ name: 'small.csv', text: async () => 'x1,y\n1,2\n' }]);
    await ticks();
    big.arrive('x1,y\n3,4\n');
    await Promise.all([first, second]);
    expect(builder.files).toEqual({ 'small.csv': 'x1,y\n1,2\n', 'big.csv': 'x1,y\n3,4\n' });
  });

  it('the network check takes the file chosen last, not the one that finished reading last', async () => {
    const check = new CsNetworkCheck() as unknown as NetworkCheckInternals;
    const big = slowFile('big.json');
    const input = { files: [big.file] as unknown };
    const first = check.read('params', input);
    input.files = [{ name: 'small.json', text: async () => '{}' }];
    await check.read('params', input);
    big.arrive('{"big": true}');
    await first;
    expect(check.params).toEqual({ name: 'small.json', text: '{}' });
  });

  /** A check with both files chosen, whose analyses are recorded by data file name; then a new data file chosen, still being read. */
  function checkChoosingData(): { check: NetworkCheckInternals; analysed: string[]; chosen: ReturnType<typeof slowFile> } {
    const check = new CsNetworkCheck() as unknown as NetworkCheckInternals;
    const analysed: string[] = [];
    check.analyze = async (_params, data) => (analysed.push(data.name), { result: {} as never, lines: [] });
    check.params = { name: 'channel.json', text: '{}' };
    check.data = { name: 'three-inputs.csv', text: 'x1,x2,x3,y\n' };
    const chosen = slowFile('data.csv');
    check.pick('data', { files: [chosen.file] });
    return { check, analysed, chosen };
  }

  it('Analyse just after a file is chosen analyses that file once read, not the one chosen before', async () => {
    const { check, analysed, chosen } = checkChoosingData();
    const run = check.run();
    await ticks();
    expect(analysed).toEqual([]);
    chosen.arrive('x1,x2,y\n');
    await run;
    expect(analysed).toEqual(['data.csv']);
  });

  it('a chosen file that cannot be read is named, and nothing is analysed', async () => {
    const { check, analysed, chosen } = checkChoosingData();
    const run = check.run();
    chosen.fail(new Error('The requested file could not be read'));
    await run;
    expect(analysed).toEqual([]);
    expect(check.data).toBeNull();
    expect(check.readErrors).toEqual({ data: 'the data file could not be read: The requested file could not be read' });
  });

  it('an earlier parameter file that cannot be read holds the analysis (it would lack its motion) until one chosen again is read', async () => {
    const { check, analysed, chosen } = checkChoosingData();
    chosen.arrive('x1,x2,y\n');
    const earlier = slowFile('earlier.json');
    check.pick('previous', { files: [earlier.file] });
    earlier.fail(new Error('The requested file could not be read'));
    await check.run();
    expect(analysed).toEqual([]);
    expect(check.readErrors).toEqual({ previous: 'the earlier parameter file could not be read: The requested file could not be read' });
    // chosen again and read: the error goes, and Analyse analyses
    check.pick('previous', { files: [{ name: 'earlier.json', text: async () => '{}' }] });
    await check.run();
    expect(check.readErrors).toEqual({});
    expect(analysed).toEqual(['data.csv']);
  });
});

describe('the progress line', () => {
  it('says "Pausing" until the worker reports it paused: runs of the step in flight may still finish', () => {
    const progress = (done: number, paused: boolean) => ({ done, total: 10, byStopReason: {}, paused });
    expect(sweepStatusText('paused', progress(3, false), 10, '')).toBe('Pausing after the step in flight: 3 of 10 runs finished so far…');
    expect(sweepStatusText('paused', progress(5, true), 10, '')).toBe('Paused after 5 of 10 runs (runs in flight resume where they stopped).');
    expect(sweepStatusText('running', progress(5, false), 10, '')).toBe('Running: 5 of 10 runs finished.');
    // between finished runs, how far the others have got (as the command line's progress says it)
    const active = { running: 6, medianSteps: 200, maxSteps: 450, maxWeightNorm: 267.4 };
    expect(sweepStatusText('running', { ...progress(5, false), active }, 10, '')).toBe('Running: 5 of 10 runs finished; 5 running: step 200 median, 450 most, weight norm ≤ 267.');
    expect(sweepStatusText('running', { ...progress(10, false), active }, 10, '')).toBe('Running: 10 of 10 runs finished.');
    expect(sweepStatusText('idle', null, 0, 'Finished: 10 runs.')).toBe('Finished: 10 runs.');
    expect(sweepStatusText('idle', null, 0, '')).toBe('No sweep running.');
  });

  it("of a followed folder says whether a session writes it, when the last run came, how to resume it, and why following ended", () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    const state = { source: 'cf', writing: true, finished: false, complete: true, runs: 40, lastNewRunAt: null, stopped: false };
    const text = (changes: object, planned = 60, continuation = false) => followStatusText({ ...state, ...changes }, planned, resumeCommand(continuation), now);
    expect(text({})).toBe('Following cf: 40 runs of the 60 planned recorded, and a session is writing more.');
    expect(followStatusText({ ...state, lastNewRunAt: now - 4000 }, undefined, resumeCommand(false), now)).toBe('Following cf: 40 runs recorded, and a session is writing more (the last came 4 s ago).');
    expect(text({ lastNewRunAt: now - 30 * 60_000 })).toMatch(/\(the last came 30 min ago\)\.$/);
    expect(text({ writing: false })).toBe('Following cf: 40 runs of the 60 planned recorded; no session is writing it now, so it stopped before its end (`channelscope run … --resume` continues it, and its runs will show here).');
    expect(text({ writing: false }, 60, true)).toMatch(/\(`channelscope continue … --resume` continues it/);
    expect(text({ writing: false, finished: true })).toBe('Following cf: 40 runs of the 60 planned recorded; its session finished, and its last runs are being read.');
    expect(text({ writing: false, finished: true, complete: false })).toBe(
      'Following cf: 40 runs of the 60 planned recorded; the sessions of its shards here finished, and its other shards are not here yet (each is followed once its task starts).',
    );
    expect(text({ unreachable: 'Failed to fetch' })).toBe('Following cf: 40 runs of the 60 planned recorded; the last read failed (Failed to fetch), trying again every 10 s.');
    expect(text({ stopped: true, finished: true, runs: 60 })).toBe('Opened 60 runs of the 60 planned from cf: its sweep finished while it was followed.');
    expect(text({ stopped: true })).toBe('Opened 40 runs of the 60 planned from cf (no longer following it).');
    expect(text({ stopped: true, error: 'cf/runs.jsonl was rewritten' })).toBe('Stopped following cf: cf/runs.jsonl was rewritten. 40 runs of the 60 planned shown.');
  });
});
