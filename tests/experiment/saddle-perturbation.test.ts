import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import {
  formatSaddlePerturbationMarkdown,
  resolveSaddlePerturbationOptions,
  runSaddlePerturbation,
  SADDLE_PERTURBATION_QUICK,
  type SaddlePerturbationRecord,
  type SaddlePerturbationResult,
} from '../../src/experiment/saddle-perturbation.js';

// The quick preset on the float64 CPU engine: d = 2, activation g with biases, 2 → 3 neurons on the
// Rosenbrock teacher over 64 normal inputs, seven γ. What it shows reliably (deterministic runs):
//   - γ where θ_γ has no negative curvature (the stable segment, here γ ∈ (0, 1)) fall back to the
//     saddle line: same loss, the closest pair merges back into θ*;
//   - γ with clearly negative curvature leave the line and lower the loss; pushed the −1 way they
//     enter a channel (at the barrier, closest pair at cosine < 1e-2, opposite output weights).
// Which of channel or finite minimum the unstable γ reach depends on the side of the push (checked
// below for both) and on θ*: a quick run cannot give channel fractions, only this dichotomy.
describe('saddle-perturbation (quick, CPU engine)', () => {
  const engine = new CpuEngine();
  let result: SaddlePerturbationResult;
  const streamed: SaddlePerturbationRecord[] = [];

  it('runs every γ as one ensemble and classifies each end', async () => {
    result = await runSaddlePerturbation(SADDLE_PERTURBATION_QUICK, { engine, onRecord: (record) => void streamed.push(record) });
    expect(result.base.polish.converged).toBe(true);
    // (its θ* is one neuron twice, which the result says)
    expect(result.notes).toEqual([expect.stringMatching(/^θ\* is a plateau saddle, not a minimum of its 2 neurons: neurons 0 and 1 have the same input weights \(relative distance .*\), so it computes a network of one neuron fewer/)]);
    expect(result.base.gradInf).toBeLessThanOrEqual(SADDLE_PERTURBATION_QUICK.polish.tol);
    expect(result.table.map((row) => row.gamma)).toEqual(SADDLE_PERTURBATION_QUICK.gammas);
    expect(streamed.map((record) => record.gamma)).toEqual(SADDLE_PERTURBATION_QUICK.gammas);
    // the saddle line itself: same loss and zero gradient at every γ before the push
    for (const point of result.line) {
      expect(Math.abs(point.loss - result.base.loss)).toBeLessThanOrEqual(1e-12 * result.base.loss);
      expect(point.gradInf).toBeLessThanOrEqual(1e-9);
    }
    // the push is small: the start loss moves by O(perturbation²)
    for (const row of result.table) expect(Math.abs(row.startLoss - result.base.loss)).toBeLessThan(1e-5);
  });

  it('stable γ fall back to the saddle line; unstable γ leave it, lower the loss and enter a channel', () => {
    const stable = result.table.filter((row) => row.lambdaMin! >= -1e-9 * row.lambdaMax!);
    const unstable = result.table.filter((row) => row.lambdaMin! < -1e-3);
    expect(stable.length).toBeGreaterThan(0);
    expect(unstable.length).toBeGreaterThan(0);
    expect(stable.length + unstable.length).toBe(result.table.length);
    for (const row of stable) {
      expect(row.fate).toBe('saddle-line');
      expect(Math.abs(row.relativeLossChange)).toBeLessThanOrEqual(1e-3);
      // at θ*'s loss itself (θ* is degenerate: the merged network can sit up to ~20% from it, on the same level)
      expect(Math.abs(row.relativeLossChange)).toBeLessThanOrEqual(1e-9);
    }
    for (const row of unstable) {
      expect(row.fate).not.toBe('saddle-line');
      expect(row.relativeLossChange).toBeLessThan(-1e-3);
    }
    const channels = unstable.filter((row) => row.fate === 'channel');
    expect(channels.length).toBeGreaterThan(0);
    for (const row of channels) {
      expect(row.weightNorm).toBeGreaterThan(0.99 * SADDLE_PERTURBATION_QUICK.maxnorm!);
      expect(row.minCosine).toBeLessThan(1e-2);
    }
    expect(result.fates['saddle-line'] + result.fates.channel + result.fates.minimum).toBe(result.table.length);
  });

  it('θ_γ and θ_{1−γ} are the same network with the copies swapped, so they end alike', () => {
    // the quick γ (−1, −0.5, 0.25, 0.5, 0.75, 1.5, 2) are symmetric about ½: every row has its mirror
    let compared = 0;
    for (const row of result.table) {
      const mirror = result.table.find((other) => Math.abs(other.gamma - (1 - row.gamma)) < 1e-12);
      expect(mirror, `the mirror of γ = ${row.gamma}`).toBeDefined();
      expect(mirror!.fate).toBe(row.fate);
      expect(Math.abs(mirror!.finalLoss - row.finalLoss)).toBeLessThanOrEqual(1e-6 * row.finalLoss);
      compared++;
    }
    expect(compared).toBe(SADDLE_PERTURBATION_QUICK.gammas.length);
  });

  it('the result is plain JSON and has a markdown table with a row per γ', () => {
    const copy = JSON.parse(JSON.stringify(result)) as SaddlePerturbationResult;
    expect(copy.table).toEqual(result.table);
    expect(copy.base.theta).toEqual(result.base.theta);
    const markdown = formatSaddlePerturbationMarkdown(result);
    const rows = markdown.split('\n').filter((line) => /^\| -?\d/.test(line));
    expect(rows.length).toBe(result.table.length);
    expect(markdown).toContain('| channel |');
    expect(markdown).toContain('| saddle-line |');
  });

  it('pushed the other way, the unstable γ reach a lower finite minimum instead', async () => {
    const other = await runSaddlePerturbation({ ...SADDLE_PERTURBATION_QUICK, direction: 1 }, { engine });
    // the same θ_γ as the −1 push: both kinds of γ occur, so both branches below are checked
    expect(other.table.map((row) => row.gamma)).toEqual(SADDLE_PERTURBATION_QUICK.gammas);
    expect(other.fates['saddle-line']).toBeGreaterThan(0);
    expect(other.fates.minimum).toBeGreaterThan(0);
    expect(other.fates['saddle-line'] + other.fates.minimum).toBe(other.table.length);
    for (const row of other.table) {
      if (row.lambdaMin! >= -1e-9 * row.lambdaMax!) expect(row.fate).toBe('saddle-line');
      else {
        expect(row.fate).toBe('minimum');
        expect(row.weightNorm).toBeLessThan(0.5 * SADDLE_PERTURBATION_QUICK.maxnorm!);
      }
    }
  });

  it('says so when θ* is not a critical point (training and polish cut short)', async () => {
    const short = await runSaddlePerturbation(
      { ...SADDLE_PERTURBATION_QUICK, train: { ...SADDLE_PERTURBATION_QUICK.train, maxSteps: 3 }, polish: { tol: 1e-10, maxIterations: 0 }, gammas: [0.5] },
      { engine },
    );
    expect(short.base.polish.converged).toBe(false);
    expect(short.base.gradInf).toBeGreaterThan(1e-6);
    expect(short.notes.join(' ')).toMatch(/not a critical point/);
    expect(formatSaddlePerturbationMarkdown(short)).toMatch(/Note: Newton–CG stopped by max-iterations/);
  });

  it('refuses options it cannot run', () => {
    expect(() => resolveSaddlePerturbationOptions({ gammas: [] })).toThrow(/at least one γ/);
    expect(() => resolveSaddlePerturbationOptions({ perturbation: 0 })).toThrow(/positive/);
  });
});
