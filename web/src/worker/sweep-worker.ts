// The sweep worker: opens an engine (WebGPU, else the float64 CPU engine), trains a spec's runs
// with the same scheduler and run setup as `channelscope run`, and streams records to the page.
// All heavy work happens here so the page never blocks.
/// <reference types="vite/client" />
import * as Comlink from 'comlink';
import { setShaderReader } from '../../../src/gpu/shader-source.js';
import { acquireGpu, isSoftwareAdapter } from '../../../src/gpu/device.js';
import { CpuEngine } from '../../../src/engine/cpu/cpu-engine.js';
import { pageCpuDescription, pageCpuEngine, workersNote } from './cpu-slot-pool.js';
import { GpuEngine } from '../../../src/engine/gpu/gpu-engine.js';
import type { Engine } from '../../../src/engine/engine.js';
import { dataFilePaths, expandSpec } from '../../../src/experiment/grid.js';
import { baseName } from '../../../src/experiment/folder-files.js';
import { sweepSetup } from '../../../src/experiment/sweep-setup.js';
import type { RunRecord } from '../../../src/experiment/results.js';
import { runSweep, type ActiveRuns } from '../../../src/experiment/scheduler.js';
import { validateSpec } from '../../../src/experiment/spec.js';
import { parameterCount } from '../../../src/model/architecture.js';
import { InputError } from '../../../src/user-input/input-error.js';
import { BUILD_SOFTWARE } from '../build-software.js';
import { KeptRuns, keptRunContext } from './kept-runs.js';
import { RecordBatches } from './record-batches.js';
import { verifyEngine } from '../../../src/engine/verify.js';
import { analyzeNetworkFiles, formatNetworkAnalysis } from '../../../src/experiment/analyze-network.js';
import { variantCheck, verifyKernels, type KernelPart, type VerifyPart } from '../../../src/engine/verify-kernels.js';
import { CPU_AUTO_WORK_LIMIT, type SweepEnd, type SweepListener, type SweepProgress, type StartOptions, type SweepWorkerApi, type VerifyEnd, type VerifyListener, type WebGpuProbe } from './api.js';

// The kernels: Node reads shaders/ from disk, the browser build embeds their texts.
const shaderTexts = import.meta.glob('../../../shaders/*.wgsl', { query: '?raw', eager: true, import: 'default' }) as Record<string, string>;
const shadersByName = new Map(Object.entries(shaderTexts).map(([file, text]) => [file.slice(file.lastIndexOf('/') + 1), text]));
setShaderReader((name) => {
  const text = shadersByName.get(name);
  if (text === undefined) throw new Error(`shader ${name} is not part of the dashboard build`);
  return text;
});

/** records are sent to the page at most this often (ms), so thousands of runs do not flood it */
const RECORD_BATCH_MS = 150;
/** At most this often (ms) the page hears how far the runs still going have got (an object: tests change it). */
export const ACTIVE_PROGRESS_INTERVAL = { ms: 1000 };

class SweepCancelled extends Error {}

/** start() and verify() share the worker's engine time: one at a time */
const BUSY = 'a sweep or a GPU check is already running in this worker';

async function probeWebGpu(): Promise<WebGpuProbe> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    return { available: false, reason: 'this browser does not offer WebGPU (navigator.gpu is missing)' };
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch (error) {
    return { available: false, reason: `requesting a WebGPU adapter failed: ${(error as Error).message}` };
  }
  if (!adapter) return { available: false, reason: 'WebGPU is present but no adapter is available (disabled, blocklisted or no GPU)' };
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  return { available: true, adapter: name, software: isSoftwareAdapter(info) };
}

async function openEngine(options: StartOptions, work: number): Promise<{ engine: Engine; notice?: string }> {
  if (options.backend === 'cpu') {
    // chosen: the engine line names it, and there is nothing to warn of
    return { engine: new CpuEngine(pageCpuEngine()) };
  }
  const probe = await probeWebGpu();
  if (probe.available) {
    const gpu = await acquireGpu();
    // (a software adapter is said once, by the page's WebGPU line; the engine line names it)
    if (gpu) return { engine: new GpuEngine(gpu) };
  }
  const reason = probe.reason ?? 'no WebGPU adapter could be opened';
  if (options.backend === 'gpu') throw new InputError(`WebGPU was requested, but ${reason}.`);
  const engine = new CpuEngine(pageCpuEngine());
  if (work > CPU_AUTO_WORK_LIMIT * engine.threads) {
    throw new InputError(
      `No WebGPU here (${reason}). The CPU engine is meant for small runs, and this sweep is about ${work.toExponential(1)} ` +
        'sample×parameter×step units: reduce seeds, data.samples or stop.maxSteps, or choose the CPU engine explicitly.',
    );
  }
  return { engine, notice: `No WebGPU here (${reason}): running on the float64 CPU engine${workersNote(engine)}, which suits small runs.` };
}

/** The browser's kept runs, opened once; null where it has no IndexedDB (a private window may not), the reason in keptRunsMissing. */
let keptRunsStore: Promise<KeptRuns | null> | undefined;
let keptRunsMissing = '';
function openKeptRuns(): Promise<KeptRuns | null> {
  keptRunsStore ??= KeptRuns.open().catch((error: Error) => {
    keptRunsMissing = error.message;
    return null;
  });
  return keptRunsStore;
}

let paused = false;
let resumeWaiters: (() => void)[] = [];
let cancelRequested = false;
let running = false;

const api: SweepWorkerApi = {
  probeWebGpu,

  async start(rawSpec: unknown, options: StartOptions, listener: SweepListener): Promise<SweepEnd> {
    if (running) throw new Error(BUSY);
    running = true;
    paused = false;
    cancelRequested = false;
    const began = performance.now();
    let engine: Engine | undefined;
    try {
      const spec = validateSpec(rawSpec, 'spec');
      const runs = expandSpec(spec);
      const files = options.files ?? {};
      const dataOptions = {
        baseDir: '',
        readTextFile: (path: string) => {
          // (the page keys its data files by name)
          const name = baseName(path);
          const text = files[name];
          if (text === undefined) {
            throw new InputError(`${path}: a browser cannot read files from disk; add ${name} under "Data files" in the builder`);
          }
          return text;
        },
      };
      const setup = sweepSetup(spec, dataOptions);
      const work = runs.reduce((sum, run) => sum + setup.samples(run) * parameterCount(run.config.architecture) * run.config.stop.maxSteps, 0);
      const opened = await openEngine(options, work);
      engine = opened.engine;

      // runs of this sweep kept from an earlier start on this engine with these files are not trained again
      let keeper: { store: KeptRuns; context: string } | null = null;
      const store = await openKeptRuns();
      // (a CPU engine's runs are the same on any number of workers: kept whatever the count; the files
      // are those the spec reads, not every file added to the builder since)
      const read = new Set(runs.flatMap((run) => dataFilePaths(run.config)).map(baseName));
      const readFiles = Object.fromEntries(Object.entries(files).filter(([name]) => read.has(name)));
      if (store) keeper = { store, context: keptRunContext(engine.runDescription ?? engine.description, readFiles) };
      const runOf = new Map(runs.map((run) => [run.id, run]));
      // a run kept from another spec that holds it: this spec's place and words for it (its id is its configuration's and seed's)
      const kept = (keeper ? await keeper.store.find(keeper.context, new Set(runOf.keys())) : []).map((record) => ({
        ...record,
        configIndex: runOf.get(record.id)!.configIndex,
        config: JSON.parse(JSON.stringify(runOf.get(record.id)!.config)) as unknown,
      }));
      const keptIds = new Set(kept.map((record) => record.id));
      const todo = runs.filter((run) => !keptIds.has(run.id));
      const keptFromOtherCode = [...new Set(kept.filter((record) => record.software !== BUILD_SOFTWARE).map((record) => record.software ?? 'unnamed code'))];
      // awaited: the page must have it before start() settles, also when the sweep ends before any
      // record (cancelled or failed at once): a later 'started' would set the page running again
      await listener.started({ backend: engine.backend, engine: engine instanceof CpuEngine ? pageCpuDescription(engine) : engine.description, ...(opened.notice ? { notice: opened.notice } : {}), totalRuns: runs.length, keptRuns: kept.length, keptFromOtherCode });
      // (said, not only logged: a user counting on a reload to continue the sweep would lose it unawares)
      if (!store) listener.notice(`Finished runs are not kept in this browser (${keptRunsMissing}): a reload or a closed page loses this sweep's finished runs; download runs.jsonl to keep them.`);

      const byStopReason: Record<string, number> = {};
      let done = 0;
      /** records still to keep in the browser */
      let unkept: RunRecord[] = [];
      /** the runs still going at the engine's last check, and when the page last heard of them */
      let active: ActiveRuns | undefined;
      let activeSentAt = 0;
      const progress = (): SweepProgress => ({ done, total: runs.length, byStopReason: { ...byStopReason }, paused, ...(active ? { active } : {}) });
      const keepFinished = async (): Promise<void> => {
        if (!keeper || unkept.length === 0) return;
        const batch = unkept;
        unkept = [];
        try {
          await keeper.store.keep(keeper.context, batch);
        } catch (error) {
          keeper = null;
          listener.notice(`Finished runs are no longer kept in this browser (${(error as Error).message}): a reload from now on loses the runs finished since.`);
        }
      };
      const toPage = new RecordBatches<RunRecord, SweepProgress>(
        async (batch, state) => {
          // kept before the page sees them: what the page shows survives a reload
          await keepFinished();
          await listener.records(batch, state);
        },
        progress,
        RECORD_BATCH_MS,
      );
      const finished = (record: RunRecord): void => {
        toPage.add(record);
        done++;
        byStopReason[record.stopReason] = (byStopReason[record.stopReason] ?? 0) + 1;
      };
      for (const record of kept) finished(record);
      await toPage.flush();

      // a run's clock stops while the sweep is paused: its stop.maxSeconds and wallSeconds count its training only
      let pausedSeconds = 0;
      let failure: unknown = null;
      await runSweep(todo, {
        now: () => performance.now() / 1000 - pausedSeconds,
        engine,
        ...(options.slots !== undefined ? { slots: options.slots } : {}),
        // a resumed sweep trains each run with the kernel the whole sweep gives it, as `run --resume` does
        sweepRuns: runs,
        samples: setup.samples,
        optimizer: setup.optimizer,
        prepare: setup.prepare,
        dataKey: setup.dataKey,
        onRecord: (record) => {
          // exactly what runs.jsonl holds (JSON turns non-finite numbers into null), so the page's
          // summary and a downloaded runs.jsonl match `channelscope report`
          const stored = JSON.parse(JSON.stringify(BUILD_SOFTWARE ? { ...record, software: BUILD_SOFTWARE } : record)) as RunRecord;
          unkept.push(stored);
          finished(stored);
          toPage.sendIfDue();
        },
        onTick: async (going) => {
          active = going;
          toPage.sendIfDue();
          // between finished runs (long runs: none for minutes), how far the others have got; only
          // once the page holds every finished run, so that its count never steps back when a batch
          // cut before arrives after (a paused tick says so itself, below)
          if (!paused && toPage.idle && performance.now() - activeSentAt >= ACTIVE_PROGRESS_INTERVAL.ms) {
            activeSentAt = performance.now();
            listener.progress(progress());
          }
          if (paused) {
            const pausedAt = performance.now() / 1000;
            await toPage.flush();
            listener.progress(progress());
            // a resume that came during the flush found no waiter to wake: wait only if still paused
            if (paused) await new Promise<void>((resolve) => resumeWaiters.push(resolve));
            pausedSeconds += performance.now() / 1000 - pausedAt;
            listener.progress(progress());
          }
          if (cancelRequested) throw new SweepCancelled();
        },
      }).catch((error: unknown) => {
        if (!(error instanceof SweepCancelled)) failure = error;
      });
      // the page must hold every record before start() resolves (the two travel on different ports),
      // those that finished before a failure too: shown, and kept
      await toPage.flush();
      if (failure) throw failure;
      // (the time it trained: a pause is not counted, as it is not in the runs' own clocks)
      return { status: cancelRequested ? 'cancelled' : 'finished', runs: done, keptRuns: kept.length, seconds: (performance.now() - began) / 1000 - pausedSeconds };
    } finally {
      engine?.dispose();
      running = false;
      paused = false;
    }
  },

  async analyze(params, data, previous, maxnorm) {
    const result = analyzeNetworkFiles(params, data, maxnorm, previous);
    return { result, lines: formatNetworkAnalysis(result) };
  },

  async verify(parts: VerifyPart[], listener: VerifyListener): Promise<VerifyEnd> {
    if (running) throw new Error(BUSY);
    // busy from here: a start() while the adapter opens would otherwise run beside the check, and
    // the check's end would mark the worker idle under the sweep (pause and cancel then do nothing)
    running = true;
    let engine: GpuEngine | undefined;
    try {
      const gpu = (await probeWebGpu()).available ? await acquireGpu() : null;
      if (!gpu) throw new Error('this browser offers no WebGPU adapter to check');
      const began = performance.now();
      engine = new GpuEngine(gpu);
      let checks = 0;
      let failed = 0;
      /** the page's answers: it must hold every check before verify() settles (they travel on another port) */
      const delivered: Promise<void>[] = [];
      const count = (check: Parameters<VerifyListener['check']>[0]) => {
        checks++;
        if (!check.pass) failed++;
        delivered.push(Promise.resolve(listener.check(check)));
      };
      if (parts.includes('evaluation')) await verifyEngine(engine, { onVariant: (report) => count(variantCheck(report)) });
      const kernelParts = parts.filter((part): part is KernelPart => part !== 'evaluation');
      if (kernelParts.length > 0) await verifyKernels(engine, { parts: kernelParts, onCheck: count });
      await Promise.all(delivered);
      return { device: engine.description, checks, failed, seconds: (performance.now() - began) / 1000 };
    } finally {
      engine?.dispose();
      running = false;
    }
  },

  pause() {
    if (running) paused = true;
  },

  resume() {
    paused = false;
    const waiters = resumeWaiters;
    resumeWaiters = [];
    for (const wake of waiters) wake();
  },

  cancel() {
    if (!running) return;
    cancelRequested = true;
    api.resume(); // a paused sweep must wake up to notice
  },

  async keptRuns() {
    const store = await openKeptRuns();
    return store ? store.count() : null;
  },

  async forgetKeptRuns() {
    if (running) throw new Error(`${BUSY}: forget kept runs once it has ended`);
    const store = await openKeptRuns();
    return store ? store.forget() : 0;
  },
};

Comlink.expose(api);
