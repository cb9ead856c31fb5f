// channelscope analyze: a network trained elsewhere gets diagnostics, a verdict and its GLU limit.
import { readFileSync, writeFileSync } from 'node:fs';
import { analyzeNetworkFiles, formatNetworkAnalysis } from '../../src/experiment/analyze-network.js';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatParameterFile } from '../../src/model/params-file.js';
import { runCli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const dir = scratchDir('channelscope-analyze-');
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

  it('says when a network lies beyond the barrier it is judged by, and gives relu no GLU limit (σ″ = 0: no channel)', async () => {
    const params = file('c.json', JSON.stringify(formatParameterFile(arch, channel)));
    const data = file('d.csv', csv);
    // output weights ±1200: weight norm 1.6e5, far past analyze's default maxnorm 1000
    const beyond = await runCli(['analyze', '--params', params, '--data', data]);
    expect(beyond.stdout).toMatch(/verdict {6}channel .*: weightnorm 1\.60e\+5 beyond the barrier \(maxnorm 1\.00e\+3\)/);
    expect(beyond.stdout).toMatch(/note {9}the weight norm lies beyond maxnorm 1000\.0, so the barrier term dominates the loss and gradient: give --maxnorm/);
    expect(beyond.stdout).toMatch(/loss at infinity \(output weights refit\) \d/);
    const { weightNorm } = JSON.parse((await runCli(['analyze', '--params', params, '--data', data, '--json'])).stdout);
    const trainedUnder = await runCli(['analyze', '--params', params, '--data', data, '--maxnorm', String(weightNorm)]);
    expect(trainedUnder.stdout).toMatch(/weightnorm 1\.60e\+5 at the barrier \(> 1\.58e\+5\)/);
    expect(trainedUnder.stdout).not.toMatch(/note|beyond/);
    // a run's own barrier: overshot by a discrete optimiser's step, not a barrier to give
    const ofRun = formatNetworkAnalysis({ ...analyzeNetworkFiles({ name: 'c.json', text: readFileSync(params, 'utf8') }, { name: 'd.csv', text: csv }, 1000), maxnormOfRun: true });
    expect(ofRun.join('\n')).toMatch(/note {9}the weight norm lies beyond the run's own barrier maxnorm 1000\.0: a discrete optimiser's step can overshoot it/);
    const relu = file('relu.json', JSON.stringify(formatParameterFile({ ...arch, activation: 'relu' }, channel)));
    const reluText = await runCli(['analyze', '--params', relu, '--data', data, '--maxnorm', String(weightNorm)]);
    expect(reluText.stdout).toMatch(/verdict {6}not-converged: relu has no channels/);
    expect(reluText.stdout).not.toMatch(/GLU limit|loss at infinity/);
    const reluJson = JSON.parse((await runCli(['analyze', '--params', relu, '--data', data, '--json'])).stdout);
    expect(reluJson).toMatchObject({ glu: null, channelLimit: null });
  });

  it('classifies with other thresholds when asked (--thresholds), and refuses bad ones with exit code 2 naming the file', async () => {
    const params = file('c.json', JSON.stringify(formatParameterFile(arch, channel)));
    const data = file('d.csv', csv);
    // the pair of equal neurons lies at a positive cosine distance (measured 3.0e-7): no channel when the
    // criterion asks for 0, and the verdict says it is the missing close pair that decided
    const tight = JSON.parse((await runCli(['analyze', '--params', params, '--data', data, '--thresholds', 'cosine=0,strictCosine=0', '--json'])).stdout);
    expect(tight.verdict).toMatchObject({ outcome: 'not-converged', cause: 'barrier-without-channel' });
    expect(tight.verdict.reason).toMatch(/without the channel signature: no close pair \(the closest pair of equal neurons at cosine distance \d\.\d+e-\d+ ≥ 0\.00\)$/);
    expect(tight.verdict.evidence.thresholds).toMatchObject({ cosine: 0, strictCosine: 0 });
    // the text says which criteria decided, beside their defaults (and names the strict one it applied)
    const tightText = (await runCli(['analyze', '--params', params, '--data', data, '--thresholds', 'cosine=0.5,strictCosine=1e-6'])).stdout;
    expect(tightText).toMatch(/\nthresholds {3}cosine=0\.5 \(default 0\.01\), strictCosine=1e-6 \(default 1e-3\)\n/);
    expect(tightText).toMatch(/verdict {6}channel \(also by the strict 1e-6 criterion\)/);
    expect((await runCli(['analyze', '--params', params, '--data', data])).stdout).not.toMatch(/\nthresholds /);
    const bad = await runCli(['analyze', '--params', params, '--data', data, '--thresholds', 'cosines=0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--thresholds: "cosines" is not a classification threshold/);
    const badCsv = await runCli(['analyze', '--params', params, '--data', file('bad.csv', 'x1,x2,y\n1,2\n')]);
    expect(badCsv.code).toBe(2);
    expect(badCsv.stderr).toContain(`${path.join(dir, 'bad.csv')}: line 2 has 2 columns, expected 3`);
  });

  it('names every channel of a network with two: the GLU of the one with the largest outgoing weights, and the other', async () => {
    // θ = [W (4×2), b (4), a (4), c0]: pairs (0, 1) at ε = 5e-4, outgoing ±1200, and (2, 3) at ε = 1e-3, outgoing ±300
    const two = [0.6 + epsilon, -0.4, 0.6 - epsilon, -0.4, -0.3, 0.7 + 1e-3, -0.3, 0.7 - 1e-3, 0.1, 0.1, -0.2, -0.2, 0.2 + 1200, 0.2 - 1200, 0.1 + 300, 0.1 - 300, 0.05];
    const { code, stdout } = await runCli(['analyze', '--params', file('two.json', JSON.stringify(formatParameterFile({ ...arch, hidden: [4] }, two))), '--data', file('d.csv', csv)]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/GLU limit {4}pair 0,1 of layer 1: ε 5\.000e-4/);
    expect(stdout).toMatch(/also {9}a channel of neurons 2,3 of layer 1: closest at \d\.\d{3}e-\d, outgoing weights 300\.10, -299\.90 \(the GLU above is of the channel with the largest outgoing weights\)/);
    // softplus compares no neuron flipped here: no symmetry line
    expect(stdout).not.toMatch(/^symmetry/m);
  });

  it('d = 1 without biases: two erf neurons 43% apart with outgoing ±63 at the barrier are no channel (their scalars, not their cosine 0, decide)', async () => {
    const line = { inputDim: 1, hidden: [2], activation: 'erf' as const, biases: false };
    const data = `x1,y\n${Array.from({ length: 20 }, (_, n) => `${(n - 10) / 5},${Math.tanh((n - 10) / 4)}`).join('\n')}\n`;
    const { code, stdout } = await runCli(['analyze', '--params', file('line.json', JSON.stringify(formatParameterFile(line, [2, 3.5, 63, -63]))), '--data', file('line.csv', data)]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^verdict {6}not-converged: /m);
    // erf's sign symmetry flips no neuron of this network: no symmetry line, not an empty one
    expect(stdout).not.toMatch(/^symmetry/m);
  });

  it('names the neurons that carry a channel: the pair, or three on a second-difference stencil with their order-2 limit', async () => {
    const pair = JSON.parse((await runCli(['analyze', '--params', file('c.json', JSON.stringify(formatParameterFile(arch, channel))), '--data', file('d.csv', csv), '--json'])).stdout);
    expect(pair.channelLimit).toMatchObject({ layer: 0, members: [0, 1], order: 1 });
    expect(pair.channelLimit.maxDeviation).toBeCloseTo(pair.glu.maxDeviation, 14);
    // θ = [W (3×2), b (3), a (3), c0]: ũ = (0.6 + sε, −0.4, 0.1), s = −1, 0, 1, ε = 0.01, and output
    // weights A·(1, −2, 1) + B·(−1, 0, 1) + c/3 with A = 0.9/ε², B = 1.3/(2ε), c = 0.8
    const e = 0.01;
    const [A, B] = [0.9 / e ** 2, 1.3 / (2 * e)];
    const three = [0.6 - e, -0.4, 0.6, -0.4, 0.6 + e, -0.4, 0.1, 0.1, 0.1, A - B + 0.8 / 3, -2 * A + 0.8 / 3, A + B + 0.8 / 3, 0.05];
    const params = file('three.json', JSON.stringify(formatParameterFile({ ...arch, hidden: [3] }, three)));
    const text = await runCli(['analyze', '--params', params, '--data', file('d.csv', csv)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/channel {6}carried by 3 neurons, 0,1,2 of layer 1: limit of order 2, c·σ\(w̄·x̃\) \+ \(v·x̃\)·σ′\(w̄·x̃\) \+ ½\(x̃ᵀMx̃\)·σ″\(w̄·x̃\)/);
    // c, ‖T1‖ = |a|·‖Δ‖ = 1.3, ‖T2‖ = 2m + 2cε²/3 = 1.80005 (Δ along the first input: ‖Δ⊗Δ‖ = 1)
    expect(text.stdout).toMatch(/c 0\.80000, ‖T1‖ 1\.3000, ‖T2‖ 1\.8001, ‖T3‖ 1\.300e-4/);
    // the carriers lie on a line: M = T2 = 1.80005·Δ⊗Δ, rank 1
    expect(text.stdout).toMatch(/M = T2 has eigenvalues 1\.8001, (-?0\.0000|-?\d\.\d+e-\d+), (-?0\.0000|-?\d\.\d+e-\d+) \(rank 1 when the carriers lie on a line\)/);
    const json = JSON.parse((await runCli(['analyze', '--params', params, '--data', file('d.csv', csv), '--json'])).stdout);
    expect(json.channelLimit.members).toEqual([0, 1, 2]);
    expect(json.channelLimit.candidates.map((c: { members: number[] }) => c.members)).toEqual([[1, 2], [0, 1, 2]]);
    // O(ε²) from the network, while the GLU of the pair (1, 2), the largest weights of each sign, leaves a third of the stencil unexplained
    // (measured 2.2e-6 and 0.026 on these 30 samples)
    expect(json.channelLimit.maxDeviation).toBeLessThan(1e-5);
    expect(json.glu.maxDeviation).toBeGreaterThan(1e-2);
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
    expect(moving.stdout).toMatch(/sharpening {3}neurons 0 of layer 1 \(‖ũ‖ 177\.\d+\) tend to a kink\n {13}max \|f − f_limit\| on the data .*; loss at infinity \(output weights refit\) \d/);
    // where the motion went: all of it on neuron 0 (input vector and outgoing weight), nothing on the rest
    expect(moving.stdout).toMatch(/motion {7}‖Δθ‖ \d+\.\d+ over the recent history: neuron 0 of layer 1 \(z ∈ \[-?\d+\.\d+, \d+\.\d+\]\) 100\.0% \(each part's ‖Δθ‖ over the whole's/);
    expect(alone.stdout).not.toContain('"motion": {');
    const json = await runCli(['analyze', '--params', params('s170.json', 170), '--previous', params('s150.json', 150), '--data', file('d.csv', csv), '--json']);
    const limit = JSON.parse(json.stdout).sharpening;
    expect(limit).toMatchObject({ shape: 'kink', neurons: [{ layer: 0, neuron: 0 }] });
    // a softplus neuron with output weight o = 8/170 is within |o|·log 2 of its kink s·relu(ẑ)
    expect(limit.maxDeviation).toBeLessThanOrEqual((8 / 170) * Math.LN2);
    // refit output weights of the kinked network: a loss, between 0 and this network's (measured 0.344866; float64, deterministic)
    expect(limit.lossAtInfinity).toBeCloseTo(0.344866, 5);
    // an earlier file of another network is refused, naming both architectures
    const other = await runCli(['analyze', '--params', params('s170.json', 170), '--previous', file('c.json', JSON.stringify(formatParameterFile(arch, channel))), '--data', file('d.csv', csv)]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/c\.json: an earlier parameter file must have the network's architecture/);
  });

  it('analyzes a run of a sweep by its id: the report\'s verdict, on the rebuilt data, with the run\'s recent motion', async () => {
    // committed float64 records: r = 4 seed 13 of examples/flow-sweep.json, a channel of three neurons
    const folder = 'benchmarks/results/flow-cpu-subset';
    const text = await runCli(['analyze', '--run', folder, '--id', 'ef8dcaf39579-s13']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^run {10}ef8dcaf39579-s13 of benchmarks\/results\/flow-cpu-subset: seed 13, stopped by barrier after 4000 steps\n/);
    expect(text.stdout).toMatch(/1024 samples/);
    // the run's recent parameters are its history: the subspace criterion is checked, not skipped
    expect(text.stdout).toMatch(/verdict {6}channel .*100% of ‖Δθ‖ along the channel/);
    expect(text.stdout).toMatch(/channel {6}carried by 3 neurons, 0,1,2 of layer 1/);
    const json = JSON.parse((await runCli(['analyze', '--run', folder, '--id', 'ef8dcaf39579-s13', '--json'])).stdout);
    expect(json).toMatchObject({ run: 'ef8dcaf39579-s13', seed: 13, stopReason: 'barrier', maxnorm: 1000, samples: 1024, channelLimit: { members: [0, 1, 2], order: 2 } });
    expect(json.loss).toBeCloseTo(0.2215077, 6);
    // judged on the run's own facts, as the report judges it: r = 8 seed 81 stopped as converged at
    // ‖∇‖∞ 1.2e-13 while its norm still crept (0.03% over the last interval); read afresh, that
    // creep would make it "still moving", the report (and so analyze --run) calls it a finite minimum
    const converged = JSON.parse((await runCli(['analyze', '--run', 'benchmarks/results/flow-cpu-rest', '--id', '4c790c4ced5f-s81', '--json'])).stdout);
    expect(converged.verdict.outcome).toBe('finite-minimum');
  });

  it("reads the README's example files (examples/network: run ef8dcaf39579-s11 of the committed sweep, written out) as that run is analysed", async () => {
    // (written by: its final parameters, the first of its recent ones, its rebuilt data as CSV)
    const files = await runCli(['analyze', '--params', 'examples/network/channel.json', '--data', 'examples/network/data.csv', '--previous', 'examples/network/channel-earlier.json']);
    const run = await runCli(['analyze', '--run', 'benchmarks/results/flow-cpu-subset', '--id', 'ef8dcaf39579-s11']);
    expect([files.code, run.code]).toEqual([0, 0]);
    expect(files.stdout).toMatch(/^verdict {6}channel \(also by the strict 1e-3 criterion\)/m);
    expect(files.stdout).toMatch(/^GLU limit {4}pair 1,2 of layer 1/m);
    // the same lines, but the run's own first one
    expect(files.stdout).toBe(run.stdout.slice(run.stdout.indexOf('\n') + 1));
  });

  it('refuses a run that is not there, half of either form, both forms, and --previous with --run (exit code 2)', async () => {
    const missing = await runCli(['analyze', '--run', 'benchmarks/results/flow-cpu-subset', '--id', 'nope-s1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/analyze: benchmarks\/results\/flow-cpu-subset has no run "nope-s1" \(165 runs, e\.g\. /);
    const empty = await runCli(['analyze', '--run', dir, '--id', 'x']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/holds no runs\.jsonl/);
    const forms = [
      [['--run', dir], ': --id RUN is missing'],
      [['--id', 'x'], ': --run DIR is missing'],
      [['--params', file('c.json', JSON.stringify(formatParameterFile(arch, channel)))], ': --data D.csv is missing'],
      [['--data', 'd.csv'], ': --params P.json is missing'],
      [['--params', 'p.json', '--data', 'd.csv', '--run', dir, '--id', 'x'], ', not both (--params and --data with --run and --id)'],
      [['--data', 'd.csv', '--run', dir], ', not both (--data with --run)'],
      [[], ': give one of the two'],
    ] as const;
    for (const [args, why] of forms) {
      const result = await runCli(['analyze', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toBe(`channelscope: analyze takes a network as --params P.json --data D.csv, or a run of a sweep as --run DIR --id RUN${why}\n`);
    }
    const previous = await runCli(['analyze', '--run', dir, '--id', 'x', '--previous', 'p.json']);
    expect(previous.code).toBe(2);
    expect(previous.stderr).toMatch(/--previous goes with --params/);
  });

  it('refuses a diverged run, saying what was kept of it (exit code 2)', async () => {
    const spec = { architecture: { inputDim: 1, hidden: 2, activation: 'erf', biases: false }, data: { inputs: { kind: 'normal' }, teacher: { kind: 'toy-1d' }, samples: 16 }, optimizer: { kind: 'gd', lr: 1000 }, stop: { maxSteps: 50, checkEvery: 10 }, seeds: 1 };
    const folder = path.join(dir, 'diverged');
    expect((await runCli(['run', file('diverging.json', JSON.stringify(spec)), '--out', folder, '--backend', 'cpu'])).code).toBe(0);
    const record = JSON.parse(readFileSync(path.join(folder, 'runs.jsonl'), 'utf8'));
    expect(record.stopReason).toBe('diverged');
    const result = await runCli(['analyze', '--run', folder, '--id', record.id]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`channelscope: run ${record.id} diverged: a value turned non-finite and the run stopped at its last finite point, which is no trained network to analyze\n`);
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
