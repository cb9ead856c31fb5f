// Per-run views from parameters: closest pair, channel coordinates along a run, function heatmaps, spectra.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gluNetworkOutput, networkOutput } from '../../src/analysis/glu.js';
import type { RunDiagnostics } from '../../src/analysis/diagnostics.js';
import { datasetFor } from '../../src/experiment/grid.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { parseConfig } from '../../src/experiment/spec.js';
import { formatParameterFile } from '../../src/model/params-file.js';
import {
  channelTrajectory,
  closestPair,
  functionGrid,
  gridPoints,
  hessianSpectrum,
  networkOf,
  pairPoints,
  piledPairPoints,
  takesPlanarInputs,
  teacherAt,
} from '../../web/src/charts/network-views.js';
import { arch, channelTheta, config, finiteTheta, record } from './records.js';

describe('closest pair and the scatter points', () => {
  it('finds the planted pair with its output weights of opposite signs', () => {
    const pair = closestPair(networkOf(formatParameterFile(arch, channelTheta(1e-3)))!)!;
    expect([pair.layer, pair.i, pair.j, pair.by]).toEqual([0, 0, 1, 'cosine']);
    expect(pair.cosine).toBeLessThan(1e-5);
    expect(pair.outputWeights![0] * pair.outputWeights![1]).toBeLessThan(0);
    const [point] = pairPoints([record('c', channelTheta(1e-3))]);
    expect(point.signs).toBe('opposite');
    expect(point.outputWeightSum).toBeCloseTo(1.5 / 1e-3, 6);
  });

  it('uses the L2 distance for d = 1 without biases, where every cosine distance is 0', () => {
    const toy = networkOf({ activation: 'erf', biases: false, layers: [{ weights: [[1.0], [3.0], [1.1]] }, { weights: [[2, 1, -1]] }] })!;
    const pair = closestPair(toy)!;
    expect([pair.i, pair.j, pair.by]).toEqual([0, 2, 'l2']);
    // the same in a layer after a hidden layer of width 1, whatever d: its input vectors are scalars too
    const narrow = networkOf({ activation: 'erf', biases: false, layers: [{ weights: [[1, 0.5]] }, { weights: [[1.0], [3.0], [1.1]] }, { weights: [[2, 1, -1]] }] })!;
    const inner = closestPair(narrow)!;
    expect([inner.layer, inner.i, inner.j, inner.by]).toEqual([1, 0, 2, 'l2']);
    expect(inner.cosine).toBeCloseTo((0.1 / 1.1) ** 2 / 2, 12);
  });

  it("compares neurons up to the activation's symmetry, as the classifier does: erf's w and −w are one pair", () => {
    // a toy channel at ε = 1e-3 with its second neuron flipped (w → −w, a → −a: the same function)
    const [epsilon, w, c, a] = [1e-3, 0.78, 0.2, 0.3];
    const params = { activation: 'erf' as const, biases: false, layers: [{ weights: [[w + epsilon], [-(w - epsilon)]] }, { weights: [[c / 2 + a / (2 * epsilon), -(c / 2 - a / (2 * epsilon))]] }] };
    const [point] = pairPoints([record('toy', finiteTheta, { params })]);
    // oriented: w ± ε with output weights c/2 ± a/(2ε), of opposite signs; closeness (relative L2)²/2
    expect(point.signs).toBe('opposite');
    expect(point.minCosine).toBeCloseTo((2 * epsilon / (w + epsilon)) ** 2 / 2, 12);
    expect(point.outputWeightSum).toBeCloseTo(a / epsilon, 6);
  });

  it('skips diverged records', () => {
    const diverged = record('d', finiteTheta);
    diverged.params.layers[0].weights[0][0] = null as unknown as number;
    expect(pairPoints([diverged])).toEqual([]);
    expect(networkOf(diverged.params)).toBeNull();
  });
});

describe('pair points on one place', () => {
  it('are one point with their count and ids: same signs, both coordinates in one hundredth-of-a-decade cell', () => {
    const at = (id: string, minCosine: number, outputWeightSum: number, signs: 'opposite' | 'same' = 'opposite') => ({ id, minCosine, outputWeightSum, signs });
    const piles = piledPairPoints([at('a', 4.49e-3, 3.1), at('b', 4.5e-3, 3.11), at('c', 4.49e-3, 3.1, 'same'), at('d', 4.49e-3, 3.3), at('e', 4.49e-3, 3.1)]);
    expect(piles.map((p) => [p.ids, p.count])).toEqual([
      [['a', 'b', 'e'], 3],
      [['c'], 1],
      [['d'], 1],
    ]);
    // the pile sits where its first run is
    expect([piles[0].minCosine, piles[0].outputWeightSum]).toEqual([4.49e-3, 3.1]);
  });
});

describe('channel coordinates along a run', () => {
  it('follows the final closest pair through start, recent checks and end', () => {
    const r = record('c', channelTheta(1e-3), { recentParams: [channelTheta(1e-1), channelTheta(1e-2), channelTheta(1e-3)] });
    const trajectory = channelTrajectory(r)!;
    expect(trajectory.snapshots.map((s) => s.label)).toEqual(['start', 'check −2', 'check −1', 'end']);
    const [, ...along] = trajectory.snapshots;
    expect(along.map((s) => s.epsilon)).toEqual([1e-1, 1e-2, 1e-3].map((e) => expect.closeTo(e, 12)));
    // c = aᵢ + aⱼ = 1.6 and a = ε(aᵢ − aⱼ) = 1.5 stay put while ε shrinks and the weight norm grows
    for (const s of along) {
      expect(s.c).toBeCloseTo(1.6, 8);
      expect(s.a).toBeCloseTo(1.5, 8);
    }
    expect(along[2].weightNorm).toBeGreaterThan(along[1].weightNorm);
  });

  it('adds the final parameters when the last recent check is not them', () => {
    const r = record('c', channelTheta(1e-3), { recentParams: [channelTheta(1e-2)] });
    expect(channelTrajectory(r)!.snapshots.map((s) => s.label)).toEqual(['start', 'check −1', 'end']);
  });
});

describe('function heatmaps (d = 2)', () => {
  it('lays the grid out row-major with x₁ fastest', () => {
    const { xs, points } = gridPoints(1, 4);
    expect(xs).toEqual([-0.75, -0.25, 0.25, 0.75]);
    expect(Array.from(points.subarray(0, 4))).toEqual([-0.75, -0.75, -0.25, -0.75]);
  });

  it('evaluates the teacher exactly as the training targets were made (standardised over the training inputs)', () => {
    const training = datasetFor(config, 0);
    const y = teacherAt(config, 0, training.x)!;
    for (let n = 0; n < training.samples; n++) expect(y[n]).toBeCloseTo(training.y[n], 12);
    const gp = parseConfig({ ...config, data: { ...config.data, teacher: { kind: 'gp', s: 2 } } });
    const gpTraining = datasetFor(gp, 0);
    expect(teacherAt(gp, 0, gpTraining.x)![5]).toBeCloseTo(gpTraining.y[5], 10);
  });

  it('gives network, GLU limit and teacher on one grid with a shared symmetric colour range', () => {
    const theta = channelTheta(1e-4);
    const grid = functionGrid(record('c', theta), 8);
    if ('unavailable' in grid) throw new Error(grid.unavailable);
    expect(grid.panels.map((p) => p.name)).toEqual(['network f(x)', 'GLU limit', 'teacher']);
    const network = networkOf(formatParameterFile(arch, theta))!;
    const k = 3 * 8 + 5;
    const x = [grid.xs[5], grid.ys[3]];
    expect(grid.panels[0].values[k]).toBeCloseTo(networkOutput(network.arch, network.theta, x), 12);
    expect(grid.panels[1].values[k]).toBeCloseTo(gluNetworkOutput(network.arch, network.theta, { i: 0, j: 1 }, x), 12);
    // at ε = 1e-4 the network and its GLU limit agree to O(ε²)·|a/ε|
    expect(Math.abs(grid.panels[0].values[k] - grid.panels[1].values[k])).toBeLessThan(1e-2);
    // the colour range is the network's and the teacher's (the limit panel is compared against them)
    expect(grid.limit).toBe(Math.max(...[grid.panels[0], grid.panels[2]].flatMap((p) => p.values.map(Math.abs))));
    expect(grid.panels[1].caption).toMatch(/^channel neurons 0, 1 \(from 0\) of hidden layer 1 replaced by /);
    expect(grid.extent).toBeGreaterThanOrEqual(Math.sqrt(3));
  });

  it('knows which runs it can draw on the plane: d = 2 inputs only (the results views show the tab only for those)', () => {
    const planar = record('f', finiteTheta);
    expect(takesPlanarInputs(planar)).toBe(true);
    const line = { ...planar, params: { ...planar.params, layers: [{ weights: [[0.3], [-0.2]], bias: [0, 0] }, ...planar.params.layers.slice(1)] } };
    expect(takesPlanarInputs(line)).toBe(false);
    expect(functionGrid(line, 8)).toEqual({ unavailable: 'heatmaps need d = 2 inputs; this run has d = 1' });
  });

  it("gives a run in no channel its closest pair's GLU, saying how far it is from the network, outside the colour range", () => {
    const grid = functionGrid(record('f', finiteTheta), 8);
    if ('unavailable' in grid) throw new Error(grid.unavailable);
    expect(grid.panels.map((p) => p.name)).toEqual(['network f(x)', 'GLU limit', 'teacher']);
    const deviation = Math.max(...grid.panels[1].values.map((v, k) => Math.abs(v - grid.panels[0].values[k])));
    expect(deviation).toBeGreaterThan(0.1);
    expect(grid.panels[1].caption).toMatch(new RegExp(`^closest pair, neurons 0, 1 \\(from 0\\) of hidden layer 1, replaced by .*; ε = [\\d.]+, at most ${deviation.toPrecision(2).replace('.', '\\.')} from the network on this grid$`));
    expect(grid.limit).toBe(Math.max(...[grid.panels[0], grid.panels[2]].flatMap((p) => p.values.map(Math.abs))));
    expect(grid.extent).toBeGreaterThanOrEqual(Math.sqrt(3));
  });

  it("replaces a channel run's carriers by their limit: three neurons' order-2 limit, a reflected pair's GLU plus the reflection's linear term", () => {
    // committed float64 flow-sweep records (benchmarks/results/flow-cpu-subset)
    const sweep: RunRecord[] = readFileSync(new URL('../../benchmarks/results/flow-cpu-subset/runs.jsonl', import.meta.url), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const run = (r: number, seed: number) => sweep.find((x) => x.seed === seed && (x.config as { architecture: { hidden: number[] } }).architecture.hidden[0] === r)!;
    const gap = (grid: ReturnType<typeof functionGrid>) => {
      if ('unavailable' in grid) throw new Error(grid.unavailable);
      return { grid, gap: Math.max(...grid.panels[0].values.map((v, k) => Math.abs(v - grid.panels[1].values[k]))) };
    };
    // r = 4 seed 13: outgoing weights (−74, 150, −74); measured 0.035 on the grid (|f| up to 3.4), where the pair's GLU is 0.42 off on the data
    const three = gap(functionGrid(run(4, 13), 16));
    expect(three.grid.panels.map((p) => p.name)).toEqual(['network f(x)', 'channel limit', 'teacher']);
    expect(three.grid.panels[1].caption).toMatch(/^channel neurons 0, 1, 2 \(from 0\) of hidden layer 1 replaced by c·σ\(w̄·x\) \+ \(v·x\)·σ′\(w̄·x\) \+ ½\(xᵀMx\)·σ″\(w̄·x\)/);
    expect(three.gap).toBeLessThan(0.06);
    // r = 8 seed 17: the channel pair (1, 8) is antiparallel as trained (softplus reflection); measured 2.2e-4
    const reflected = gap(functionGrid(run(8, 17), 16));
    expect(reflected.grid.panels[1].name).toBe('GLU limit');
    expect(reflected.grid.panels[1].caption).toMatch(/^channel neurons 0, 7 \(from 0\)/);
    expect(reflected.gap).toBeLessThan(1e-3);
    // the channel coordinates along the run follow the same pair, reflected as the verdict compared
    // it: ε shrinks to 1/76 with output weights ±114 (the raw closest pair by cosine is another one)
    const trajectory = channelTrajectory(run(8, 17))!;
    expect(trajectory.pair).toMatchObject({ by: 'channel', layer: 0, i: 0, j: 7 });
    expect(trajectory.pair.outputWeights![0] * trajectory.pair.outputWeights![1]).toBeLessThan(0);
    expect(trajectory.snapshots.at(-1)!.inverseEpsilon).toBeGreaterThan(50);
    expect(closestPair(networkOf(run(8, 17).params)!)).not.toMatchObject({ i: 0, j: 7 });
  });

  it('says why there is no heatmap for d ≠ 2', () => {
    const r = record('x', finiteTheta, {
      params: { activation: 'erf', biases: false, layers: [{ weights: [[1], [2]] }, { weights: [[3, 4]] }] },
    });
    expect(functionGrid(r)).toEqual({ unavailable: 'heatmaps need d = 2 inputs; this run has d = 1' });
  });
});

describe('Hessian spectrum', () => {
  it('prefers eigenvalues the record carries', () => {
    const diagnostics = { lambdaMin: -1, lambdaMax: 3, lanczosLambdaMax: 3, hessianEigenvalues: [3, -1, 2] } as unknown as RunDiagnostics;
    const r = record('a', finiteTheta, { diagnostics, checkDiagnostics: [{ step: 10, diagnostics: { ...diagnostics, lambdaMax: 5 } }] });
    expect(hessianSpectrum(r)).toMatchObject({ eigenvalues: [-1, 2, 3], extremesOnly: false, history: [{ step: 10, lambdaMin: -1, lambdaMax: 5 }] });
  });

  it('computes the full spectrum in float64 on the run\'s rebuilt data otherwise', () => {
    const spectrum = hessianSpectrum(record('a', channelTheta(1e-2)));
    if ('unavailable' in spectrum) throw new Error(spectrum.unavailable);
    expect(spectrum.eigenvalues).toHaveLength(9);
    for (let k = 1; k < 9; k++) expect(spectrum.eigenvalues[k]).toBeGreaterThanOrEqual(spectrum.eigenvalues[k - 1]);
    // along a channel λ_max grows like 1/ε²: far larger than at a generic point
    const generic = hessianSpectrum(record('b', finiteTheta));
    if ('unavailable' in generic) throw new Error(generic.unavailable);
    expect(spectrum.eigenvalues[8]).toBeGreaterThan(100 * generic.eigenvalues[8]);
  });
});
