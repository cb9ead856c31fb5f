// The sweep worker's calls against their listeners' callbacks (web/src/worker/sweep-worker.ts), in
// Node: Comlink's expose is replaced by a hook that hands the test the worker's API, the sweeps run
// on the CPU engine, and a GPU check runs on a stand-in engine. In the browser a listener's callbacks
// travel on a port of their own, not ordered with the call's reply: the worker must wait for them.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { KernelCheck } from '../../src/engine/verify-kernels.js';
import type { SweepListener, SweepWorkerApi } from '../../web/src/worker/api.js';

const exposed = vi.hoisted(() => ({ api: undefined as unknown }));
vi.mock('comlink', () => ({ expose: (api: unknown) => (exposed.api = api) }));
// a GPU check on a stand-in: no adapter or kernels, two checks (the second failing)
vi.mock('../../src/gpu/device.js', async (importOriginal) => ({ ...(await importOriginal<object>()), acquireGpu: async () => ({ software: true }) }));
vi.mock('../../src/engine/gpu/gpu-engine.js', () => ({
  GpuEngine: class {
    readonly description = 'stand-in GPU';
    readonly backend = 'gpu';
    dispose(): void {}
  },
}));
const CHECKS: KernelCheck[] = [
  { part: 'training', check: 'first', compared: 'nothing', worst: 0.1, pass: true },
  { part: 'training', check: 'last', compared: 'nothing', worst: 2, pass: false },
];
vi.mock('../../src/engine/verify-kernels.js', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  verifyKernels: async (_engine: unknown, options: { onCheck: (check: KernelCheck) => void }) => {
    for (const check of CHECKS) options.onCheck(check);
    return CHECKS;
  },
}));

const SPEC = JSON.parse(readFileSync('tests/web/fixtures/tiny-sweep.json', 'utf8')) as unknown;

async function workerApi(): Promise<SweepWorkerApi> {
  await import('../../web/src/worker/sweep-worker.js');
  return exposed.api as SweepWorkerApi;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const ms = (delay: number) => new Promise((resolve) => setTimeout(resolve, delay));

/** whether `promise` settles within `delay` ms */
function settlesWithin(promise: Promise<unknown>, delay: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, ms(delay).then(() => false)]);
}

const quietListener = (): SweepListener => ({ started: () => {}, records: () => {}, progress: () => {}, notice: () => {} });

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the sweep worker', () => {
  it('start() settles only once the page has its started callback, also for a sweep cancelled before any run ended', async () => {
    const api = await workerApi();
    const page = deferred();
    let started = false;
    const end = api.start(SPEC, { backend: 'cpu' }, { ...quietListener(), started: () => ((started = true), page.promise) as unknown as void });
    api.cancel();
    await vi.waitFor(() => expect(started).toBe(true), { timeout: 30_000 });
    // the cancelled sweep has long returned; the page has not yet taken 'started' (its port is slower)
    expect(await settlesWithin(end, 300)).toBe(false);
    page.resolve();
    expect((await end).status).toBe('cancelled');
  });

  it('a resume while the pause waits for records on their way wakes the sweep (it had waited for another resume)', async () => {
    const api = await workerApi();
    const { ACTIVE_PROGRESS_INTERVAL } = await import('../../web/src/worker/sweep-worker.js');
    const interval = ACTIVE_PROGRESS_INTERVAL.ms;
    ACTIVE_PROGRESS_INTERVAL.ms = Infinity;
    onTestFinished(() => void (ACTIVE_PROGRESS_INTERVAL.ms = interval));
    // every finished run is due for the page at once (150 ms have always passed)
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += 1000));
    const page = deferred();
    let batches = 0;
    const progress: boolean[] = [];
    const end = api.start(SPEC, { backend: 'cpu' }, {
      ...quietListener(),
      records: () => {
        // paused at the first run's end; the page takes that batch only later
        if (batches++ === 0) api.pause();
        return page.promise as unknown as void;
      },
      progress: (state) => void progress.push(state.paused),
    });
    // the sweep reaches its next tick (within milliseconds of the pause) and waits there for the batch
    // on its way; then the user resumes
    await vi.waitFor(() => expect(batches).toBeGreaterThan(0), { timeout: 30_000 });
    await ms(200);
    api.resume();
    page.resolve();
    const woke = await settlesWithin(end, 3000);
    api.cancel(); // (a sweep left waiting would hold the worker for the next test)
    await end;
    expect(batches).toBeGreaterThan(0);
    // the pause was taken, once: its two progress messages (the only ones here: the ticks' word on
    // the runs going is off) came, both after the resume that arrived during the flush, so neither says paused
    expect(progress).toEqual([false, false]);
    expect(woke).toBe(true);
  });

  it('a sweep that fails in a later group still gives the page the runs that finished before (it had dropped those not yet sent)', async () => {
    const api = await workerApi();
    // the second group's teacher is a file the page was not given: it fails when that group starts
    const spec = { ...(SPEC as object), grid: { 'optimizer.lr+data.teacher': [[100, { kind: 'rosenbrock' }], [0.5, { kind: 'network', params: 'missing.json' }]] } };
    // no batch is ever due: what reaches the page comes from the flush at the end
    vi.spyOn(performance, 'now').mockImplementation(() => 0);
    const shown: string[] = [];
    const failure = await api.start(spec, { backend: 'cpu' }, { ...quietListener(), records: (batch) => void shown.push(...batch.map((record) => record.stopReason)) }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/missing\.json: a browser cannot read files from disk/);
    // the first group's three runs (diverged at once)
    expect(shown).toEqual(['diverged', 'diverged', 'diverged']);
  });

  it("a paused sweep's runs do not count the pause against stop.maxSeconds, nor in their wallSeconds", async () => {
    const api = await workerApi();
    // a clock that jumps 100 s while the sweep is paused
    let clock = 0;
    let jump = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += 1) + jump);
    const spec = { ...(SPEC as object), stop: { maxSteps: 600, checkEvery: 200, gradTol: 0.001, maxSeconds: 5 } };
    const records: { stopReason: string; wallSeconds: number }[] = [];
    const paused: boolean[] = [];
    const end = api.start(spec, { backend: 'cpu', slots: 6 }, { ...quietListener(), records: (batch) => void records.push(...batch), progress: (state) => void paused.push(state.paused) });
    // paused before its first tick: its runs are loaded, their clocks started; the paused tick says so, then waits
    api.pause();
    await vi.waitFor(() => expect(paused.length).toBeGreaterThan(0), { timeout: 30_000 });
    jump += 100_000;
    api.resume();
    const ended = await end;
    expect(ended.status).toBe('finished');
    // nor in the sweep's time the page reports at its end
    expect(ended.seconds).toBeLessThan(100);
    expect(paused[0]).toBe(true);
    expect(records).toHaveLength(6);
    expect(records.map((record) => record.stopReason)).not.toContain('max-seconds');
    for (const record of records) expect(record.wallSeconds).toBeLessThan(5);
  });

  it('tells the page how far the runs still going have got between finished runs', async () => {
    const api = await workerApi();
    // every tick due to report (a second has always passed)
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += 1000));
    const states: { done: number; running: number; medianSteps: number }[] = [];
    const spec = { ...(SPEC as object), stop: { maxSteps: 600, checkEvery: 200, gradTol: 0 } };
    const progress = (state: { done: number; active?: { running: number; medianSteps: number } }) => void states.push({ done: state.done, running: state.active?.running ?? 0, medianSteps: state.active?.medianSteps ?? 0 });
    expect((await api.start(spec, { backend: 'cpu', slots: 6 }, { ...quietListener(), progress })).status).toBe('finished');
    // before any run finished, the runs of the first group going; later, 200 steps in
    expect(states[0]).toMatchObject({ done: 0, running: 3 });
    expect(states.some((state) => state.running > 0 && state.medianSteps >= 200)).toBe(true);
  });

  it('says when finished runs cannot be kept in this browser (no IndexedDB here), not only in the console', async () => {
    const api = await workerApi();
    const notices: string[] = [];
    expect((await api.start(SPEC, { backend: 'cpu' }, { ...quietListener(), notice: (text) => void notices.push(text) })).status).toBe('finished');
    expect(notices).toEqual([
      "Finished runs are not kept in this browser (this browser offers no IndexedDB): a reload or a closed page loses this sweep's finished runs; download runs.jsonl to keep them.",
    ]);
  });

  it('verify() settles only once the page has every check', async () => {
    const api = await workerApi();
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => ({ info: { vendor: 'stand-in' } }) } });
    const page = deferred();
    const arrived: string[] = [];
    const end = api.verify(['training'], {
      check: (check) => {
        arrived.push(check.check);
        // the last check reaches the page only later
        return (check.check === 'last' ? page.promise : undefined) as unknown as void;
      },
    });
    expect(await settlesWithin(end, 100)).toBe(false);
    page.resolve();
    expect(await end).toMatchObject({ checks: 2, failed: 1 });
    expect(arrived).toEqual(['first', 'last']);
  });

  it('a sweep started while a GPU check opens its adapter is refused (and the check ends the worker\'s busy time once)', async () => {
    const api = await workerApi();
    const adapter = deferred();
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => (await adapter.promise, { info: { vendor: 'stand-in' } }) } });
    const check = api.verify(['training'], { check: () => {} });
    const sweep = api.start(SPEC, { backend: 'cpu' }, quietListener());
    // refused while the check still waits for its adapter
    await expect(sweep).rejects.toThrow(/already running/);
    adapter.resolve();
    expect(await check).toMatchObject({ checks: 2 });
    // the worker is free again
    expect((await api.start(SPEC, { backend: 'cpu' }, quietListener())).status).toBe('finished');
  });
});
