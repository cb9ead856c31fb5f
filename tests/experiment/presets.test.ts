// Each preset's quick version runs on the float64 CPU engine and shows the paper's qualitative result
// as far as its size allows (science.md, "The paper's experiments"). Runs are deterministic, so a
// check either holds for the quick spec or fails every time; where a quick run is too small to
// show a result reliably, the test name says so and checks what it can.
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import { DatasetCache, datasetKey, expandSpec, initialParameters } from '../../src/experiment/grid.js';
import { engineOptimizer } from '../../src/experiment/engine-optimizer.js';
import { buildPresetReport, edgeOfStabilityPoints, optimizerLabel, presetTables, lossAtInfinityCurve, presetReportMarkdown, tableCsv, tableMarkdown, toyChannelPoints, type PresetReport, type PresetTable } from '../../src/experiment/preset-reports.js';
import { findPreset, PRESETS, presetOfSpec, presetRunSize, presetSpec, presetSpecInput, type SweepPreset } from '../../src/experiment/presets.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { runSweep } from '../../src/experiment/scheduler.js';
import { summarizeRecords } from '../../src/experiment/summary.js';
import type { RunConfig } from '../../src/experiment/spec.js';
import { cochranArmitageTrend, newcombeDifference, newcombePairedDifference, wilsonInterval } from '../../src/analysis/statistics.js';

/** Runs a sweep preset's quick spec on the CPU engine, in process; the records in finishing order. */
async function runQuick(name: string): Promise<RunRecord[]> {
  const preset = findPreset(name) as SweepPreset;
  const runs = expandSpec(presetSpec(preset, { quick: true }));
  const datasets = new DatasetCache();
  const records: RunRecord[] = [];
  await runSweep(runs, {
    engine: new CpuEngine(),
    samples: (run) => datasets.get(run.config, run.seed).samples,
    optimizer: (run) => engineOptimizer(run.config.optimizer),
    prepare: (run) => ({ params: initialParameters(run.config, run.seed), data: datasets.get(run.config, run.seed) }),
    dataKey: (run) => datasetKey(run.config, run.seed),
    onRecord: (record) => {
      records.push(record);
    },
  });
  return records;
}

function table(report: PresetReport, name: string): PresetTable {
  const found = report.tables.find((t) => t.name === name);
  if (!found) throw new Error(`no table ${name} in ${report.tables.map((t) => t.name).join(', ')}`);
  return found;
}

/** The value of `column` in the row whose first cells are `key`. */
function cell(t: PresetTable, key: string[], column: string): number {
  const c = t.columns.indexOf(column);
  if (c < 0) throw new Error(`no column ${column} in ${t.title}`);
  const row = t.rows.find((r) => key.every((k, i) => String(r[i]) === k));
  if (!row) throw new Error(`no row ${key.join(' ')} in ${t.title}: ${t.rows.map((r) => r[0]).join(', ')}`);
  return row[c] as number;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('preset registry', () => {
  it('lists every experiment of the paper once, the two procedures included', () => {
    expect(PRESETS.map((p) => p.name).sort()).toEqual(
      ['channel-frequency', 'channel-jump', 'edge-of-stability', 'gd-from-channel', 'loss-levels', 'optimizer-comparison', 'saddle-perturbation', 'toy-1d'].sort(),
    );
    expect(PRESETS.filter((p) => p.kind === 'procedure').map((p) => p.name).sort()).toEqual(['channel-jump', 'gd-from-channel', 'saddle-perturbation']);
  });

  it('has valid full and quick specs whose name identifies the preset, the quick one much smaller', () => {
    for (const preset of PRESETS) {
      const full = presetRunSize(preset, false);
      const quick = presetRunSize(preset, true);
      expect(quick.networks * quick.samples, preset.name).toBeLessThan(full.networks * full.samples);
      if (preset.kind !== 'sweep') continue;
      for (const quickSpec of [false, true]) {
        const spec = presetSpec(preset, { quick: quickSpec });
        expect(spec.name).toBe(preset.name);
        expect(presetOfSpec(presetSpecInput(preset, { quick: quickSpec }))).toBe(preset);
      }
    }
  });

  it('has the paper-sized grids', () => {
    const channelFrequency = presetSpec(findPreset('channel-frequency') as SweepPreset);
    // 4 d × 6 widths × 3 activations × 5 teachers, 50 seeds, N = 10⁴
    expect(channelFrequency.configurations).toHaveLength(360);
    expect(channelFrequency.seeds).toHaveLength(50);
    expect(new Set(channelFrequency.configurations.map((c) => c.config.data.samples))).toEqual(new Set([10_000]));
    const lossLevels = presetSpec(findPreset('loss-levels') as SweepPreset);
    expect(new Set(lossLevels.configurations.map((c) => c.config.architecture.hidden[0]))).toEqual(new Set([1, 2, 3, 4, 5]));
    // at least the paper's 50·2^r seeds for every r
    expect(lossLevels.seeds.length).toBeGreaterThanOrEqual(50 * 2 ** 5);
    const eos = presetSpec(findPreset('edge-of-stability') as SweepPreset);
    expect(eos.configurations.map((c) => (c.config.optimizer as { lr: number }).lr)).toEqual([0.01, 0.0316, 0.1, 0.316, 1, 3.16]);
  });

  it('--seeds replaces the seed count, and the spec\'s description and the report say so where the preset names its own', () => {
    const preset = findPreset('channel-frequency') as SweepPreset;
    expect(presetSpec(preset, { quick: true, seeds: 7 }).seeds).toHaveLength(7);
    const note = 'This run: 7 seeds per configuration where the quick version has 4.';
    expect(presetSpecInput(preset, { quick: true, seeds: 7 }).description).toMatch(new RegExp(`^channel-frequency --quick: .*4 seeds each\\. ${note.replace(/[.]/g, '\\.')}$`));
    expect(presetSpecInput(preset, { seeds: 12 }).description).toMatch(/50 seeds per configuration\. This run: 12 seeds per configuration where the preset has 50\.$/);
    // the preset's own count, given or not: no note
    expect(presetSpecInput(preset, { quick: true, seeds: 4 }).description).toBe(presetSpecInput(preset, { quick: true }).description);
    expect(presetReportMarkdown(buildPresetReport('channel-frequency', [], undefined, { quick: true, seeds: 7 }), 'here')).toContain(`*The --quick version:* ${preset.quickNote}\n\n*${note}*`);
    expect(presetReportMarkdown(buildPresetReport('channel-frequency', [], undefined, { quick: true, seeds: 4 }), 'here')).not.toContain('This run');
  });
});

describe('quick presets on the CPU engine', () => {
  it('loss-levels: plateau saddles appear without biases and not with biases (quick: 12 seeds per r, too few to estimate the 10–30% fraction)', async () => {
    const records = await runQuick('loss-levels');
    expect(records).toHaveLength(72);
    const report = buildPresetReport('loss-levels', records);
    const plateau = table(report, 'plateau-saddles');
    const count = (biases: string) => sum(plateau.rows.filter((r) => r[0] === biases).map((r) => r[plateau.columns.indexOf('plateau-saddle')] as number));
    expect(count('false')).toBeGreaterThanOrEqual(1);
    expect(count('true')).toBe(0);
    // converged losses cluster at fewer levels than there are converged runs
    const levels = table(report, 'loss-levels');
    const settled = levels.rows.map((r) => r[levels.columns.indexOf('converged at finite norm')] as number);
    const distinct = levels.rows.map((r) => r[levels.columns.indexOf('distinct loss levels')] as number);
    expect(sum(distinct)).toBeLessThan(sum(settled));
    // solutions up to permutation: at least one per level, at most one per converged run
    const solutions = levels.rows.map((r) => r[levels.columns.indexOf('distinct solutions up to permutation')] as number);
    solutions.forEach((n, k) => {
      expect(n).toBeGreaterThanOrEqual(distinct[k]);
      expect(n).toBeLessThanOrEqual(settled[k]);
    });
    expect(tableMarkdown(plateau)).toMatch(/\| false \| 2 \| 12 \|/);
    // without biases against with them, per r and over all: the counts above, their difference and its Newcombe interval
    const against = table(report, 'plateau-saddles-without-biases');
    expect(against.rows.map((r) => r[0])).toEqual(['2', '3', '4', 'all']);
    for (const row of against.rows) {
      const rows = plateau.rows.filter((p) => row[0] === 'all' || p[1] === row[0]);
      const fraction = (biases: string) => {
        const of = rows.filter((p) => p[0] === biases);
        return wilsonInterval(sum(of.map((p) => p[plateau.columns.indexOf('plateau-saddle')] as number)), sum(of.map((p) => p[plateau.columns.indexOf('runs')] as number)));
      };
      const { difference, low, high } = newcombeDifference(fraction('false'), fraction('true'));
      expect(row.slice(-3), String(row[0])).toEqual([difference, low, high]);
    }
    expect(cell(against, ['all'], 'without biases: plateau-saddle')).toBe(count('false'));
    // quick: 12 seeds per r leave 0 inside the interval (CPU float64, fixed seeds: always these counts);
    // the full preset's 1,600 per r should not, if the paper holds
    expect(cell(against, ['all'], 'plateau-saddle difference low95')).toBeLessThan(0);
    expect(cell(against, ['all'], 'plateau-saddle difference high95')).toBeGreaterThan(0);
  });

  it('channel-frequency: channels with erf, none with relu, as its quick note says (quick: N = 64 and 4 seeds are too few for softplus channels or to rank the teachers by GP roughness s)', async () => {
    const records = await runQuick('channel-frequency');
    const report = buildPresetReport('channel-frequency', records);
    const byActivation = table(report, 'by-activation');
    expect(cell(byActivation, ['relu'], 'channel')).toBe(0);
    expect(cell(byActivation, ['erf'], 'channel')).toBeGreaterThanOrEqual(1);
    const byTeacher = table(report, 'by-teacher');
    // every teacher is tabulated, GP teachers in order of roughness
    expect(byTeacher.rows.map((r) => r[0])).toEqual(['rosenbrock', 'gp s=0.1', 'gp s=0.5', 'gp s=2', 'gp s=10']);
    expect(sum(byTeacher.rows.map((r) => r[byTeacher.columns.indexOf('runs')] as number))).toBe(60);
    expect(tableCsv(byTeacher).split('\n')[0]).toContain('channel_low95,channel_high95,channel_strict,channel_strict_fraction');
    // sharpening runs are a part of the not converged, and relu has none (σ(λz)/λ = σ(z): nothing sharpens)
    for (const row of byActivation.rows) {
      expect(row[byActivation.columns.indexOf('of which sharpening')] as number).toBeLessThanOrEqual(row[byActivation.columns.indexOf('not-converged')] as number);
    }
    expect(cell(byActivation, ['relu'], 'of which sharpening')).toBe(0);
    // so are the runs whose channel was still closing at the barrier; relu has no channels to open
    for (const row of byActivation.rows) {
      const part = (name: string) => row[byActivation.columns.indexOf(name)] as number;
      expect(part('of which sharpening') + part('of which channel-opening')).toBeLessThanOrEqual(part('not-converged') + 1e-12);
    }
    expect(cell(byActivation, ['relu'], 'of which channel-opening')).toBe(0);
    // "of which" fractions are of the not-converged runs
    for (const row of byActivation.rows) {
      const part = (name: string) => row[byActivation.columns.indexOf(name)] as number;
      if (part('not-converged') > 0) expect(part('of which sharpening fraction')).toBeCloseTo(part('of which sharpening') / part('not-converged'), 12);
    }
    expect(byActivation.note).toMatch(/"Of which": counts and fractions of the not-converged runs/);
    // one dataset per teacher (data.perRun false): the intervals are over initialisations for that draw
    expect(byTeacher.note).toContain('Every run of a teacher trains on one dataset (data.seed 0: one draw of the inputs and of each GP teacher)');
    // the trend with roughness per activation, from the counts of the teacher-and-activation table:
    // relu has no channels, so nothing to test (quick: too few runs for the trend to mean much)
    const trend = table(report, 'trend-with-roughness');
    const byBoth = table(report, 'by-teacher-activation');
    expect(trend.rows.map((r) => r[0])).toEqual(['softplus', 'erf', 'relu']);
    for (const row of trend.rows) {
      const groups = [0.1, 0.5, 2, 10].map((s) => ({ successes: cell(byBoth, [`gp s=${s}`, row[0] as string], 'channel'), n: cell(byBoth, [`gp s=${s}`, row[0] as string], 'runs'), score: Math.log10(s) }));
      const expected = cochranArmitageTrend(groups);
      // (quick: one network size, so the stratified test is the plain one)
      expect(row.slice(1), String(row[0])).toEqual([16, '0.1, 0.5, 2, 10', 1, expected.z, expected.p]);
    }
    expect(cell(trend, ['relu'], 'trend z')).toBeNaN();
  });

  it('toy-1d: gradient flow gets far into the channel, SGD and Adam stop nearer its entrance (smaller 1/ε); L∞(w) has the channel minimum near w ≈ 0.8', async () => {
    const records = await runQuick('toy-1d');
    const report = buildPresetReport('toy-1d', records);
    const reach = table(report, 'reach-by-optimizer');
    const flow = 'flow ros34pw2';
    const inverseEpsilon = (optimizer: string) => cell(reach, [optimizer], '1/ε median');
    expect(inverseEpsilon(flow)).toBeGreaterThan(inverseEpsilon('sgd η=0.1 batch=16'));
    expect(inverseEpsilon(flow)).toBeGreaterThan(inverseEpsilon('adam η=0.001 batch=16'));
    expect(cell(reach, [flow], 'at barrier')).toBeGreaterThanOrEqual(2);
    expect(cell(reach, ['sgd η=0.1 batch=16'], 'at barrier')).toBe(0);
    expect(cell(reach, ['adam η=0.001 batch=16'], 'at barrier')).toBe(0);
    // run by run: SGD and Adam short of their flow twin in every pair (quick: 4 pairs, p = 0.125, too few for 95%)
    const twins = table(report, 'reach-against-flow');
    expect(twins.rows.map((r) => [r[0], r[twins.columns.indexOf('pairs')], r[twins.columns.indexOf('short of the flow')]])).toEqual([
      ['sgd η=0.1 batch=16', 4, 4],
      ['adam η=0.001 batch=16', 4, 4],
    ]);
    const curve = table(report, 'loss-at-infinity').rows.map((r) => ({ w: r[0] as number, loss: r[1] as number }));
    const lowest = curve.filter((p) => p.w >= 0.5 && p.w <= 1.2).reduce((a, b) => (b.loss < a.loss ? b : a));
    expect(lowest.w).toBeGreaterThan(0.6);
    expect(lowest.w).toBeLessThan(1.0);
    expect(lowest.loss).toBeLessThan(curve[0].loss);
    // the HTML report's L∞ figure: each flow run along a channel ends just above L∞ at its pair's w,
    // at a local minimum of the curve (w ≈ 0.78 or 3.14). How far above is set by the last step
    // before the barrier check: ROS34PW2 at rtol 1e-3 may leave a stiff, fast-decaying transverse
    // error there (measured 2e-6 to 3e-4 relative; 2.7% with ‖∇‖∞ 6e-3 for one run after a
    // rounding-level change in erf moved its last step, 2026-12-07), hence 5%
    const points = toyChannelPoints(records, summarizeRecords(records, [], 'toy-1d').runs).filter((p) => p.optimizer === flow);
    expect(points.length).toBeGreaterThanOrEqual(2);
    const { config, seed } = records[0];
    for (const point of points) {
      const [left, at, right] = lossAtInfinityCurve(config as RunConfig, seed, [point.w - 0.05, point.w, point.w + 0.05])!.map((p) => p.lossAtInfinity);
      expect(point.loss / at - 1, `${point.id} at w = ${point.w}`).toBeGreaterThanOrEqual(-1e-9);
      expect(point.loss / at - 1, `${point.id} at w = ${point.w}`).toBeLessThan(5e-2);
      expect(Math.min(left, right), `${point.id}: L∞ has a local minimum at w = ${point.w}`).toBeGreaterThan(at);
    }
  });

  it('edge-of-stability: GD never sits past λ_max = 2/η and stalls at it for η = 1; η = 3.16 diverges (quick: 5,000 steps leave small η budget-limited, far below the edge)', async () => {
    const records = await runQuick('edge-of-stability');
    const report = buildPresetReport('edge-of-stability', records);
    const t = table(report, 'lambda-max-by-lr');
    const ratio = (eta: string, column = 'λ_max·η/2 median') => cell(t, [eta], column);
    for (const eta of ['0.01', '0.0316', '0.1', '0.316', '1']) expect(ratio(eta, 'λ_max·η/2 q3'), `η = ${eta}`).toBeLessThan(1.2);
    expect(ratio('1')).toBeGreaterThan(0.8);
    // λ_max is read off the runs along a channel (1/ε defined): one seed per η (the other sits on the saddle line, or diverged at η = 1)
    for (const eta of ['0.01', '0.0316', '0.1', '0.316', '1']) expect(cell(t, [eta], 'with 1/ε'), `η = ${eta}`).toBe(1);
    // the ratio grows with η: small steps are far from the edge when the budget ends
    expect(ratio('0.01')).toBeLessThan(ratio('0.316'));
    expect(cell(t, ['3.16'], 'diverged')).toBe(2);
    // the HTML report's figure: one dot per run that did not diverge (η = 1: one; 3.16: none), none
    // above the edge, and the η = 1 run along its channel on it
    const points = edgeOfStabilityPoints(records, summarizeRecords(records, [], 'edge-of-stability').runs);
    expect(points.map((p) => p.eta).sort((a, b) => a - b)).toEqual([0.01, 0.01, 0.0316, 0.0316, 0.1, 0.1, 0.316, 0.316, 1]);
    for (const point of points) expect((point.lambdaMax * point.eta) / 2, `${point.id} at η = ${point.eta}`).toBeLessThan(1.2);
    const atOne = points.find((p) => p.eta === 1)!;
    expect(atOne.alongChannel).toBe(true);
    expect((atOne.lambdaMax * atOne.eta) / 2).toBeGreaterThan(0.8);
    expect(points.filter((p) => p.alongChannel)).toHaveLength(5);
  });

  it('optimizer-comparison: gradient flow gets ten times further out in weight norm than GD, momentum, SGD and Adam, some flows to the barrier (quick: too small for channel fractions per optimiser)', async () => {
    const records = await runQuick('optimizer-comparison');
    const report = buildPresetReport('optimizer-comparison', records);
    const t = table(report, 'by-optimizer');
    const flowNorm = cell(t, ['flow ros34pw2'], 'weight norm median');
    // the budget (a Hessian counts P = 17) ends some flows before the barrier, but not all
    expect(cell(t, ['flow ros34pw2'], 'at barrier')).toBeGreaterThanOrEqual(1);
    // GD, momentum, SGD and Adam: one row each
    const discrete = t.rows.filter((r) => r[0] !== 'flow ros34pw2');
    expect(discrete).toHaveLength(4);
    for (const row of discrete) {
      expect(row[t.columns.indexOf('weight norm median')] as number, String(row[0])).toBeLessThan(flowNorm / 10);
    }
    // one budget: every discrete optimiser used it up
    for (const row of discrete) expect(row[t.columns.indexOf('median gradient evaluations')]).toBe(20_000);
    // 1/ε measures how far along a channel, so only runs on one count (quick: no flow is, their
    // closest pairs belong to neurons that sharpened, ε ≈ 67): none, not 0.015
    expect(cell(t, ['flow ros34pw2'], '1/ε median')).toBeNaN();
    expect(tableMarkdown(t)).toContain('1/ε: of the runs on a channel');
    // each optimiser's channel fraction against the flow's: the same counts, their difference and its paired Newcombe interval
    const against = table(report, 'channels-against-flow');
    expect(against.rows.map((r) => r[0])).toEqual(discrete.map((r) => r[0]));
    const flowChannels = wilsonInterval(cell(t, ['flow ros34pw2'], 'channel'), cell(t, ['flow ros34pw2'], 'runs'));
    for (const row of against.rows) {
      const channels = wilsonInterval(cell(t, [row[0] as string], 'channel'), cell(t, [row[0] as string], 'runs'));
      // (quick: no channel on either side, four pairs with neither)
      const { difference, low, high } = newcombePairedDifference({ both: 0, firstOnly: 0, secondOnly: 0, neither: 4 });
      const at = (column: string) => row[against.columns.indexOf(column)];
      expect([at('pairs'), at('channel'), at('flow channel'), at('channel difference'), at('channel difference low95'), at('channel difference high95')]).toEqual([4, channels.successes, flowChannels.successes, difference, low, high]);
      // quick: no run of either ends in a channel, so no pair is discordant
      expect([at('channel with the optimiser only'), at('channel with the flow only'), at('p (McNemar, exact)')]).toEqual([0, 0, 1]);
    }
    // discordant twins, counted pair by pair: say flows of seeds 0–2 and Adam's of seed 1 ended in channels
    const classified = summarizeRecords(records, [], 'optimizer-comparison').runs.map((run, k) => {
      const { optimizer } = records[k].config as RunConfig;
      const channel = (optimizer.kind === 'flow' && records[k].seed <= 2) || (optimizer.kind === 'adam' && records[k].seed === 1);
      return channel ? { ...run, outcome: 'channel' as const } : run;
    });
    const swapped = presetTables('optimizer-comparison', records, classified).find((t) => t.name === 'channels-against-flow')!;
    const discordant = (label: string) => ['channel with the optimiser only', 'channel with the flow only', 'p (McNemar, exact)'].map((column) => cell(swapped, [label], column));
    expect(records.filter((r) => (r.config as RunConfig).optimizer.kind === 'flow').map((r) => r.seed).sort()).toEqual([0, 1, 2, 3]);
    // Adam: seed 1 in a channel with its twin, seeds 0 and 2 with the flow only: p = 2·(1/2)² = 0.5
    expect(discordant('adam η=0.001 batch=16')).toEqual([0, 2, 0.5]);
    // and its difference, 1/4 − 3/4, with the interval of those pairs: one alike in a channel, two discordant, one alike out of it
    const adamDifference = ['channel difference', 'channel difference low95', 'channel difference high95'].map((column) => cell(swapped, ['adam η=0.001 batch=16'], column));
    const paired = newcombePairedDifference({ both: 1, firstOnly: 0, secondOnly: 2, neither: 1 });
    expect(adamDifference).toEqual([paired.difference, paired.low, paired.high]);
    expect(paired.difference).toBe(-0.5);
    // GD: seeds 0, 1, 2 with the flow only: p = 2·(1/2)³ = 0.25
    expect(discordant('gd η=0.1')).toEqual([0, 3, 0.25]);
    // how far against the flow twin: every discrete optimiser short of it in every pair (one configuration: twins share the seed)
    const reach = table(report, 'reach-against-flow');
    const flowNormOf = new Map(records.filter((r) => (r.config as RunConfig).optimizer.kind === 'flow').map((r) => [r.seed, r.weightNorm]));
    for (const row of reach.rows) {
      const own = records.filter((r) => optimizerLabel(r.config as RunConfig) === row[0]);
      const ratios = own.map((r) => r.weightNorm / flowNormOf.get(r.seed)!).sort((a, b) => a - b);
      expect(ratios.every((ratio) => ratio < 0.1), String(row[0])).toBe(true);
      const at = (column: string) => row[reach.columns.indexOf(column)];
      // 4 of 4 short: p = 2·(1/2)⁴
      expect([at('pairs'), at('short of the flow'), at('beyond the flow'), at('p (sign test, exact)')]).toEqual([4, 4, 0, 0.125]);
      expect(at('weight norm ratio to flow twin median')).toBeCloseTo((ratios[1] + ratios[2]) / 2, 12);
    }
    // a flow run not ended yet (a sweep in progress): its twins are left out of both sides
    const flowIds = records.filter((r) => (r.config as RunConfig).optimizer.kind === 'flow').map((r) => r.id);
    const partial = table(buildPresetReport('optimizer-comparison', records.filter((r) => r.id !== flowIds[0])), 'channels-against-flow');
    expect(partial.rows.map((r) => r[partial.columns.indexOf('pairs')])).toEqual([3, 3, 3, 3]);
  });
});
