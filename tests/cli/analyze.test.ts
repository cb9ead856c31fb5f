// channelscope analyze: a network trained elsewhere gets diagnostics, a verdict and its GLU limit.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatParameterFile } from '../../src/model/params-file.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'channelscope-analyze-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const arch = { inputDim: 2, hidden: [2], activation: 'softplus' as const, biases: true };
// a pair w ± εΔ (ε = 5e-4 along the first input) with output weights c/2 ± a/(2ε): c = 0.4, a = 1.2
const epsilon = 5e-4;
const channel = [0.6 + epsilon, -0.4, 0.6 - epsilon, -0.4, 0.1, 0.1, 0.2 + 1.2 / (2 * epsilon), 0.2 - 1.2 / (2 * epsilon), 0.05];
const csv = `x1,x2,y\n${Array.from({ length: 30 }, (_, n) => `${Math.sin(n)},${Math.cos(1.7 * n)},${Math.tanh(n / 10 - 1)}`).join('\n')}\n`;

describe('channelscope analyze', () => {
  it('finds the channel, its evidence and the GLU parameters of an analytic channel network', async () => {
    const { code, stdout } = await runCli(['analyze', '--params', file('c.json', JSON.stringify(formatParameterFile(arch, channel))), '--data', file('d.csv', csv), '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.verdict.outcome).toBe('channel');
    expect(result.verdict.channelStrict).toBe(true);
    expect(result.hessianEigenvalues).toHaveLength(9);
    // GLU parameters recovered (float64): ε, c = a_i + a_j, a = ε(a_i − a_j)
    expect(result.glu.epsilon).toBeCloseTo(epsilon, 12);
    expect(result.glu.c[0]).toBeCloseTo(0.4, 9);
    expect(result.glu.a[0]).toBeCloseTo(1.2, 9);
    expect(result.glu.lossAtInfinity).toBeLessThanOrEqual(result.loss + 1e-9);
  });

  it('reads the recent motion from --previous files: a neuron sharpening at the barrier is no channel', async () => {
    const wide = { ...arch, hidden: [3] };
    // θ = [W (3×2), b (3), a (3), c0]: neuron 0's input vector grows along (0.6, −0.8, 0.3) with a = 8/‖ũ‖; neuron 1 small and parallel to it
    const at = (norm: number) => [0.6 * norm, -0.8 * norm, 0.6 * 2, -0.8 * 2, 0.5, 0.9, 0.3 * norm, 0.3 * 2, -0.2, 8 / norm, -2.9, 0.7, 0.05];
    const params = (name: string, norm: number) => file(name, JSON.stringify(formatParameterFile(wide, at(norm))));
    const alone = await runCli(['analyze', '--params', params('s170.json', 170), '--data', file('d.csv', csv), '--json']);
    expect(alone.code).toBe(0);
    expect(JSON.parse(alone.stdout).verdict).toMatchObject({ outcome: 'not-converged', cause: 'barrier-without-channel' });
    expect(JSON.parse(alone.stdout).verdict.reason).toMatch(/parallel but not equal/);
    const moving = await runCli(['analyze', '--params', params('s170.json', 170), '--previous', params('s130.json', 130), params('s150.json', 150), '--data', file('d.csv', csv)]);
    expect(moving.code).toBe(0);
    expect(moving.stdout).toMatch(/verdict {6}not-converged: .*sharpening towards a kink.*neuron 0 of hidden layer 1: ‖ũ‖ 177/);
    expect(moving.stdout).toMatch(/sharpening {3}neurons 0 of layer 1 \(‖ũ‖ 177\.\d+\) tend to a kink\n {13}max \|f − f_limit\| on the data .*; loss at infinity \d/);
    const json = await runCli(['analyze', '--params', params('s170.json', 170), '--previous', params('s150.json', 150), '--data', file('d.csv', csv), '--json']);
    const limit = JSON.parse(json.stdout).sharpening;
    expect(limit).toMatchObject({ shape: 'kink', neurons: [{ layer: 0, neuron: 0 }] });
    // a softplus neuron with output weight o = 8/170 is within |o|·log 2 of its kink s·relu(ẑ)
    expect(limit.maxDeviation).toBeLessThanOrEqual((8 / 170) * Math.LN2);
    expect(limit.lossAtInfinity).toBeGreaterThanOrEqual(0);
    // an earlier file of another network is refused, naming both architectures
    const other = await runCli(['analyze', '--params', params('s170.json', 170), '--previous', file('c.json', JSON.stringify(formatParameterFile(arch, channel))), '--data', file('d.csv', csv)]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/c\.json: an earlier parameter file must have the network's architecture/);
  });

  it('refuses malformed input with exit code 2', async () => {
    const bad = await runCli(['analyze', '--params', file('b.json', '{"activation":"swish","biases":true,"layers":[]}'), '--data', file('d.csv', csv)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown activation "swish"/);
    const shapes = await runCli(['analyze', '--params', file('c.json', JSON.stringify(formatParameterFile(arch, channel))), '--data', file('d3.csv', 'x1,y\n1,2\n')]);
    expect(shapes.code).toBe(2);
    expect(shapes.stderr).toMatch(/1 input columns but the network's first layer takes 2/);
  });
});
