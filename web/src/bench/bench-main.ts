/// <reference types="vite/client" />
// The browser side of `npm run bench:browser`: runs the same measuring core as the Node benchmark
// (benchmarks/bench-core.ts) on navigator.gpu. Headless drivers call window.runBenchmark(options);
// a person can press Run (options from the query string) and read the JSON.
import { createEngine, type BackendChoice } from '../../../src/engine/create.js';
import { setShaderReader } from '../../../src/gpu/shader-source.js';
import { BUILD_SOFTWARE } from '../build-software.js';
import { benchmarkReport, DEFAULT_SECONDS, describeEnvironment, formatResult, runBenchmark, type BenchReport, type BenchResult } from '../../../benchmarks/bench-core.js';

export interface BrowserBenchOptions {
  workloads?: string[];
  ops?: string[];
  seconds?: number;
  scale?: number;
  /** 'gpu' by default: the point of this page is the browser's WebGPU, even on a software adapter */
  backend?: BackendChoice;
  /** kernel strategies to choose from per workload, e.g. ['tiled/64', 'register/64'] */
  strategies?: string[];
}

declare global {
  interface Window {
    runBenchmark(options?: BrowserBenchOptions): Promise<BenchReport>;
    /** set by a headless driver (puppeteer's exposeFunction) to follow progress */
    benchmarkProgress?: (line: string) => void;
    /** set by a headless driver to receive each measurement as it finishes */
    benchmarkResult?: (result: BenchResult) => void;
  }
}

// Node reads shaders/ from disk; the page gets them bundled as text.
const shaderFiles = import.meta.glob('../../../shaders/*.wgsl', { query: '?raw', eager: true, import: 'default' }) as Record<string, string>;
const shaders = new Map(Object.entries(shaderFiles).map(([file, text]) => [file.slice(file.lastIndexOf('/') + 1), text]));
setShaderReader((name) => {
  const text = shaders.get(name);
  if (text === undefined) throw new Error(`shader ${name} is not bundled into the benchmark page`);
  return text;
});

const progress = document.querySelector<HTMLElement>('#progress')!;
const reportView = document.querySelector<HTMLElement>('#report')!;
const runButton = document.querySelector<HTMLButtonElement>('#run')!;

function say(line: string): void {
  progress.textContent = line;
  window.benchmarkProgress?.(line);
}

let running = false;

window.runBenchmark = async (options: BrowserBenchOptions = {}): Promise<BenchReport> => {
  if (running) throw new Error('a benchmark is already running in this page');
  running = true;
  runButton.disabled = true;
  reportView.hidden = true;
  try {
    const hasWebGpu = 'gpu' in navigator && navigator.gpu !== undefined;
    const backend = options.backend ?? 'gpu';
    if (backend === 'gpu' && !hasWebGpu) throw new Error('this browser exposes no WebGPU (navigator.gpu); Chromium needs --enable-unsafe-webgpu on Linux');
    say('Acquiring the WebGPU adapter…');
    if (backend === 'gpu' && !(await navigator.gpu.requestAdapter())) {
      throw new Error('this browser offers no WebGPU adapter (navigator.gpu.requestAdapter() returned null)');
    }
    const { engine, notice } = await createEngine(backend === 'auto' && !hasWebGpu ? 'cpu' : backend);
    if (notice) say(notice);
    try {
      const trials: BenchResult[] = [];
      const results = await runBenchmark(engine, {
        strategies: options.strategies,
        onTrial: (trial) => trials.push(trial),
        workloads: options.workloads,
        ops: options.ops,
        seconds: options.seconds,
        scale: options.scale,
        onStart: (workload, op, index, total) => say(`Measuring ${workload} ${op} (${index + 1} of ${total}) on ${engine.description}…`),
        onResult: (result) => {
          window.benchmarkResult?.(result);
          progress.textContent = formatResult(result); // a driver gets the result itself, not this line
        },
      });
      const requested = { seconds: options.seconds ?? DEFAULT_SECONDS, scale: options.scale ?? null, strategies: options.strategies ?? null };
      // the machine (host) is outside a page's view: a headless driver fills it in
      const report = benchmarkReport(engine, requested, describeEnvironment(engine, 'browser', navigator.userAgent, BUILD_SOFTWARE ?? null, null), results, trials);
      say(`Done: ${results.length} measurements on ${engine.description}.`);
      reportView.textContent = JSON.stringify(report, null, 2);
      reportView.hidden = false;
      return report;
    } finally {
      engine.dispose();
    }
  } catch (error) {
    say(`Failed: ${(error as Error).message}`);
    throw error;
  } finally {
    running = false;
    runButton.disabled = false;
  }
};

function optionsFromQuery(): BrowserBenchOptions {
  const query = new URLSearchParams(location.search);
  const list = (name: string) => query.get(name)?.split(',').filter(Boolean);
  const number = (name: string) => (query.has(name) ? Number(query.get(name)) : undefined);
  return { workloads: list('workloads'), ops: list('ops'), seconds: number('seconds'), scale: number('scale'), backend: (query.get('backend') as BackendChoice | null) ?? undefined, strategies: list('strategies') };
}

runButton.addEventListener('click', () => {
  window.runBenchmark(optionsFromQuery()).catch(() => {
    // the message is already in the progress line
  });
});
progress.textContent = 'Ready. Press Run, or call window.runBenchmark(options).';
