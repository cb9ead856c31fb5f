// The browser benchmark end to end: build the page, headless Chromium (WebGPU on SwiftShader where
// there is no GPU), one tiny measurement, and a report shaped exactly like the Node benchmark's.
// Throughput figures are not checked: timing belongs in benchmarks/, never in a test.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BrowserProbe } from '../../benchmarks/browser-bench.js';
import { SOFTWARE_DAWN_TOGGLES } from '../../src/gpu/device.js';
import { dawnTogglesOf } from '../../web/headless.js';
import { acquireBrowserLock } from '../helpers/browser-lock.js';
import { scratchDir } from '../helpers/scratch.js';

const exec = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');
// two kernel strategies: each run times both on grad and measures with the faster
const TINY = ['--json', '--workloads', 'W1', '--ops', 'grad', '--seconds', '0.05', '--scale', '256', '--strategies', 'tiled/16,register/16'];

async function benchmark(script: string, extra: string[] = []): Promise<Record<string, unknown>> {
  const { stdout } = await exec(TSX, [script, ...TINY, ...extra], { timeout: 120_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The report's structure: keys and value types, recursively (arrays by their elements). */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((key) => [key, shape((value as Record<string, unknown>)[key])]));
  }
  return typeof value;
}

describe('npm run bench:browser', () => {
  it('prints the Node benchmark JSON, measured in headless Chromium on WebGPU', async () => {
    // --backend gpu: both on WebGPU, so even the adapter field has the same shape
    const release = await acquireBrowserLock();
    let browser: Record<string, unknown>;
    try {
      browser = await benchmark('benchmarks/browser-bench.ts');
    } finally {
      release();
    }
    const reportFile = path.join(scratchDir('bench-'), 'report.json');
    const node = await benchmark('benchmarks/node-bench.ts', ['--backend', 'gpu', '--report', reportFile]);
    expect(shape(browser)).toEqual(shape(node));
    // on SwiftShader both ran without Dawn's workgroup zero-fill, and say so (device.ts SOFTWARE_DAWN_TOGGLES)
    const adapterOf = (report: Record<string, unknown>) => (report.environment as { adapter: { software: boolean; dawnToggles?: string[] } }).adapter;
    for (const report of [browser, node]) expect(adapterOf(report).dawnToggles).toEqual(adapterOf(report).software ? SOFTWARE_DAWN_TOGGLES : undefined);
    // --report holds the same report, rewritten after each measurement (kept when a run is cut short)
    const saved = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown>;
    expect(saved.results).toEqual(node.results);
    expect(saved.strategyTrials).toEqual(node.strategyTrials);

    expect(browser).toMatchObject({ framework: 'channelscope', backend: 'gpu', environment: { kind: 'browser' } });
    expect(node).toMatchObject({ environment: { kind: 'node' } });
    expect((browser.environment as { runtime: string }).runtime).toMatch(/Chrome/);
    const [result] = browser.results as Record<string, unknown>[];
    expect(result).toMatchObject({ workload: 'W1', op: 'grad', B: 16, N: 16, d: 8, r: 8 });
    expect(result.error).toBeNull();
    expect(result.networkStepsPerSecond).toBeGreaterThan(0);
    for (const report of [browser, node]) {
      const trials = report.strategyTrials as Record<string, unknown>[];
      expect(trials.map((t) => [t.op, t.strategy])).toEqual([
        ['grad', 'tiled/16'],
        ['grad', 'register/16'],
      ]);
      expect(['tiled/16', 'register/16']).toContain((report.results as Record<string, unknown>[])[0].strategy);
    }
  });
});

describe('npm run bench:browser -- --probe', () => {
  // the GPU machine's session (benchmarks/gpu-session.sh, part browser) tries switch sets this way
  it('prints the adapter a page gets and the switches Chromium ran with, and says by its exit code whether that is the asked-for kind', async () => {
    const release = await acquireBrowserLock();
    try {
      const software = JSON.parse((await exec(TSX, ['benchmarks/browser-bench.ts', '--probe'], { timeout: 120_000 })).stdout) as BrowserProbe;
      expect(software.gpu).toMatchObject({ available: true, software: true });
      expect(software.args).toEqual(expect.arrayContaining(['--enable-unsafe-webgpu', '--use-angle=swiftshader']));
      expect(dawnTogglesOf(software.args)).toEqual(SOFTWARE_DAWN_TOGGLES);
      expect(software.executable).toMatch(/\S/);

      // hardware: exit code 0 only where the page gets a GPU (here, without one: none, or SwiftShader)
      const extra = '--chromium-args=--enable-features=Vulkan,VulkanFromANGLE --disable-gpu-shader-disk-cache';
      const { code, stdout } = await exec(TSX, ['benchmarks/browser-bench.ts', '--probe', '--prebuilt', '--adapter', 'hardware', extra], { timeout: 120_000 }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
      const hardware = JSON.parse(stdout) as BrowserProbe;
      expect(code).toBe(hardware.gpu.available && !hardware.gpu.software ? 0 : 1);
      // the extra switches come last, each its own argument
      expect(hardware.args.slice(-2)).toEqual(['--enable-features=Vulkan,VulkanFromANGLE', '--disable-gpu-shader-disk-cache']);
      expect(hardware.args).toContain('--use-angle=vulkan');
      expect(dawnTogglesOf(hardware.args)).toEqual([]);
    } finally {
      release();
    }
  });
});

/** Runs a benchmark script expecting a refusal: its exit code and what it printed on stderr. */
async function refusal(script: string, args: readonly string[]): Promise<{ code: number; stderr: string } | null> {
  return exec(TSX, [script, ...args], { timeout: 60_000 }).then(
    () => null,
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr.trim() }),
  );
}

describe('npm run bench and bench:browser', () => {
  it('refuse bad options before acquiring a device, building or launching anything (exit code 2)', async () => {
    for (const [script, args, message] of [
      ['benchmarks/node-bench.ts', ['--strategies', 'tiled/48'], 'bench: kernel tile (threads per workgroup) must be a power of two, got 48'],
      ['benchmarks/node-bench.ts', ['--workloads', 'W9'], 'bench: unknown workload W9; known: W1, W2, W3, W4, W4-pernet'],
      ['benchmarks/browser-bench.ts', ['--adapter', 'gpu'], 'bench:browser: --adapter must be software or hardware, not gpu'],
      ['benchmarks/browser-bench.ts', ['--rebuild', '--prebuilt'], 'bench:browser: --rebuild and --prebuilt exclude each other'],
      ['benchmarks/browser-bench.ts', ['--ops', 'grad,newton'], 'bench:browser: unknown op newton; known: grad, hvp, gd, momentum, adam, sgd, flow, stiff'],
      ['benchmarks/browser-bench.ts', ['--strategies', 'tiled/48'], 'bench:browser: kernel tile (threads per workgroup) must be a power of two, got 48'],
      ['benchmarks/browser-bench.ts', ['--probes'], "bench:browser: unknown option '--probes' (did you mean --probe?)"],
    ] as const) {
      expect(await refusal(script, args), `${script} ${args.join(' ')}`).toEqual({ code: 2, stderr: message });
    }
  });
});
