// The benchmarks' command line (benchmarks/bench-command.ts, shared by npm run bench and
// bench:browser): --help, one-line refusals with exit code 2 before any device is acquired, and the
// report a CPU run writes (what it ran on, what was asked, units, the same keys in every result).
// Throughput figures are not checked: timing belongs in benchmarks/, never in a test.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { checkScale, checkSeconds, scalingNote } from '../../benchmarks/bench-core.js';
import { benchProgram, checkBenchOptions, parseCommandLine, runCommand, UsageError } from '../../benchmarks/bench-command.js';
import { NO_ADAPTER } from '../../src/engine/create.js';
import { InputError } from '../../src/user-input/input-error.js';
import { WORKLOADS } from '../../benchmarks/workloads.js';
import { scriptCommand } from '../helpers/cli.js';

const exec = promisify(execFile);
const NODE_BENCH = 'benchmarks/node-bench.ts';
const BROWSER_BENCH = 'benchmarks/browser-bench.ts';

/** Exit code, stdout and stderr of a benchmark script. */
async function bench(script: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, ...entry] = scriptCommand(script);
  return exec(command, [...entry, ...args], { timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** The checked options of a command line, as both scripts parse it (in this process: no script, no device). */
function parse(args: string[]) {
  const options = parseCommandLine(benchProgram('bench', 'test', 'auto'), args);
  return options && checkBenchOptions(options);
}

describe('the benchmark options', () => {
  it('are refused, each with one message naming the option and what it allows', () => {
    const largest = '16384 (which leaves W2 one network)';
    for (const [args, message] of [
      [['--worklods', 'W1'], "unknown option '--worklods' (did you mean --workloads?)"],
      [['--ops', 'grad', 'extra'], "unexpected argument 'extra': every option takes one value, lists are comma-separated (e.g. --ops grad,hvp)"],
      [['--seconds'], "option '--seconds <seconds>' argument missing"],
      [['--backend', 'foo'], '--backend must be auto, gpu or cpu, not foo'],
      [['--seconds', '-1'], '--seconds must be a positive number of seconds (e.g. 1.5), not -1'],
      [['--seconds', 'abc'], '--seconds must be a positive number of seconds (e.g. 1.5), not abc'],
      [['--seconds', '0'], '--seconds must be a positive number of seconds (e.g. 1.5), not 0'],
      [['--seconds', ''], '--seconds must be a positive number of seconds (e.g. 1.5), not an empty value'],
      [['--scale', '0'], `--scale must be a whole number from 1 (full size) to ${largest}, not 0`],
      [['--scale', 'abc'], `--scale must be a whole number from 1 (full size) to ${largest}, not abc`],
      [['--scale', '2.5'], `--scale must be a whole number from 1 (full size) to ${largest}, not 2.5`],
      [['--scale', '1e9'], `--scale must be a whole number from 1 (full size) to ${largest}, not 1e9`],
      // the largest scale is that of the workloads measured
      [['--workloads', 'W1', '--scale', '4097'], '--scale must be a whole number from 1 (full size) to 4096 (which leaves W1 one network), not 4097'],
      [['--ops', ''], 'no op named; known: grad, hvp, gd, momentum, adam, sgd, flow, stiff'],
      [['--strategies', ','], '--strategies names none (e.g. --strategies tiled/64,register/64)'],
    ] as const) {
      expect(() => parse([...args]), args.join(' ')).toThrow(message);
    }
  });

  it('are converted when they are good', () => {
    expect(parse(['--workloads', 'W1,W4', '--ops', 'grad', '--seconds', '.25', '--scale', '4096', '--backend', 'cpu', '--json'])).toEqual({
      json: true,
      workloads: ['W1', 'W4'],
      ops: ['grad'],
      seconds: 0.25,
      backend: 'cpu',
      scale: 4096,
      strategies: undefined,
    });
    // the defaults: everything, 1.5 s each, the automatic scale
    expect(parse([])).toMatchObject({ workloads: WORKLOADS.map((w) => w.name), seconds: 1.5, backend: 'auto', scale: undefined });
  });

  it('are checked by the measuring core too (the page takes them from its query string)', () => {
    expect(() => checkSeconds(Number.NaN)).toThrow('--seconds must be a positive number of seconds (e.g. 1.5), not NaN');
    expect(() => checkScale(0.5, WORKLOADS.slice(0, 1))).toThrow('--scale must be a whole number from 1 (full size) to 4096');
    expect(checkSeconds('2e-1')).toBe(0.2);
  });

  it('scaling says what it did, a size held at its minimum included', () => {
    const [W1, , , W4] = WORKLOADS;
    expect(scalingNote([W1], 1, '--scale 1')).toBeNull();
    expect(scalingNote([W1, W4], 64, '--scale 64')).toBe('B and N divided by 64 (--scale 64)');
    expect(scalingNote([W1, W4], 4096, '--scale 4096')).toBe('B and N divided by 4096 (--scale 4096); N held at 16, its minimum, on W1, W4');
    expect(scalingNote([W1, WORKLOADS[1]], 16384, '--scale 16384')).toBe('B and N divided by 16384 (--scale 16384); B held at 1, its minimum, on W1; N held at 16, its minimum, on W1, W2');
  });
});

describe('npm run bench and bench:browser on the command line', () => {
  it('print every option, its meaning and default for --help, exit code 0', async () => {
    for (const script of [NODE_BENCH, BROWSER_BENCH]) {
      const { code, stdout, stderr } = await bench(script, ['--help']);
      expect({ code, stderr }, script).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^Usage: npm run bench(:browser)? -- \[options\]/);
      for (const option of ['--json', '--workloads <names>', '--ops <names>', '--seconds <seconds>', '--backend <backend>', '--scale <factor>', '--strategies <list>']) {
        expect(stdout, `${script} ${option}`).toContain(option);
      }
      // commander wraps descriptions at the terminal's width
      const unwrapped = stdout.replace(/\s+/g, ' ');
      expect(unwrapped).toContain('minimum wall time of each measurement, a positive number of seconds (default: 1.5)');
      expect(unwrapped).toContain('(default: 64 on a software adapter or the CPU engine, else 1)');
      expect(unwrapped).toContain(`(default: ${script === NODE_BENCH ? 'auto' : 'gpu'})`);
      expect(stdout).toMatch(/W4-pernet\s+B=4096 N=10000 d=2 r=4, a dataset per network/);
    }
    expect((await bench(NODE_BENCH, ['-h'])).stdout).toMatch(/--report <file>\s+also write the JSON report/);
    expect((await bench(BROWSER_BENCH, ['-h'])).stdout).toMatch(/--adapter <kind>\s+Chromium's WebGPU adapter/);
  });

  it('refuse bad input in one line, exit code 2, before acquiring a device (--backend gpu) or launching Chromium', async () => {
    for (const [script, args, message] of [
      [NODE_BENCH, ['--worklods', 'W1'], "bench: unknown option '--worklods' (did you mean --workloads?)"],
      [NODE_BENCH, ['--seconds', '-1'], 'bench: --seconds must be a positive number of seconds (e.g. 1.5), not -1'],
      [NODE_BENCH, ['--ops', 'grad', 'extra'], "bench: unexpected argument 'extra': every option takes one value, lists are comma-separated (e.g. --ops grad,hvp)"],
      [NODE_BENCH, ['--backend', 'foo'], 'bench: --backend must be auto, gpu or cpu, not foo'],
      [NODE_BENCH, ['--backend', 'gpu', '--seconds', 'abc'], 'bench: --seconds must be a positive number of seconds (e.g. 1.5), not abc'],
      [NODE_BENCH, ['--backend', 'gpu', '--scale', '1e9'], 'bench: --scale must be a whole number from 1 (full size) to 16384 (which leaves W2 one network), not 1e9'],
      [NODE_BENCH, ['--report', '/nonexistent-folder/report.json'], 'bench: --report: no folder /nonexistent-folder'],
      [BROWSER_BENCH, ['--seconds', 'abc'], 'bench:browser: --seconds must be a positive number of seconds (e.g. 1.5), not abc'],
      [BROWSER_BENCH, ['--scale', 'abc'], 'bench:browser: --scale must be a whole number from 1 (full size) to 16384 (which leaves W2 one network), not abc'],
      [BROWSER_BENCH, ['--backend', 'foo'], 'bench:browser: --backend must be auto, gpu or cpu, not foo'],
    ] as const) {
      // nothing but the message: no stack trace, no adapter notice, no table
      expect(await bench(script, args), `${script} ${args.join(' ')}`).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
    }
  });
});

describe('npm run bench on the CPU engine', () => {
  const TINY = ['--backend', 'cpu', '--workloads', 'W1', '--ops', 'grad,gd', '--seconds', '0.05'];

  it('heads the table with the backend, the machine and the scaling', async () => {
    const { code, stdout } = await bench(NODE_BENCH, TINY);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('backend cpu (1 thread): CPU, float64, compensated sums over samples (reference engine)');
    expect(lines[1]).toMatch(/^.+ \(\d+ logical cores?\), \S+ .+; node v\d+/);
    expect(lines[2]).toBe('B and N divided by 64 (automatic on the CPU engine; --scale 1 measures full size)');
    expect(lines.slice(3).map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual(['W1 grad', 'W1 gd']);
  });

  it('reports the machine, what was asked, the units, and the same keys in every result (null where nothing was measured)', async () => {
    const { code, stdout } = await bench(NODE_BENCH, [...TINY, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, any>;
    expect(report.requested).toEqual({ seconds: 0.05, scale: null, strategies: null });
    expect(Object.keys(report.units.cost)).toEqual(['flops', 'transcendentals', 'bytes', 'workgroupLoads']);
    expect(report.environment).toMatchObject({ kind: 'node', adapter: null, cpuEngineThreads: 1 });
    expect(report.environment.host).toEqual({ os: expect.stringMatching(/\S/), cpu: expect.stringMatching(/\S/), logicalCores: expect.any(Number) });
    expect(report.strategyTrials).toEqual([]);
    const [grad, gd] = report.results as Record<string, unknown>[];
    expect(Object.keys(grad)).toEqual(Object.keys(gd));
    for (const result of [grad, gd]) {
      expect(result).toMatchObject({ error: null, gpuSeconds: null, strategy: null, utilisation: null, scaledDown: 'B and N divided by 64 (automatic on the CPU engine; --scale 1 measures full size)' });
      expect(Object.keys(result.cost as object)).toEqual(Object.keys(report.units.cost));
      expect((result.cost as { workgroupLoads: unknown }).workgroupLoads).toBeNull();
    }
  });
});

describe("the benchmarks' exit codes", () => {
  it('are channelscope\'s: 2 for bad input and for a request this machine cannot meet (--backend gpu without an adapter), 1 for a failure', async () => {
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((text) => (written.push(String(text)), true));
    const codes: (string | number | undefined)[] = [];
    try {
      for (const error of [new UsageError('--seconds must be positive'), new InputError(NO_ADAPTER), new Error('the Vite build failed')]) {
        process.exitCode = undefined;
        await runCommand('bench', async () => {
          throw error;
        });
        codes.push(process.exitCode);
      }
    } finally {
      process.exitCode = undefined;
      stderr.mockRestore();
    }
    expect(codes).toEqual([2, 2, 1]);
    expect(written[1]).toBe(`bench: ${NO_ADAPTER}\n`);
  });
});
