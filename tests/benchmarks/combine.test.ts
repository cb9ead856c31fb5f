// benchmarks/combine.ts: the table committed as benchmarks/results/h100-<date>.json, from channelscope's
// Node report, the peers' and channelscope's browser report.
import { describe, expect, it } from 'vitest';
import { combine, formatTable } from '../../benchmarks/combine.js';

const node = {
  framework: 'channelscope',
  device: 'WebGPU on nvidia hopper',
  environment: { kind: 'node' as const, runtime: 'node v20', software: 'channelscope 0.1.0 (git abc)' },
  results: [
    { workload: 'W1', op: 'grad', networkStepsPerSecond: 30e6, gpuSeconds: 0.9, seconds: 1, strategy: 'register/64x4+hoist' },
    { workload: 'W2', op: 'stiff', networkStepsPerSecond: null, strategy: 'tiled/64', error: 'not measured: gradient differs from the float64 CPU engine by 1.0e-2 relative (tolerance 0.001)' },
  ],
};
const jax = { framework: 'jax', device: 'cuda:0', version: 'jax 0.11.2', results: [{ workload: 'W1', op: 'grad', networkStepsPerSecond: 10e6 }, { workload: 'W2', op: 'stiff', networkStepsPerSecond: null, error: 'out of memory' }] };
const browser = { framework: 'channelscope', device: 'WebGPU on nvidia hopper', environment: { kind: 'browser' as const, runtime: 'Chrome 147' }, results: [{ workload: 'W1', op: 'grad', networkStepsPerSecond: 24e6 }] };

describe('combine', () => {
  it('gives per workload and operation each framework, the ratios, and the reasons for missing figures', () => {
    const combined = combine([node, jax, browser]);
    expect(combined.frameworks.map((f) => [f.framework, f.version])).toEqual([
      ['channelscope', 'channelscope 0.1.0 (git abc), node v20'],
      ['jax', 'jax 0.11.2'],
      ['channelscope-browser', 'Chrome 147'],
    ]);
    expect(combined.rows[0]).toEqual({
      workload: 'W1', op: 'grad', channelscope: 30e6, jax: 10e6, ratioTo_jax: 3, 'channelscope-browser': 24e6, browserOverNode: 0.8,
      strategy: 'register/64x4+hoist', gpuBusyShare: 0.9,
    });
    expect(combined.rows[1]).toMatchObject({
      channelscope: null, jax: null, ratioTo_jax: null, 'channelscope-browser': null, browserOverNode: null,
      error: node.results[1].error, error_jax: 'out of memory',
    });
  });

  it('prints a table with every column any row has, the reasons below it', () => {
    const lines = formatTable(combine([node, jax])).split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['workload', 'op', 'channelscope', 'jax', 'ratioTo_jax', 'strategy', 'gpuBusyShare']);
    expect(lines[1].split(/\s+/)).toEqual(['W1', 'grad', '3.000e+7', '1.000e+7', '3.000', 'register/64x4+hoist', '0.9000']);
    expect(lines.slice(3)).toEqual([`W2 stiff, channelscope: ${node.results[1].error}`, 'W2 stiff, jax: out of memory']);
  });

  it('needs channelscope’s Node report', () => {
    expect(() => combine([jax, browser])).toThrow('no channelscope Node report among the inputs');
  });
});
