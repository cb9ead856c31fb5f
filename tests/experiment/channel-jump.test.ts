import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dataFileHashes } from '../../src/experiment/grid.js';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/experiment/results.js';
import type { RunConfig } from '../../src/experiment/spec.js';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import { hessianMatrix, matVec, symmetricEigen } from '../../src/numerics/linalg.js';
import { inputCoordinates, parameterLayout } from '../../src/model/architecture.js';
import { applyNeuronFlips } from '../../src/analysis/channels.js';
import { plantChannel, randomTheta, unit } from '../analysis/helpers.js';
import { makeRandom, normalArray, randomDataset } from '../helpers/random.js';
import { scratchDir } from '../helpers/scratch.js';
import { powerIterationMax } from '../../src/analysis/spectrum.js';
import {
  CHANNEL_JUMP_QUICK,
  channelJumpFromRecord,
  formatChannelJumpMarkdown,
  logLogSlope,
  resolveChannelJumpOptions,
  runChannelJump,
  scaledChannelCoordinates,
  type ChannelJumpRecord,
  type ChannelJumpResult,
} from '../../src/experiment/channel-jump.js';

// The quick preset on the float64 CPU engine: a channel reached by stiff gradient flow from the
// saddle line of a converged 2-neuron g network (γ = 2, pushed along negative curvature; 64 inputs),
// then 8 jumps ε → 0.7ε (ε shrinks 17-fold), each re-equilibrated at fixed ε and Δ (dense Newton:
// up to 128 parameters).
// Theory (science.md): loss − L∞ = ε²h + O(ε⁴) and λ_max ∝ 1/ε², so on log-log axes the slopes
// are 2 and −2; we allow ±0.1 (the O(ε⁴) term and the polish's ‖∇‖∞ ≤ 1e-11 stay far below that here).
describe('channel-jump (quick, CPU engine)', () => {
  const engine = new CpuEngine();
  let result: ChannelJumpResult;
  const streamed: ChannelJumpRecord[] = [];

  it('constructs a channel and re-equilibrates at every jump with ε shrunk by the factor', async () => {
    result = await runChannelJump(CHANNEL_JUMP_QUICK, { engine, onRecord: (record) => void streamed.push(record) });
    expect(result.start.source).toBe('constructed');
    expect(result.start.outcome).toBe('channel');
    expect(result.records.length).toBe(CHANNEL_JUMP_QUICK.jumps + 1);
    expect(streamed).toEqual(result.records);
    for (const record of result.records) {
      expect(record.converged).toBe(true);
      expect(record.gradInf).toBeLessThanOrEqual(CHANNEL_JUMP_QUICK.equilibrate.tol);
    }
    for (let k = 1; k < result.records.length; k++) {
      // ε is held during the polish, so it is exactly the shrunk value
      expect(result.records[k].epsilon / result.records[k - 1].epsilon).toBeCloseTo(CHANNEL_JUMP_QUICK.factor, 10);
    }
  });

  it('loss − L∞ shrinks like ε² and λ_max grows like 1/ε² (log-log slopes 2 and −2 within 0.1)', () => {
    const gaps = result.records.map((r) => r.gap!);
    for (let k = 0; k < gaps.length; k++) {
      expect(gaps[k]).toBeGreaterThan(0);
      if (k > 0) expect(gaps[k]).toBeLessThan(gaps[k - 1]);
    }
    expect(result.slopes.gapVsEpsilon!).toBeGreaterThan(1.9);
    expect(result.slopes.gapVsEpsilon!).toBeLessThan(2.1);
    expect(result.slopes.lambdaMaxVsEpsilon!).toBeGreaterThan(-2.1);
    expect(result.slopes.lambdaMaxVsEpsilon!).toBeLessThan(-1.9);
    // jump by jump too: each ratio within 5% of factor² (gap) and 1/factor² (λ_max)
    const f2 = CHANNEL_JUMP_QUICK.factor ** 2;
    for (let k = 1; k < result.records.length; k++) {
      expect(gaps[k] / gaps[k - 1]).toBeCloseTo(f2, 1);
      expect(Math.abs(gaps[k] / gaps[k - 1] / f2 - 1)).toBeLessThan(0.05);
      expect(Math.abs((result.records[k].lambdaMax / result.records[k - 1].lambdaMax) * f2 - 1)).toBeLessThan(0.05);
    }
    // the network approaches its GLU limit at O(ε²) as well
    const deviations = result.records.map((r) => r.gluDeviation);
    expect(logLogSlope(result.records.map((r) => r.epsilon), deviations)).toBeGreaterThan(1.9);
  });

  it('the GLU coefficients settle (relative change of c and a below 1e-3 over the last jump) and λ_min stays near 0', () => {
    const last = result.records.at(-1)!;
    const before = result.records.at(-2)!;
    const change = (u: number[], v: number[]) => Math.max(...u.map((x, k) => Math.abs(x - v[k]) / Math.max(Math.abs(x), 1e-12)));
    expect(change(last.glu.c, before.glu.c)).toBeLessThan(1e-3);
    expect(change(last.glu.a, before.glu.a)).toBeLessThan(1e-3);
    for (const r of result.records) expect(Math.abs(r.lambdaMin!)).toBeLessThan(1e-6 * r.lambdaMax);
  });

  it('a given network and pair give the same jumps as the constructed start', async () => {
    const setup = { ...CHANNEL_JUMP_QUICK.setup, architecture: { ...CHANNEL_JUMP_QUICK.setup.architecture, hidden: result.arch.hidden } };
    const given = await runChannelJump({ ...CHANNEL_JUMP_QUICK, setup, network: result.start.theta, pair: result.pair, jumps: 2 }, { engine });
    expect(given.start.source).toBe('given');
    given.records.forEach((record, k) => {
      expect(record.epsilon).toBeCloseTo(result.records[k].epsilon, 14);
      expect(Math.abs(record.gap! - result.records[k].gap!)).toBeLessThan(1e-6 * result.records[k].gap!);
    });
  });

  it('keeps the jumps made when a later one cannot be made, and says where and why it stopped', async () => {
    // a shrink by 1e-15 leaves the pair's two outputs equal to rounding: no channel coordinates there
    const setup = { ...CHANNEL_JUMP_QUICK.setup, architecture: { ...CHANNEL_JUMP_QUICK.setup.architecture, hidden: result.arch.hidden } };
    const cut = await runChannelJump({ ...CHANNEL_JUMP_QUICK, setup, network: result.start.theta, pair: result.pair, factor: 1e-15, jumps: 3 }, { engine });
    expect(cut.records).toHaveLength(1);
    expect(cut.stopped).toMatchObject({ jump: 1, reason: expect.stringMatching(/not distinct/) });
    expect(cut.slopes).toEqual({ gapVsEpsilon: null, lambdaMaxVsEpsilon: null });
    expect(formatChannelJumpMarkdown(cut)).toMatch(/\*\*Stopped at jump 1\*\* of 3: carrier 1's output on the data is a combination of the others'/);
    expect(result.stopped).toBeNull();
  });

  it('says where the loss rises along the jumps, and where the slice bends down or is flat to rounding', () => {
    expect(formatChannelJumpMarkdown(result)).not.toMatch(/loss rises|bends down|negative at rounding level/);
    const altered = JSON.parse(JSON.stringify(result)) as ChannelJumpResult;
    altered.records[3].loss = altered.records[2].loss * 1.01;
    altered.records[4] = { ...altered.records[4], residual: null, sliceCurvature: { min: -1e-3, max: 10 } };
    altered.records[5] = { ...altered.records[5], residual: null, sliceCurvature: { min: -1e-11, max: 10 } };
    const markdown = formatChannelJumpMarkdown(altered);
    expect(markdown).toMatch(/\*\*The loss rises at jump 3:\*\* along a channel's bottom it falls as ε shrinks/);
    expect(markdown).toMatch(/At jump 4 \(-0\.00010\) the slice of fixed spread bends down/);
    expect(markdown).toMatch(/At jump 5 \(-1\.0e-12\) the slice's smallest eigenvalue is negative at rounding level/);
    // results written before the slice's curvature (or the residual) was recorded still format
    const older = JSON.parse(JSON.stringify(result)) as ChannelJumpResult;
    for (const record of older.records) {
      delete (record as Partial<ChannelJumpRecord>).sliceCurvature;
      delete (record as Partial<ChannelJumpRecord>).residual;
    }
    expect(formatChannelJumpMarkdown(older)).not.toMatch(/undefined|bends down|rounding level/);
  });

  it('the result is plain JSON with a markdown table per jump', () => {
    const copy = JSON.parse(JSON.stringify(result)) as ChannelJumpResult;
    expect(copy.records).toEqual(result.records);
    const markdown = formatChannelJumpMarkdown(result);
    expect(markdown.split('\n').filter((line) => /^\| \d+ \|/.test(line)).length).toBe(result.records.length);
    expect(markdown).toMatch(/against ε 2\.0\d? \(expected 2\)/);
  });

  it('refuses a given network that does not fit the architecture', async () => {
    await expect(runChannelJump({ ...CHANNEL_JUMP_QUICK, network: result.start.theta }, { engine })).rejects.toThrow(/13 parameters.*hidden \[2\]/);
  });

  it('says so when the construction does not reach a channel, and refuses bad options', async () => {
    // γ = 0.5 lies on the stable segment of this saddle line: the flow falls back onto the line
    await expect(runChannelJump({ ...CHANNEL_JUMP_QUICK, construct: { ...CHANNEL_JUMP_QUICK.construct, gamma: 0.5 } }, { engine })).rejects.toThrow(
      /did not reach a channel.*saddle-line/,
    );
    expect(() => resolveChannelJumpOptions({ factor: 1 })).toThrow(/factor/);
    expect(() => resolveChannelJumpOptions({ jumps: 0 })).toThrow(/jumps/);
  });

  it('follows a channel carried by three neurons (flow sweep r = 4 seed 13): loss − L∞ ∝ ε², λ_max ∝ 1/ε⁴, c, T₁, T₂ held', async () => {
    // the committed float64 record's final parameters; its carriers are chosen on its data
    const sweep = readFileSync(new URL('../../benchmarks/results/flow-cpu-subset/runs.jsonl', import.meta.url), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const record = sweep.find((r: RunRecord) => r.seed === 13 && (r.config as RunConfig).architecture.hidden[0] === 4) as RunRecord;
    const config = record.config as RunConfig;
    const setup = { architecture: { ...config.architecture, hidden: [...config.architecture.hidden] }, data: config.data, maxnorm: config.maxnorm, flow: { solver: 'ros34pw2' as const, rtol: 1e-3, atol: 1e-6 } };
    const three = await runChannelJump({ ...CHANNEL_JUMP_QUICK, setup, network: record.recentParams!.at(-1)!, jumps: 4 }, { engine });
    expect(three.carriers).toEqual({ layer: 0, members: [0, 1, 2] });
    expect(three.records.map((r) => r.limit.order)).toEqual([2, 2, 2, 2, 2]);
    // measured: slopes 1.97 and −3.99 over six jumps; ‖T₂‖ 66.06 … 66.5
    expect(three.slopes.gapVsEpsilon!).toBeGreaterThan(1.8);
    expect(three.slopes.gapVsEpsilon!).toBeLessThan(2.2);
    expect(three.slopes.lambdaMaxVsEpsilon!).toBeGreaterThan(-4.2);
    expect(three.slopes.lambdaMaxVsEpsilon!).toBeLessThan(-3.8);
    const sizes = three.records.map((r) => r.limit.sizes[2][0]);
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeLessThan(1.01);
    for (let k = 1; k < three.records.length; k++) expect(three.records[k].gap!).toBeLessThan(three.records[k - 1].gap!);
    // the network approaches the order-2 limit at O(ε²); the pair's GLU stays O(1) away
    expect(logLogSlope(three.records.map((r) => r.epsilon), three.records.map((r) => r.limitDeviation))).toBeGreaterThan(1.8);
    expect(Math.min(...three.records.map((r) => r.gluDeviation))).toBeGreaterThan(0.1);
    expect(formatChannelJumpMarkdown(three)).toMatch(/3 neurons 0,1,2 \(a limit of order 2\).*\n[^]*expected -4: outgoing weights grow like ε\^-2/);
  });

  it('names a followed run\'s data files where its sweep read them', () => {
    const sweep = readFileSync(new URL('../../benchmarks/results/flow-cpu-subset/runs.jsonl', import.meta.url), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const record = sweep.find((r: RunRecord) => r.seed === 77 && (r.config as RunConfig).architecture.hidden[0] === 8) as RunRecord;
    const config = record.config as RunConfig;
    const fromFiles = { ...record, config: { ...config, data: { ...config.data, samples: undefined, inputs: { kind: 'file', path: 'd.csv' }, teacher: { kind: 'network', params: 'teacher.json', standardize: false } } } } as RunRecord;
    const sweepDir = scratchDir('channelscope-jump-files-');
    writeFileSync(path.join(sweepDir, 'd.csv'), 'x1,x2,y\n0.5,-1,0.2\n1.5,0.25,-0.7\n-0.3,0.8,1.1\n');
    writeFileSync(path.join(sweepDir, 'teacher.json'), JSON.stringify(record.params));
    const followed = channelJumpFromRecord(fromFiles, CHANNEL_JUMP_QUICK, { baseDir: sweepDir });
    expect(followed.setup.data).toMatchObject({ inputs: { kind: 'file', path: `${sweepDir}/d.csv` }, teacher: { kind: 'network', params: `${sweepDir}/teacher.json` } });
    // folders from before the base was recorded: as the record names them (here: not found from the working directory)
    expect(() => channelJumpFromRecord(fromFiles, CHANNEL_JUMP_QUICK)).toThrow(/cannot read d\.csv/);
    // a data file edited since its sweep trained on it is refused: the channel would be followed on other data
    const trainedOn = dataFileHashes([{ config: fromFiles.config as RunConfig, seed: 77 }], { baseDir: sweepDir });
    writeFileSync(path.join(sweepDir, 'd.csv'), 'x1,x2,y\n0.5,-1,0.2\n1.5,0.25,-0.7\n-0.3,0.8,9.9\n');
    expect(() => channelJumpFromRecord(fromFiles, CHANNEL_JUMP_QUICK, { baseDir: sweepDir, trainedOn })).toThrow(/d\.csv changed since the runs were trained on it \(content hash then [0-9a-f]{16}, now [0-9a-f]{16}\)/);
  });

  it('follows three carriers that are not collinear (flow sweep r = 8 seed 77) to λ_max 2e12: the rescale keeps the loss, the gap halves at every one of 12 jumps', async () => {
    // at the barrier its middle neuron sits off the line of the outer two by half the spread and
    // T_3 is 1.2 against T_2 7.3: the moment equations have no solution and, before the rescale was
    // fitted on the data, the first jump's start had loss 200 (from 0.0118) and Newton–CG stalled.
    // Before the re-equilibration ran in channel coordinates the gap's local slope rolled off past
    // λ_max ≈ 1e9 (1.84 at jump 8, 0.79 at jump 12): θ's Hessian rounded away the flat directions.
    const sweep = readFileSync(new URL('../../benchmarks/results/flow-cpu-subset/runs.jsonl', import.meta.url), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const record = sweep.find((r: RunRecord) => r.seed === 77 && (r.config as RunConfig).architecture.hidden[0] === 8) as RunRecord;
    const bent = await runChannelJump(channelJumpFromRecord(record, { ...CHANNEL_JUMP_QUICK, jumps: 12 }), { engine });
    expect(bent.carriers).toEqual({ layer: 0, members: [0, 1, 6] });
    expect(bent.records.at(-1)!.lambdaMax).toBeGreaterThan(1e12);
    for (const jump of bent.records) expect(jump.solver).toBe('newton-dense');
    // up to λ_max ≈ 4e8 (jump 6) every re-equilibration meets its tolerance and what it may have
    // left is far below the gap; beyond, a flat direction of the fixed-spread slice is below
    // float64's resolution (its curvature falls like ε⁴) and the decrement counts rounding
    for (const jump of bent.records.slice(0, 7)) {
      expect(jump.converged).toBe(true);
      expect(jump.residual!).toBeLessThan(0.01 * jump.gap!);
    }
    // measured: 5.73e-6, 2.86e-6, 1.42e-6, 6.98e-7, 3.43e-7, 1.68e-7 … 1.13e-9: × 0.49–0.50 per jump (0.7² = 0.49), local slopes 1.95–2.01
    for (let k = 1; k < bent.records.length; k++) expect(bent.records[k].gap! / bent.records[k - 1].gap!).toBeCloseTo(0.49, 1);
    expect(Math.abs(bent.slopes.gapVsEpsilon! - 2)).toBeLessThan(0.02);
    expect(Math.abs(bent.slopes.lambdaMaxVsEpsilon! + 4)).toBeLessThan(0.05);
    // the loss falls along the channel from the first jump on
    for (let k = 1; k < bent.records.length; k++) expect(bent.records[k].loss).toBeLessThan(bent.records[k - 1].loss);
  });

  it('follows a channel carried by four neurons (flow sweep r = 8 seed 80, trained on to the barrier 1e7): offsets shrink alike, the loss falls at every jump, λ_max ∝ 1/ε⁴ (an order-2 limit)', async () => {
    // a centre neuron with three around it, offsets O(ε) in two directions (T2 of rank 2): the
    // three-carrier rescale (transverse offsets by factor²) raised the loss by 38% at the first jump
    const runs = readFileSync(new URL('../../benchmarks/results/four-neuron-groups-1e7/runs.jsonl', import.meta.url), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const record = runs.find((r: RunRecord) => r.seed === 80) as RunRecord;
    const four = await runChannelJump(channelJumpFromRecord(record, { ...CHANNEL_JUMP_QUICK, jumps: 3 }), { engine });
    expect(four.carriers.members).toHaveLength(4);
    for (let k = 1; k < four.records.length; k++) {
      expect(four.records[k].loss).toBeLessThan(four.records[k - 1].loss);
      // measured: gaps 1.50e-6, 7.23e-7, 3.59e-7, 1.84e-7 (local slopes 2.04, 1.96, 1.87: the limit's c, T1, T2 still drift)
      expect(four.records[k].gap! / four.records[k - 1].gap!).toBeGreaterThan(0.4);
      expect(four.records[k].gap! / four.records[k - 1].gap!).toBeLessThan(0.56);
      // the order-3 term dies like ε: T3 shrinks by the factor
      expect(four.records[k].limit.sizes[3][0] / four.records[k - 1].limit.sizes[3][0]).toBeCloseTo(CHANNEL_JUMP_QUICK.factor, 1);
    }
    // measured −4.17: outgoing weights ∝ ε^−2, not the ε^−3 of an order-3 limit
    expect(four.slopes.lambdaMaxVsEpsilon!).toBeGreaterThan(-4.5);
    expect(four.slopes.lambdaMaxVsEpsilon!).toBeLessThan(-3.8);
    expect(formatChannelJumpMarkdown(four)).toMatch(/−4 where the fourth carrier only shapes an order-2 limit/);
  });

  it('says when the classifier compared neurons reflected (softplus): the network is followed as it is (flow sweep r = 8 seed 43)', async () => {
    const sweep = readFileSync(new URL('../../benchmarks/results/flow-cpu-subset/runs.jsonl', import.meta.url), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const record = sweep.find((r: RunRecord) => r.seed === 43 && (r.config as RunConfig).architecture.hidden[0] === 8) as RunRecord;
    const result = await runChannelJump(channelJumpFromRecord(record, { ...CHANNEL_JUMP_QUICK, jumps: 1 }), { engine });
    expect(result.symmetry).toEqual({ kind: 'reflection', neurons: [{ layer: 0, neuron: 2 }, { layer: 0, neuron: 5 }], applied: false });
    // not applied: the followed network starts as recorded
    expect(result.start.theta).toEqual(record.recentParams!.at(-1));
    // the raw network's pair; L∞ of its GLU lies above the loss (the verdict's channel is carried by four neurons, reflected)
    expect(result.carriers.members).toEqual([2, 5]);
    expect(result.gapSign).toBe(-1);
    expect(formatChannelJumpMarkdown(result)).toMatch(/compares neurons 2, 5 of layer 1 reflected \(softplus\(z\) = softplus\(−z\) \+ z[^]*may differ from the verdict's/);
  });

  it('flips neurons of an odd σ as the classifier does (the same function) before choosing the carriers', async () => {
    // an erf channel pair (1, 3) planted at ε = 0.05, then neuron 3 flipped: (ũ, o) → (−ũ, −o) computes
    // the same, but as it is, its input points away from neuron 1's (no close pair)
    const arch = { inputDim: 2, hidden: [4], activation: 'erf' as const, biases: true };
    const planted = plantChannel(arch, randomTheta(arch, 4), { layer: 0, i: 1, j: 3, w: Float64Array.of(0.6, -0.5, 0.2), delta: unit([0.3, 0.4, -0.5]), epsilon: 0.05, c: Float64Array.of(0.7), a: Float64Array.of(1.1) });
    const flipped = applyNeuronFlips(arch, planted, [[false, false, false, true]]);
    const setup = { ...CHANNEL_JUMP_QUICK.setup, architecture: { ...arch, hidden: [4] } };
    const result = await runChannelJump({ ...CHANNEL_JUMP_QUICK, setup, network: Array.from(flipped), jumps: 1 }, { engine });
    // one of the two is flipped (the classifier's canonical orientation picks which)
    expect(result.symmetry).toMatchObject({ kind: 'odd', applied: true });
    expect(result.symmetry!.neurons).toHaveLength(1);
    expect([1, 3]).toContain(result.symmetry!.neurons[0].neuron);
    expect(result.carriers).toEqual({ layer: 0, members: [1, 3] });
    expect(formatChannelJumpMarkdown(result)).toMatch(/Neuron [13] of layer 1 was flipped, \(ũ, o\) → \(−ũ, −o\)/);
  });

  it('re-equilibrates in channel coordinates: the pair\'s difference held, the dense Hessian the one its HVPs build (1e-10 relative), unit |curvature| per direction', () => {
    // d = 2, one hidden layer of 3: neurons 0 and 2 a pair at ε = 0.01 (outgoing weights ±55)
    const arch = { inputDim: 2, hidden: [3], activation: 'softplus' as const, biases: true };
    const data = randomDataset(makeRandom(3), 2, 40);
    const theta = plantChannel(arch, randomTheta(arch, 4), { layer: 0, i: 0, j: 2, w: Float64Array.of(0.6, -0.5, 0.2), delta: unit([0.3, 0.4, -0.5]), epsilon: 0.01, c: Float64Array.of(0.7), a: Float64Array.of(1.1) });
    const coordinates = scaledChannelCoordinates(arch, data, theta, { layer: 0, members: [0, 2] }, { first: 0, last: 1 });
    const Q = coordinates.columns;
    expect(Q).toBe(theta.length - 3);
    const y = normalArray(makeRandom(8), Q, 0.01);
    expect(Array.from(coordinates.theta(new Float64Array(Q)))).toEqual(Array.from(theta));
    const moved = coordinates.theta(y);
    const [rowsI, rowsJ] = [inputCoordinates(parameterLayout(arch), 0, 0), inputCoordinates(parameterLayout(arch), 0, 2)];
    rowsI.forEach((row, t) => expect(moved[row] - moved[rowsJ[t]]).toBeCloseTo(theta[row] - theta[rowsJ[t]], 14));
    const dense = coordinates.hessian!(y);
    const fromHvps = hessianMatrix((v, out) => out.set(coordinates.hvp(y, v)), Q);
    const scale = Math.max(...fromHvps.map(Math.abs));
    for (let k = 0; k < Q * Q; k++) expect(Math.abs(dense[k] - fromHvps[k])).toBeLessThan(1e-10 * scale);
    // every direction scaled to unit |curvature| where it starts (this random network is no equilibrium: some are negative)
    const start = coordinates.hessian!(new Float64Array(Q));
    for (let q = 0; q < Q; q++) expect(Math.abs(start[q * Q + q])).toBeCloseTo(1, 10);
  });

  it('power iteration until it settles (used above 320 parameters) finds λ_max of a matrix with one dominant eigenvalue', () => {
    const n = 30;
    const random = makeRandom(7);
    const g = normalArray(random, n * n);
    // GᵀG/n plus a rank-one spike: λ_max well separated, like a channel's stiff direction
    const a = new Float64Array(n * n);
    const spike = normalArray(random, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += g[k * n + i] * g[k * n + j];
      a[i * n + j] = sum / n + 50 * spike[i] * spike[j];
    }
    const exact = symmetricEigen(a, n).values[n - 1];
    expect(powerIterationMax((v, out) => matVec(a, n, v, out), n, 300, 0, 1e-10)).toBeCloseTo(exact, 6);
  });
});
