// Run-by-run agreement of two sweeps (GPU float32 against CPU float64): verdict, barrier, closest pair, loss.
import { describe, expect, it } from 'vitest';
import { compareSweeps, formatComparison } from '../../src/experiment/compare.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { formatParameterFile } from '../../src/model/params-file.js';
import type { Architecture } from '../../src/model/architecture.js';

const arch: Architecture = { inputDim: 2, hidden: [3], activation: 'softplus', biases: true };
// θ = [W (3×2), b (3), a (3), c0]; neurons 0 and 1 nearly equal with cancelling output weights: a channel at the barrier
const channelTheta = [0.6, -0.4, 0.6000001, -0.4000001, -0.3, 0.9, 0.1, 0.1, -0.2, 1400, -1400, 0.7, 0.05];
// the same network with neurons 1 and 2 the close pair instead
const otherPairTheta = [-0.3, 0.9, 0.6, -0.4, 0.6000001, -0.4000001, -0.2, 0.1, 0.1, 0.7, 1400, -1400, 0.05];
// the channel network short of the barrier: output weights ±100, weight norm ≈ 770
const shortTheta = channelTheta.map((v) => (Math.abs(v) === 1400 ? Math.sign(v) * 100 : v));
const finiteTheta = [0.6, -0.4, -0.3, 0.9, 0.2, 0.5, 0.1, -0.2, 0.3, 1.1, 0.7, -0.4, 0.05];

function record(id: string, theta: number[], loss: number, weightNorm: number): RunRecord {
  return {
    id,
    configIndex: 0,
    seed: 0,
    config: { architecture: arch, maxnorm: 1000, stop: { gradTol: 1e-5 } },
    backend: 'cpu',
    device: 'test',
    params0: formatParameterFile(arch, theta),
    params: formatParameterFile(arch, theta),
    loss,
    barrier: 0,
    gradInf: 1e-9,
    weightNorm,
    steps: 10,
    evaluations: 60,
    time: 1,
    wallSeconds: 0.1,
    stopReason: 'converged',
    trajectory: [],
    recentParams: [],
  };
}

describe('compareSweeps', () => {
  it('pairs a run with its continuation (channelscope continue), whose id carries its new settings', () => {
    const before = [record('a-s0', shortTheta, 0.05, 770), record('a-s1', finiteTheta, 0.05, 3)];
    const continuation = { ...record('b-s0', channelTheta, 0.05, 999.5), continuedFrom: { folder: 'A', id: 'a-s0', stopReason: 'max-steps', steps: 10, weightNorm: 770, maxnorm: 1000, software: null } };
    for (const [first, second] of [[before, [continuation]], [[continuation], before]] as const) {
      const comparison = compareSweeps(first, second);
      expect(comparison.compared).toBe(1);
      expect(comparison.runs[0].sameBarrier).toBe(false);
    }
    expect(compareSweeps(before, [continuation]).onlyInFirst).toEqual(['a-s1']);
    expect(compareSweeps([continuation], before).onlyInSecond).toEqual(['a-s1']);
  });

  it('agrees on identical ends, and names each kind of difference', () => {
    const cpu = [
      record('same', channelTheta, 0.05, 999.5),
      record('loss', finiteTheta, 0.05, 3),
      record('pair', channelTheta, 0.05, 999.5),
      record('barrier', channelTheta, 0.05, 999.5),
      record('cpu-only', finiteTheta, 0.05, 3),
    ];
    const gpu = [
      record('same', channelTheta, 0.05001, 999.9),
      record('loss', finiteTheta, 0.06, 3),
      record('pair', otherPairTheta, 0.05, 999.5),
      record('barrier', shortTheta, 0.05, 770),
    ];
    const comparison = compareSweeps(cpu, gpu, { lossRtol: 1e-3 });
    expect(comparison.compared).toBe(4);
    expect(comparison.agreeing).toBe(1);
    const byId = new Map(comparison.runs.map((r) => [r.id, r]));
    expect(byId.get('same')!.agree).toBe(true);
    expect(byId.get('loss')!.lossAgrees).toBe(false);
    expect(byId.get('loss')!.sameOutcome).toBe(true);
    expect(byId.get('pair')!.samePair).toBe(false);
    expect(byId.get('pair')!.closestPair).toEqual(['1:0,1', '1:1,2']);
    expect(byId.get('barrier')!.sameBarrier).toBe(false);
    // below the barrier the same network is no channel any more
    expect(byId.get('barrier')!.outcome[0]).toBe('channel');
    expect(byId.get('barrier')!.outcome[1]).not.toBe('channel');
    expect(comparison.differences).toMatchObject({ loss: 1, pair: 1, barrier: 1 });
    expect(comparison.onlyInFirst).toEqual(['cpu-only']);
    const text = formatComparison(comparison, ['cpu', 'gpu']);
    expect(text).toContain('4 runs in both cpu and gpu: 1 end in the same place (25.0%)');
    expect(text).toContain('| pair |');
    // verdicts cross-tabulated: 'barrier' is a channel in cpu; short of the barrier in gpu its pair of equal neurons is a plateau saddle
    expect(text).toContain('| cpu ↓ / gpu → | channel | finite-minimum | plateau-saddle |');
    expect(text).toContain('| channel | 2 | 0 | 1 |');
    // what each side was trained with (these records predate arithmetic and software)
    expect(text).toContain('  cpu trained with cpu, unnamed (records from before they named their code)');
  });

  it('says what each side was trained with: backend, arithmetic and code, each with its runs when several', () => {
    const cpu = [record('a', finiteTheta, 0.05, 3), record('b', finiteTheta, 0.05, 3)].map((r) => ({ ...r, arithmetic: 'float64', software: 'channelscope 0.1.0 (git aaaa)' }));
    const gpu = cpu.map((r, k) => ({ ...r, backend: 'gpu', arithmetic: 'float32, group coordinates', software: k === 0 ? 'channelscope 0.1.0 (git aaaa)' : 'channelscope 0.1.1' }));
    const comparison = compareSweeps(cpu, gpu);
    expect(comparison.trainedWith[0]).toEqual([{ label: 'cpu (float64), channelscope 0.1.0 (git aaaa)', runs: 2 }]);
    const text = formatComparison(comparison, ['A', 'B']);
    expect(text).toContain('  A trained with cpu (float64), channelscope 0.1.0 (git aaaa)\n');
    expect(text).toContain('  B trained with gpu (float32, group coordinates), channelscope 0.1.0 (git aaaa) (1 run); gpu (float32, group coordinates), channelscope 0.1.1 (1 run)\n');
    // a hand-made record without a backend is said to lack one, not "undefined"
    const handMade = cpu.map(({ backend: _backend, ...rest }) => rest as typeof rest & { backend: string });
    expect(formatComparison(compareSweeps(handMade, gpu), ['A', 'B'])).toContain('  A trained with unnamed backend (float64), channelscope 0.1.0 (git aaaa)\n');
  });

  it('compares the cause of a not-converged verdict: a sharpening run and one at the barrier without a cause differ', () => {
    // neuron 0's input vector grows along itself from norm 140 to 170 (a ~ 1/‖ũ‖): sharpening, at the barrier
    const sharpening = (norm: number) => [0.6 * norm, -0.8 * norm, 0.4, 0.9, 0.1, -0.5, 0.3 * norm, 0.2, 0.1, 8 / norm, 0.7, -0.4, 0.05];
    const withHistory = { ...record('s', sharpening(170), 0.05, 0), recentParams: [sharpening(140), sharpening(170)], stopReason: 'barrier' as const };
    withHistory.weightNorm = sharpening(170).reduce((sum, v) => sum + v * v, 0) / (2 * 13);
    expect(withHistory.weightNorm).toBeGreaterThan(990);
    const without = { ...withHistory, recentParams: [] };
    const [run] = compareSweeps([withHistory], [without]).runs;
    expect(run.outcome).toEqual(['not-converged: sharpening', 'not-converged: barrier-without-channel']);
    expect(run.sameOutcome).toBe(false);
    expect(compareSweeps([withHistory], [withHistory]).runs[0].agree).toBe(true);
  });
});
