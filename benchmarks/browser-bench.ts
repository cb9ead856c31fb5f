// Browser benchmark: the Node benchmark's workloads and measuring core (bench-core.ts), run inside
// headless Chromium on the page's WebGPU (navigator.gpu), printing the same JSON as node-bench.ts so
// browser and Node throughput compare on one machine (benchmarks/combine.ts gives the ratios).
//   npm run bench:browser -- [--json] [--workloads W1,W2] [--ops grad,hvp,gd,adam] [--seconds 1.5]
//                            [--backend gpu|auto|cpu] [--scale 64] [--adapter software|hardware] [--rebuild | --prebuilt]
//                            [--chromium-args '--switch …'] [--probe]
// Steps: build web/bench.html with Vite when dist/dashboard is missing or older than its sources (never
// with --prebuilt: a machine without Vite, such as the GPU machine, uses the page built here), serve
// dist/dashboard on 127.0.0.1 (ephemeral port), launch headless Chromium (web/headless.ts), call the
// page's window.runBenchmark(options). --probe only launches Chromium and prints, as JSON, the WebGPU
// adapter a page gets with those switches (exit code 1 when there is none, or when --adapter hardware
// got SwiftShader): the GPU
// machine's session tries a few switch sets this way before measuring (benchmarks/gpu-session.sh).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { chromiumArgs, dawnTogglesOf, findChromium, launchHeadlessChromium, pageWebGpuInfo, type PageWebGpuInfo } from '../web/headless.js';
import { channelscopeRoot } from '../src/experiment/software.js';
import { checkScale, checkSeconds, formatHeader, formatResult, resolvePlan, runScaling, type BenchReport, type BenchResult } from './bench-core.js';
import { benchProgram, checkBenchOptions, describeHost, parseCommandLine, runCommand, UsageError } from './bench-command.js';

/** The package root, from benchmarks/ or dist/benchmarks/. */
function packageRoot(): string {
  const root = channelscopeRoot();
  if (!root) throw new Error('cannot find the channelscope package root (package.json) above benchmarks/');
  return root;
}

const ROOT = packageRoot();
const OUT_DIR = path.join(ROOT, 'dist', 'dashboard');
const PAGE = 'bench.html';
/** What the built page depends on: any of these newer than the build triggers a rebuild. */
const PAGE_SOURCES = ['web/bench.html', 'web/src/bench', 'web/vite.config.ts', 'benchmarks/bench-core.ts', 'benchmarks/workloads.ts', 'src', 'shaders'];

export interface BrowserBenchOptions {
  workloads?: string[];
  ops?: string[];
  seconds?: number;
  scale?: number;
  backend?: 'gpu' | 'auto' | 'cpu';
  /** kernel strategies to choose from per workload (bench-core.ts), e.g. the ones Node chose */
  strategies?: string[];
  /** Chromium's adapter: SwiftShader ('software') or the machine's GPU ('hardware'); web/headless.ts decides by default */
  adapter?: 'software' | 'hardware';
  /** build the page even when dist/dashboard looks current */
  rebuild?: boolean;
  /** use dist/dashboard/bench.html as it is, never build (fails when it is missing) */
  prebuilt?: boolean;
  /** more Chromium switches, appended last (a later --enable-features replaces the launcher's) */
  chromiumArgs?: string[];
  /** status lines (build, launch, each measurement starting) */
  onProgress?: (line: string) => void;
  onResult?: (result: BenchResult) => void;
}

function newestModification(target: string): number {
  if (!existsSync(target)) return 0;
  const stats = statSync(target);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestModification(path.join(target, entry)));
  return newest;
}

function pageIsCurrent(): boolean {
  const built = path.join(OUT_DIR, PAGE);
  if (!existsSync(built)) return false;
  const sources = Math.max(...PAGE_SOURCES.map((source) => newestModification(path.join(ROOT, source))));
  return statSync(built).mtimeMs >= sources;
}

/**
 * Builds web/bench.html into dist/dashboard with the dashboard's Vite config (its shims keep Node-only
 * modules out of the bundle), or with a minimal config when there is none yet. Only the benchmark
 * page is built, and nothing in dist/dashboard is deleted: the bench neither waits for nor wipes the dashboard.
 */
async function buildPage(say: (line: string) => void): Promise<void> {
  const { build } = await import('vite');
  const configFile = path.join(ROOT, 'web', 'vite.config.ts');
  const page = path.join(ROOT, 'web', PAGE);
  const onlyBenchPage: Plugin = {
    name: 'channelscope:only-bench-page',
    // mutating in the config hook: a returned partial would be deep-merged, keeping the dashboard's inputs
    config(config) {
      config.build ??= {};
      config.build.outDir = OUT_DIR;
      config.build.emptyOutDir = false;
      config.build.rollupOptions = { ...config.build.rollupOptions, input: { bench: page } };
    },
  };
  const hasConfig = existsSync(configFile);
  say(`Building dist/dashboard/${PAGE} with ${hasConfig ? path.relative(ROOT, configFile) : 'a minimal Vite config (no web/vite.config.ts yet)'}…`);
  await build({
    configFile: hasConfig ? configFile : false,
    root: path.join(ROOT, 'web'),
    base: './',
    // Vite logs to stdout, which carries the JSON report: keep it to errors
    logLevel: 'error',
    plugins: [onlyBenchPage],
  });
  if (!existsSync(path.join(OUT_DIR, PAGE))) throw new Error(`the Vite build did not produce dist/dashboard/${PAGE}`);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

/** Serves the built files read-only on 127.0.0.1; nothing outside `root` is reachable. */
async function serveStatic(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (request, response) => {
    try {
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
      const file = path.resolve(root, `.${pathname}`);
      if (request.method !== 'GET' || !file.startsWith(root + path.sep)) {
        response.writeHead(404).end();
        return;
      }
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Makes sure dist/dashboard holds the benchmark page: built when stale, or as it is with `prebuilt`. */
async function preparePage(options: Pick<BrowserBenchOptions, 'prebuilt' | 'rebuild'>, say: (line: string) => void): Promise<void> {
  if (options.prebuilt) {
    if (!existsSync(path.join(OUT_DIR, PAGE))) throw new Error(`--prebuilt: dist/dashboard/${PAGE} is missing (build it with npm run build:web)`);
    return;
  }
  if (options.rebuild || !pageIsCurrent()) await buildPage(say);
}

export interface BrowserProbe {
  /** the Chromium that ran and the switches it ran with */
  executable: string;
  args: string[];
  gpu: PageWebGpuInfo;
}

/** The WebGPU adapter the benchmark page gets in headless Chromium with these options, without measuring. */
export async function probeBrowserAdapter(options: Pick<BrowserBenchOptions, 'adapter' | 'chromiumArgs' | 'prebuilt' | 'rebuild'> = {}): Promise<BrowserProbe> {
  await preparePage(options, () => {});
  const server = await serveStatic(OUT_DIR);
  try {
    const headless = { adapter: options.adapter, extraArgs: options.chromiumArgs };
    const executable = await findChromium();
    const browser = await launchHeadlessChromium(headless);
    try {
      const page = await browser.newPage();
      // any page on 127.0.0.1 is a secure context, which WebGPU needs
      await page.goto(`${server.url}${PAGE}`, { waitUntil: 'load' });
      return { executable: `${executable.path} (${executable.source})`, args: chromiumArgs(headless), gpu: await pageWebGpuInfo(page) };
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
}

/** Runs the benchmark in headless Chromium and returns the page's report. */
export async function runBrowserBenchmark(options: BrowserBenchOptions = {}): Promise<BenchReport> {
  const say = options.onProgress ?? (() => {});
  // fail on a typo or a bad value before building or launching
  const plan = resolvePlan(options.workloads, options.ops);
  if (options.seconds !== undefined) checkSeconds(options.seconds);
  if (options.scale !== undefined) checkScale(options.scale, plan.workloads);
  await preparePage(options, say);
  const server = await serveStatic(OUT_DIR);
  try {
    say('Launching headless Chromium…');
    const browser = await launchHeadlessChromium({ adapter: options.adapter, extraArgs: options.chromiumArgs });
    try {
      const page = await browser.newPage();
      // The report comes back through exposed functions, not a long page.evaluate: a benchmark of
      // all workloads outlasts puppeteer's protocol timeout.
      const finished = new Promise<BenchReport>((resolve, reject) => {
        void page.exposeFunction('benchmarkFinished', (json: string) => resolve(JSON.parse(json) as BenchReport));
        void page.exposeFunction('benchmarkFailed', (message: string) => reject(new Error(`in the browser: ${message}`)));
        page.on('pageerror', (error) => reject(new Error(`in the browser: ${(error as Error).message}`)));
        page.on('error', (error) => reject(new Error(`the page crashed: ${error.message}`)));
        browser.on('disconnected', () => reject(new Error('Chromium exited during the benchmark')));
      });
      // it may fail while the calls below are still pending: handled here, reported by the await below
      finished.catch(() => {});
      await page.exposeFunction('benchmarkProgress', (line: string) => say(line));
      await page.exposeFunction('benchmarkResult', (result: BenchResult) => options.onResult?.(result));
      await page.goto(`${server.url}${PAGE}`, { waitUntil: 'load' });
      await page.waitForFunction(() => typeof window.runBenchmark === 'function', { timeout: 30_000 });
      const pageOptions = { workloads: plan.workloads.map((w) => w.name), ops: plan.ops, seconds: options.seconds, scale: options.scale, backend: options.backend ?? 'gpu', strategies: options.strategies };
      await page.evaluate((runOptions) => {
        const host = window as unknown as { benchmarkFinished(json: string): void; benchmarkFailed(message: string): void };
        window.runBenchmark(runOptions).then(
          (report) => host.benchmarkFinished(JSON.stringify(report)),
          (error: unknown) => host.benchmarkFailed(error instanceof Error ? error.message : String(error)),
        );
      }, pageOptions);
      const report = await finished;
      // the page cannot see the machine, nor the switches Chromium ran with; they are this launcher's
      report.environment.host = describeHost();
      const toggles = dawnTogglesOf(chromiumArgs({ adapter: options.adapter, extraArgs: options.chromiumArgs }));
      if (report.environment.adapter && toggles.length > 0) report.environment.adapter.dawnToggles = toggles;
      return report;
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
}

/**
 * The command line, checked before anything is built or launched; null once --help has been printed.
 * Throws a UsageError on bad input.
 */
function parseCommand(args: string[]) {
  const program = benchProgram('npm run bench:browser --', "Throughput of channelscope's measuring core in headless Chromium on the page's WebGPU; the same JSON as npm run bench.", 'gpu')
    .option('--adapter <kind>', "Chromium's WebGPU adapter: software (SwiftShader) or hardware (the machine's GPU) (default: as web/headless.ts decides)")
    .option('--rebuild', 'build the benchmark page even when dist/dashboard looks current')
    .option('--prebuilt', 'use dist/dashboard/bench.html as it is, never build (fails when it is missing)')
    .option('--chromium-args <switches>', "more Chromium switches, space-separated, appended last (a later --enable-features replaces the launcher's)")
    .option('--probe', 'only print, as JSON, the WebGPU adapter a page gets with these switches (exit code 1 when none, or when --adapter hardware got SwiftShader)');
  const parsed = parseCommandLine(program, args);
  if (!parsed) return null;
  const bench = checkBenchOptions(parsed);
  const adapter = parsed.adapter as string | undefined;
  if (adapter !== undefined && !['software', 'hardware'].includes(adapter)) throw new UsageError(`--adapter must be software or hardware, not ${adapter}`);
  if (parsed.rebuild && parsed.prebuilt) throw new UsageError('--rebuild and --prebuilt exclude each other');
  return {
    ...bench,
    adapter: adapter as BrowserBenchOptions['adapter'],
    rebuild: Boolean(parsed.rebuild),
    prebuilt: Boolean(parsed.prebuilt),
    probe: Boolean(parsed.probe),
    chromiumArgs: (parsed.chromiumArgs as string | undefined)?.split(/\s+/).filter(Boolean),
  };
}

async function main() {
  const values = parseCommand(process.argv.slice(2));
  if (!values) return; // --help
  if (values.probe) {
    const probe = await probeBrowserAdapter(values);
    process.stdout.write(`${JSON.stringify(probe, null, 2)}\n`);
    if (!probe.gpu.available || (values.adapter === 'hardware' && probe.gpu.software)) process.exitCode = 1;
    return;
  }
  const report = await runBrowserBenchmark({
    ...values,
    // progress on stderr keeps stdout to the table or the JSON
    onProgress: (line) => process.stderr.write(`${line}\n`),
    onResult: (result) => {
      if (!values.json) process.stdout.write(`${formatResult(result)}\n`);
    },
  });
  if (values.adapter === 'hardware' && report.environment.adapter?.software) {
    process.stderr.write(`bench:browser: asked for the hardware adapter, but Chromium measured on ${report.device}\n`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  // the page knows the device only once it has measured: the table's header comes last, on stderr
  else {
    const scaling = runScaling(resolvePlan(values.workloads).workloads, report.environment.adapter, values.scale);
    process.stderr.write(`${formatHeader(report.environment, { backend: report.backend, description: report.device }, scaling).join('\n')}\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runCommand('bench:browser', main);
}
