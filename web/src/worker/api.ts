// The contract between the page and the sweep worker (comlink). Plain data only: everything here
// crosses the worker boundary by structured clone.
import type { RunRecord } from '../../../src/experiment/results.js';
import type { ActiveRuns } from '../../../src/experiment/scheduler.js';
import type { KernelCheck, VerifyPart } from '../../../src/engine/verify-kernels.js';
import type { FileAnalysis, NamedText } from '../../../src/experiment/analyze-network.js';

export type BackendPreference = 'auto' | 'gpu' | 'cpu';

export interface WebGpuProbe {
  available: boolean;
  /** adapter vendor/architecture when available */
  adapter?: string;
  software?: boolean;
  /** why there is no WebGPU, in words for the page */
  reason?: string;
}

export interface StartOptions {
  backend: BackendPreference;
  /** networks trained at once per ensemble; default: the scheduler's (4096 GPU, 64 CPU) */
  slots?: number;
  /** uploaded data files by file name, for specs with data.inputs.kind "file" or teacher.kind "network" */
  files?: Record<string, string>;
}

export interface SweepStarted {
  backend: 'gpu' | 'cpu';
  engine: string;
  /** e.g. the CPU fallback notice */
  notice?: string;
  totalRuns: number;
  /** runs of this sweep the browser kept from an earlier start on this engine (kept-runs.ts): not trained again */
  keptRuns: number;
  /** the codes other than this page's that trained some of the kept runs (records' `software`) */
  keptFromOtherCode: string[];
}

export interface SweepProgress {
  done: number;
  total: number;
  byStopReason: Record<string, number>;
  paused: boolean;
  /** how far the runs still going have got at the engine's last check (a long run shows motion between finished ones) */
  active?: ActiveRuns;
}

/** runs: every run with a record, keptRuns of them kept from an earlier start */
export type SweepEnd = { status: 'finished' | 'cancelled'; runs: number; keptRuns: number; seconds: number };

/** Callbacks the page hands to start() (wrapped with Comlink.proxy). */
export interface SweepListener {
  started(info: SweepStarted): void;
  /** finished runs, in batches; records are as runs.jsonl stores them (non-finite numbers as null) */
  records(batch: RunRecord[], progress: SweepProgress): void;
  progress(progress: SweepProgress): void;
  /** something the user should know mid-sweep (finished runs no longer kept in the browser, say) */
  notice(text: string): void;
}

/** Callbacks of a GPU check (wrapped with Comlink.proxy): each evaluation variant or kernel check as it finishes. */
export interface VerifyListener {
  check(check: KernelCheck): void;
}

export interface VerifyEnd {
  /** the adapter checked */
  device: string;
  checks: number;
  failed: number;
  seconds: number;
}

export interface SweepWorkerApi {
  probeWebGpu(): Promise<WebGpuProbe>;
  /**
   * `channelscope verify` in the page: this browser's WebGPU kernels against the float64 CPU engine
   * (src/engine/verify.ts, verify-kernels.ts). Rejects without WebGPU or while a sweep runs.
   */
  verify(parts: VerifyPart[], listener: VerifyListener): Promise<VerifyEnd>;
  /**
   * `channelscope analyze` in the page: a network trained elsewhere (parameter file, data CSV, earlier
   * parameter files of its run, oldest first) in float64; rejects with what is wrong with the files.
   */
  analyze(params: NamedText, data: NamedText, previous: NamedText[], maxnorm: number): Promise<{ result: FileAnalysis; lines: string[] }>;
  /** resolves when the sweep ends; rejects with the reason it could not run (bad spec, no engine) */
  start(spec: unknown, options: StartOptions, listener: SweepListener): Promise<SweepEnd>;
  pause(): void;
  resume(): void;
  cancel(): void;
  /** how many finished runs the browser keeps (every engine and spec), or null without IndexedDB */
  keptRuns(): Promise<number | null>;
  /** forgets every kept run, so that the next start trains all its runs; returns how many there were */
  forgetKeptRuns(): Promise<number>;
}

/**
 * Above this much work (runs × samples × parameters × steps) per CPU worker the CPU fallback refuses
 * a sweep started in automatic mode: it is meant for small runs. Choosing the CPU engine explicitly lifts it.
 */
export const CPU_AUTO_WORK_LIMIT = 2e10;
