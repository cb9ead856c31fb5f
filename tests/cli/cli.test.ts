// The command line as a user meets it: exit codes, messages, JSON shapes.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheckoutCli, runCli } from '../helpers/cli.js';
import { currentSoftware, softwareLabel } from '../../src/experiment/software.js';
import { SOFTWARE_DAWN_TOGGLES } from '../../src/gpu/device.js';

const channelscope = (...args: string[]) => runCli(args);

const dir = mkdtempSync(path.join(os.tmpdir(), 'channelscope-cli-'));

function file(name: string, contents: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, contents);
  return p;
}

const params = {
  activation: 'softplus',
  biases: true,
  layers: [
    { weights: [[0.5, -0.3], [0.2, 0.8], [-0.7, 0.1]], bias: [0.1, 0, -0.2] },
    { weights: [[1.2, -0.4, 0.9]], bias: [0.05] },
  ],
};
const csv = 'x1,x2,y\n0.1,0.2,0.3\n-1,0.5,1.5\n0.7,-0.3,-0.2\n2,1,0\n';

describe('channelscope verify', () => {
  it('checks the CPU engine against finite differences, and says the kernel checks are for a GPU backend', async () => {
    const evaluation = await channelscope('verify', '--backend', 'cpu', '--parts', 'evaluation', '--json');
    expect(evaluation.code).toBe(0);
    const report = JSON.parse(evaluation.stdout);
    expect(report).toMatchObject({ backend: 'cpu', pass: true, parts: ['evaluation'], kernels: [], software: softwareLabel(currentSoftware()) });
    expect(report.variants).toHaveLength(42);
    // only kernel parts on the CPU engine: nothing would be checked, which exit 0 would pass off as a pass
    const training = await channelscope('verify', '--backend', 'cpu', '--parts', 'training');
    expect(training.stderr).toMatch(/^channelscope: --parts training: these check a GPU's kernels against the CPU engine, and this backend is the CPU engine itself \(.*\): nothing would be checked; add evaluation/);
    expect(training.code).toBe(2);
  });

  it('refuses an unknown part (exit code 2)', async () => {
    const { code, stderr } = await channelscope('verify', '--parts', 'training,kernels');
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('channelscope: --parts: unknown part kernels; known: evaluation, training, strategies, diagnostics');
    const none = await channelscope('verify', '--parts', ' , ');
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('channelscope: --parts names no part (" , "); known: evaluation, training, strategies, diagnostics');
  });
});

describe('channelscope eval', () => {
  it('prints loss, gradient and HVP in the layered shape on the CPU and the GPU, which agree', async () => {
    const p = file('p.json', JSON.stringify(params));
    const d = file('d.csv', csv);
    const results = [];
    for (const backend of ['cpu', 'gpu']) {
      const { code, stdout } = await channelscope('eval', '--params', p, '--data', d, '--direction', p, '--backend', backend, '--json');
      expect(code).toBe(0);
      results.push(JSON.parse(stdout));
    }
    const [cpu, gpu] = results;
    expect(cpu.backend).toBe('cpu');
    expect(gpu.backend).toBe('gpu');
    expect(cpu.gradient.layers[0].weights).toHaveLength(3);
    expect(cpu.gradient.layers[1].bias).toHaveLength(1);
    expect(cpu.hvp.layers[0].weights[0]).toHaveLength(2);
    // float32 on the GPU against float64: measured on SwiftShader loss 2.2e-8 relative, gradient 1.4e-7
    // and HVP 8.9e-8 relative to their largest entry (the parameters' decimals rounded to float32
    // included); tolerances ≈ 10× that
    const TOLERANCE = { loss: 2e-7, gradient: 1e-6, hvp: 1e-6 };
    expect(Math.abs(gpu.loss - cpu.loss) / cpu.loss).toBeLessThanOrEqual(TOLERANCE.loss);
    const entries = (layered: { layers: { weights: number[][]; bias?: number[] }[] }) => layered.layers.flatMap((layer) => [...layer.weights.flat(), ...(layer.bias ?? [])]);
    for (const quantity of ['gradient', 'hvp'] as const) {
      const [want, got] = [entries(cpu[quantity]), entries(gpu[quantity])];
      expect(got).toHaveLength(want.length);
      const scale = Math.max(...want.map(Math.abs));
      const error = Math.max(...want.map((w, k) => Math.abs(got[k] - w))) / scale;
      expect(error, quantity).toBeLessThanOrEqual(TOLERANCE[quantity]);
    }
    // the gradient can be fed back as a direction
    const g = file('g.json', JSON.stringify(cpu.gradient));
    expect((await channelscope('eval', '--params', p, '--data', d, '--direction', g, '--backend', 'cpu', '--json')).code).toBe(0);
    // the text prints whole parameter files too, and says what it differentiates
    const text = (await channelscope('eval', '--params', p, '--data', d, '--direction', p, '--backend', 'cpu')).stdout;
    expect(text).toMatch(/^objective  \S+ \(loss \+ barrier\)$/m);
    const gradientLine = /^gradient   (\{.*\}) \(of loss \+ barrier\)$/m.exec(text)!;
    expect(JSON.parse(gradientLine[1])).toEqual(cpu.gradient);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['unknown activation', () => ['--params', file('a.json', JSON.stringify({ ...params, activation: 'swish' })), '--data', file('d.csv', csv)], /unknown activation "swish"/],
    ['wrong layer shapes', () => ['--params', file('s.json', JSON.stringify({ ...params, layers: [params.layers[0], { weights: [[1, 2]], bias: [0] }] })), '--data', file('d.csv', csv)], /layers\[1\]\.weights row 0 has 2 columns, expected 3/],
    ['CSV with the wrong column count', () => ['--params', file('p.json', JSON.stringify(params)), '--data', file('c.csv', 'x1,x2,y\n1,2,3\n1,2\n')], /line 3 has 2 columns, expected 3/],
    ['non-numeric CSV values', () => ['--params', file('p.json', JSON.stringify(params)), '--data', file('n.csv', 'x1,x2,y\n1,abc,3\n')], /column x2: "abc" is not a number/],
    ['empty data', () => ['--params', file('p.json', JSON.stringify(params)), '--data', file('e.csv', 'x1,x2,y\n')], /no samples/],
    ['NaN in parameters', () => ['--params', file('nan.json', JSON.stringify({ ...params, layers: [{ ...params.layers[0], weights: [[NaN, 1], [0, 1], [1, 1]] }, params.layers[1]] })), '--data', file('d.csv', csv)], /non-finite or missing value \(null\) at layers\[0\]\.weights\[0\]\[0\]/],
    ['data of the wrong dimension', () => ['--params', file('p.json', JSON.stringify(params)), '--data', file('d3.csv', 'x1,x2,x3,y\n1,2,3,4\n')], /^channelscope: .*d3\.csv has 3 input columns but the network's first layer takes 2 inputs\n$/],
    ['a missing file', () => ['--params', path.join(dir, 'nope.json'), '--data', file('d.csv', csv)], /^channelscope: cannot read the parameter file .*nope\.json: no such file\n$/],
    ['an unknown option', () => ['--params', file('p.json', JSON.stringify(params)), '--data', file('d.csv', csv), '--frobnicate'], /unknown option '--frobnicate'/],
  ];
  it.each(bad)('refuses %s with exit code 2 and a clear message', async (_name, args, message) => {
    const { code, stderr } = await channelscope('eval', ...args(), '--backend', 'cpu');
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe('channelscope doctor', () => {
  it('with --backend gpu reports the WebGPU backend', async () => {
    const { code, stdout } = await channelscope('doctor', '--json', '--backend', 'gpu');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).backend).toBe('gpu');
  });

  it('reports the adapter, features and limits as JSON', async () => {
    const { code, stdout } = await channelscope('doctor', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    // auto picks the GPU, except a software adapter, which is slower than the CPU engine
    expect(report.backend).toBe(report.softwareAdapter ? 'cpu' : 'gpu');
    // the precision of the backend that runs; the adapter's beside it
    expect(report.precision).toMatch(report.backend === 'cpu' ? /^float64/ : /^float32 kernels/);
    expect(report.gpuPrecision).toMatch(/^float32 kernels/);
    // so is the description: the adapter's is gpuDescription
    expect(report.description).toMatch(report.backend === 'cpu' ? /^the float64 CPU engine/ : /^WebGPU on /);
    expect(report.gpuDescription).toMatch(/^WebGPU on /);
    expect(report.adapter.vendor).toBeTruthy();
    expect(report.features).toContain('subgroups');
    expect(report.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    // the software driver runs without Dawn's workgroup zero-fill, and says so; hardware keeps Dawn's defaults
    expect(report.dawnToggles).toEqual(report.softwareAdapter ? SOFTWARE_DAWN_TOGGLES : []);
    // the device's double-float arithmetic, measured (src/engine/gpu/double-float-check.ts)
    expect(report.doubleFloat.exact).toBe(true);
    expect(report.doubleFloat.worstRelativeError).toBeLessThan(report.doubleFloat.bound);
    // and what answers: the code (its commit from a checkout) and Node
    expect(report.version).toBe(`${softwareLabel(currentSoftware())}, Node ${process.version}`);
  });

  it('--version prints the version, with the commit when run from a checkout or named by CHANNELSCOPE_COMMIT', async () => {
    const plain = await channelscope('--version');
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim()).toBe(softwareLabel(currentSoftware()));
    const named = await runCli(['--version'], { CHANNELSCOPE_COMMIT: '0123456789ab' });
    expect(named.stdout.trim()).toMatch(/^channelscope \d+\.\d+\.\d+ \(git 0123456789ab\)$/);
    // the suite's other commands may run the compiled dist/ (helpers/cli.ts): the checkout's entry, through tsx, answers alike
    const throughTsx = await runCheckoutCli(['--version']);
    expect(throughTsx).toEqual(plain);
  });
});

describe('channelscope run with the default backend', () => {
  it('trains, writes its records and exits 0 (Node exits cleanly after declining or never starting a software adapter)', async () => {
    const spec = file(
      'tiny-run.json',
      JSON.stringify({
        name: 'tiny-run',
        architecture: { inputDim: 2, hidden: 2, activation: 'softplus' },
        data: { samples: 32 },
        optimizer: { kind: 'gd', lr: 0.5 },
        stop: { maxSteps: 200, checkEvery: 100, gradTol: 1e-3 },
        trajectory: { points: 3 },
        seeds: 2,
      }),
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      // (the last in a folder whose name has spaces: the command suggested quotes it)
      const out = path.join(dir, attempt === 2 ? 'tiny run 2' : `tiny-run-${attempt}`);
      const { code, stdout, stderr } = await channelscope('run', spec, '--out', out);
      expect(stderr).not.toMatch(/terminate called|Aborted|Segmentation/);
      expect(code).toBe(0);
      expect(stdout).toContain('runs.jsonl');
      // a spec that is no preset's: how to get its report
      expect(stdout.endsWith(`report: channelscope report ${attempt === 2 ? `'${out}'` : out} [--by FIELD,…] [--html]\n`)).toBe(true);
    }
  });

  it("ends a spec that keeps a preset's name (presets NAME --spec, edited) with the preset's report, as run PRESET does", async () => {
    const preset = await channelscope('presets', 'channel-frequency', '--spec', '--quick', '--seeds', '1');
    const spec = path.join(dir, 'my-channel-frequency.json');
    // edited: one teacher
    writeFileSync(spec, JSON.stringify({ ...JSON.parse(preset.stdout), grid: { 'architecture.activation': ['erf', 'relu'] } }));
    const out = path.join(dir, 'edited-preset');
    const { code, stdout } = await channelscope('run', spec, '--out', out, '--backend', 'cpu');
    expect(code).toBe(0);
    expect(stdout).toContain('## channel-frequency: 2 runs in');
    expect(stdout).toContain(`report: ${path.join(out, 'report.md')}; tables: `);
    expect(existsSync(path.join(out, 'report.md'))).toBe(true);
  });
});

describe('channelscope run --dry-run', () => {
  it('checks a spec or preset and prints the runs it plans per configuration, writing nothing; a bad spec is refused as a run would refuse it', async () => {
    const out = path.join(dir, 'dry');
    const plan = await channelscope('run', 'examples/stiff-vs-explicit.json', '--dry-run', '--out', out);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^12 configurations × 8 seeds = 96 runs\n/);
    expect(plan.stdout).toMatch(/^0 +r=\[4\] optimizer=flow solver=rodas4 +d=2 hidden=\[4\] softplus \+biases +17 +256 +flow rodas4 +8$/m);
    expect(plan.stdout).toMatch(/^11 +r=\[8\] optimizer=gd lr=0\.5 +d=2 hidden=\[8\] softplus \+biases +33 +256 +gd η=0\.5 +8$/m);
    expect(plan.stdout).toContain(`--dry-run: the spec and its data files are valid; nothing was written (a run would write ${out})`);
    expect(existsSync(out)).toBe(false);
    // a shard's share, a preset (its --seeds), a procedure
    const shard = await channelscope('run', 'channel-frequency', '--quick', '--seeds', '2', '--shard', '2/3', '--dry-run', '--out', out);
    expect(shard.stdout).toMatch(/^15 configurations × 2 seeds = 30 runs; shard 2\/3 from --shard: 10 of them\n/);
    const procedure = await channelscope('run', 'channel-jump', '--quick', '--dry-run', '--out', out);
    expect(procedure.stdout).toMatch(/^channel-jump --quick: 11 networks × N = 64\n/);
    expect(existsSync(out)).toBe(false);
    // what a run would refuse is refused; a resume's plan is the runs left
    const spec = file('dry-tiny.json', JSON.stringify({ name: 'dry-tiny', architecture: { inputDim: 2, hidden: 2, activation: 'tanh' }, data: { samples: 8 }, optimizer: { kind: 'gd', lr: 0.1 }, stop: { maxSteps: 20, checkEvery: 10 }, seeds: 3 }));
    const used = path.join(dir, 'dry-used');
    expect((await channelscope('run', spec, '--out', used, '--shard', '1/2', '--backend', 'cpu')).code).toBe(0);
    const again = await channelscope('run', spec, '--out', used, '--shard', '1/2', '--dry-run');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${used} already exists and is not empty: pass --resume`);
    const otherShard = await channelscope('run', spec, '--out', used, '--shard', '2/2', '--resume', '--dry-run');
    expect(otherShard.code).toBe(2);
    expect(otherShard.stderr).toMatch(/cannot resume in .*: it holds shard 1\/2, this session asks for shard 2\/2/);
    const resumed = await channelscope('run', spec, '--out', used, '--shard', '1/2', '--resume', '--dry-run');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^1 configuration × 3 seeds = 3 runs; shard 1\/2 from --shard: (\d) of them; \1 recorded in .*dry-used, 0 left \(below\)\n/);
    const bad = file('dry-bad.json', JSON.stringify({ architecture: { inputDim: 2, hidden: 2, activation: 'softplux' } }));
    const refused = await channelscope('run', bad, '--dry-run', '--out', out);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/dry-bad\.json: architecture\.activation: "softplux" is not allowed \(allowed: softplus, g, erf, sigmoid, tanh, relu, gelu\)/);
    expect(existsSync(out)).toBe(false);
  });
});
