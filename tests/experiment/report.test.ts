// channelscope report: every record classified, fractions with Wilson intervals, grouped by fields.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FolderLock, LOCK_FILE } from '../../src/experiment/folder-lock.js';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/experiment/report.js';
import { formatReport, continuedSentence, reportWarnings } from '../../src/experiment/report-text.js';
import { formatParameterFile } from '../../src/model/params-file.js';
import type { Architecture } from '../../src/model/architecture.js';
import { classifyRecord, summarizeRecords, trajectoryLossDrift, UNNAMED_SOFTWARE } from '../../src/experiment/summary.js';
import { varyingFields } from '../../src/experiment/group-labels.js';
import { parseThresholds } from '../../src/cli/number-options.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { runCli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';
import { expandSpec } from '../../src/experiment/grid.js';
import { selectShard } from '../../src/experiment/shard.js';
import { parseSpec } from '../../src/experiment/spec.js';

const arch: Architecture = { inputDim: 2, hidden: [2], activation: 'softplus', biases: true };
// θ = [W (2×2), b (2), a (2), c0]
const channelTheta = [0.6, -0.4, 0.6000001, -0.4000001, 0.1, 0.1, 1400, -1400, 0.05];
const finiteTheta = [0.6, -0.4, -0.3, 0.9, 0.1, -0.2, 1.1, 0.7, 0.05];

function record(id: string, theta: number[], hidden: number[], stopReason = 'converged') {
  return {
    id,
    configIndex: 0,
    seed: 0,
    config: { architecture: { ...arch, hidden }, maxnorm: 1000, stop: { gradTol: 1e-5 } },
    backend: 'cpu',
    device: 'test',
    params0: formatParameterFile(arch, theta),
    params: formatParameterFile(arch, theta),
    loss: 0.05,
    barrier: 0,
    gradInf: 1e-9,
    weightNorm: 0,
    steps: 10,
    evaluations: 60,
    time: 1,
    wallSeconds: 0.1,
    stopReason,
    trajectory: [],
  };
}

describe('channelscope report', () => {
  it('classifies records and counts outcomes per group with Wilson intervals', async () => {
    const dir = scratchDir('channelscope-report-');
    mkdirSync(dir, { recursive: true });
    const records = [
      record('a', channelTheta, [2]),
      record('b', finiteTheta, [2]),
      record('c', finiteTheta, [2], 'diverged'),
      record('d', channelTheta, [3]),
    ];
    writeFileSync(path.join(dir, 'runs.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const report = await buildReport(dir, ['r']);
    expect(report.runs.map((r) => r.outcome)).toEqual(['channel', 'finite-minimum', 'diverged', 'channel']);
    const [two, three] = report.groups;
    expect(two.key).toBe('r=[2]');
    expect(two.n).toBe(3);
    expect(two.outcomes.channel.successes).toBe(1);
    expect(two.outcomes.channel.low).toBeGreaterThan(0);
    expect(two.outcomes.channel.high).toBeLessThan(1);
    expect(three.outcomes.channel.fraction).toBe(1);
    const md = formatReport(report, 'md');
    expect(md).toContain('| r=[2] | 3 |');
    // these records predate RunRecord.software
    expect(report.software).toEqual([{ label: UNNAMED_SOFTWARE, runs: 4 }]);
    expect(md).toContain(`(4 runs in ${dir}). Trained by ${UNNAMED_SOFTWARE}.`);
    // CSV column names: snake_case ASCII
    const csvHeader = formatReport(report, 'csv').split('\n')[0];
    expect(csvHeader).toContain('channel_low95,channel_high95,finite_minimum,finite_minimum_fraction');
    expect(csvHeader).toContain('not_converged_channel_opening');
    expect(csvHeader).toMatch(/^[a-z0-9_]+(,[a-z0-9_]+)*$/);
    expect(JSON.parse(formatReport(report, 'json')).runs).toHaveLength(4);
  });

  it('says which code trained the records, and each version\'s runs when there are several', () => {
    const named = (id: string, software: string) => ({ ...record(id, finiteTheta, [2]), software }) as unknown as RunRecord;
    const one = summarizeRecords([named('a', 'channelscope 0.1.0 (git aaaa)'), named('b', 'channelscope 0.1.0 (git aaaa)')], [], 'x');
    expect(formatReport(one, 'md')).toContain('(2 runs in x). Trained by channelscope 0.1.0 (git aaaa).');
    const two = summarizeRecords([named('a', 'channelscope 0.1.0 (git aaaa)'), named('b', 'channelscope 0.1.1'), named('c', 'channelscope 0.1.1')], [], 'x');
    expect(two.software).toEqual([
      { label: 'channelscope 0.1.1', runs: 2 },
      { label: 'channelscope 0.1.0 (git aaaa)', runs: 1 },
    ]);
    expect(formatReport(two, 'md')).toContain('Trained by 2 versions of the code: channelscope 0.1.1 (2 runs), channelscope 0.1.0 (git aaaa) (1 run); their runs may differ');
    expect(JSON.parse(formatReport(two, 'json')).software).toEqual(two.software);
  });

  it('refuses to group by a field no run has (a typo must not fall back to one group), names what there is; exit code 2', async () => {
    const dir = scratchDir('channelscope-report-by-');
    const records = [record('a', channelTheta, [2]), record('b', finiteTheta, [3])];
    (records[1].config as Record<string, unknown>).optimizer = { kind: 'flow', solver: 'rodas4' };
    writeFileSync(path.join(dir, 'runs.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await expect(buildReport(dir, ['r', 'activaton'])).rejects.toThrow(/--by: no run in .* has "activaton" \(did you mean "activation"\?\); group by d, r, .* architecture\.activation/);
    // a field some runs lack (a GD run's solver) is fine: their label says they have none
    expect((await buildReport(dir, ['r', 'solver'])).groups.map((g) => g.key)).toEqual(['r=[2] solver=none', 'r=[3] solver=rodas4']);
    const cli = await runCli(['report', dir, '--by', 'optimizer.lr']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/no run in .* has "optimizer\.lr"/);
    // what varies between the runs: the dashboard groups opened results by it
    expect(varyingFields(records as unknown as RunRecord[])).toEqual(['architecture.hidden', 'optimizer.kind', 'optimizer.solver']);
  });

  it('classifies with other thresholds when asked (report --thresholds), says so, and refuses unknown or bad ones (exit code 2)', async () => {
    const dir = scratchDir('channelscope-report-thresholds-');
    writeFileSync(path.join(dir, 'runs.jsonl'), [record('a', channelTheta, [2]), record('b', finiteTheta, [2])].map((r) => JSON.stringify(r)).join('\n') + '\n');
    // the planted pair sits at cosine distance ~1e-14: a channel unless the criterion is tighter still
    expect((await buildReport(dir, [])).groups[0].outcomes.channel.successes).toBe(1);
    const tight = await buildReport(dir, [], parseThresholds('cosine=0, strictCosine=0'));
    expect(tight.groups[0].outcomes.channel.successes).toBe(0);
    expect(tight.thresholds).toEqual({ cosine: 0, strictCosine: 0 });
    expect(formatReport(tight, 'md')).toContain('Classified with cosine = 0 (default 0.01), strictCosine = 0 (default 1e-3).');
    expect(formatReport(tight, 'md')).toContain('| channel (cos < 0) |');
    expect(JSON.parse(formatReport(tight, 'json')).thresholds).toEqual({ cosine: 0, strictCosine: 0 });
    expect(parseThresholds('equalInputs=Infinity,subspace=0')).toEqual({ equalInputs: Infinity, subspace: 0 });
    expect(() => parseThresholds('cosin=1e-3')).toThrow(/"cosin" is not a classification threshold \(barrierTolerance, cosine, /);
    expect(() => parseThresholds('maxnorm=10')).toThrow(/maxnorm is each run's own/);
    expect(() => parseThresholds('cosine=-1')).toThrow(/non-negative number, got "-1"/);
    expect(() => parseThresholds('cosine')).toThrow(/not name=value/);
    // nothing silent: an empty entry, a number not in decimal
    expect(() => parseThresholds(',,,')).toThrow(/",,," has an empty entry/);
    expect(() => parseThresholds('cosine=0x10')).toThrow(/cosine must be a non-negative number, got "0x10"/);
    const cli = await runCli(['report', dir, '--thresholds', 'subspace=x']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/--thresholds: subspace must be a non-negative number/);
    const html = await runCli(['report', dir, '--thresholds', 'cosine=0', '--html']);
    expect(html.code).toBe(2);
    expect(html.stderr).toMatch(/--thresholds with --html: the page draws each run's verdict by the default criteria/);
    // JSON has no Infinity: a switched-off test is the string "Infinity"
    expect(JSON.parse(formatReport(await buildReport(dir, [], { equalInputs: Infinity }), 'json')).thresholds).toEqual({ equalInputs: 'Infinity' });
    // a GPU run keeps float32's gradient floor (1e-5) under a smaller gradTol
    const gpuRecord = { ...record('g', finiteTheta, [2], 'max-steps'), backend: 'gpu', gradInf: 5e-6 } as unknown as RunRecord;
    expect(classifyRecord(gpuRecord, { gradTol: 1e-9 }).outcome).toBe('finite-minimum');
    expect(classifyRecord({ ...gpuRecord, backend: 'cpu' } as RunRecord, { gradTol: 1e-9 }).outcome).not.toBe('finite-minimum');
  });

  it('counts the not-converged runs by cause, in every format', async () => {
    const dir = scratchDir('channelscope-report-');
    const moving = { ...record('m', finiteTheta, [2], 'max-evaluations'), recentParams: [finiteTheta.map((v) => 0.9 * v), finiteTheta] };
    const stuck = { ...record('g', finiteTheta, [2], 'max-steps'), gradInf: 0.1 };
    writeFileSync(path.join(dir, 'runs.jsonl'), [moving, stuck, record('f', finiteTheta, [2])].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const report = await buildReport(dir, []);
    expect(report.runs.map((r) => r.cause)).toEqual(['still-moving', 'gradient-not-small', undefined]);
    const [all] = report.causes;
    expect([all.outcomes['still-moving'].successes, all.outcomes['gradient-not-small'].successes, all.outcomes['other-outcome'].successes]).toEqual([1, 1, 1]);
    expect(formatReport(report, 'md')).toContain('| all | 3 | 0 | 0 | 0 | 0 | 0 | 1 | 1 | 0 |');
    expect(JSON.parse(formatReport(report, 'json')).notConvergedCauses[0].outcomes['still-moving'].successes).toBe(1);
    const [header, row] = formatReport(report, 'csv').split('\n').map((line) => line.split(','));
    expect(row[header.indexOf('not_converged_still_moving')]).toBe('1');
  });

  it('reads a relu record whose loss stopped descending at its last trajectory points, or that patience stopped, as at rest on a kink', async () => {
    const dir = scratchDir('channelscope-report-');
    const reluArch = { ...arch, activation: 'relu' as const };
    const points = (losses: number[]) => losses.map((loss, k) => ({ step: [7180, 14214, 20000][k], time: k, loss, gradInf: 2e-3, weightNorm: 0.5 }));
    const relu = (id: string, losses: number[]) => ({
      ...record(id, finiteTheta, [2], 'max-steps'),
      config: { architecture: { ...reluArch, hidden: [2] }, maxnorm: 1000, stop: { gradTol: 1e-5 } },
      params0: formatParameterFile(reluArch, finiteTheta),
      params: formatParameterFile(reluArch, finiteTheta),
      gradInf: 2e-3,
      trajectory: points(losses),
    });
    // patience stopped the third: its window says at rest where its last logged interval still descended
    const patient = { ...relu('patient', [0.3, 0.25, 0.2]), stopReason: 'patience', config: { architecture: { ...reluArch, hidden: [2] }, maxnorm: 1000, stop: { gradTol: 1e-5, patience: 2000, minImprovement: 1e-7 } } };
    const records = [relu('rest', [0.2085512, 0.2085430, 0.2085461]), relu('descending', [0.3, 0.25, 0.2]), patient];
    writeFileSync(path.join(dir, 'runs.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const report = await buildReport(dir, []);
    expect(report.runs.map((r) => r.cause)).toEqual(['kink-rest', 'gradient-not-small', 'kink-rest']);
    expect(report.runs[2].reason).toMatch(/did not improve by 1\.00e-7 .* over its last 2000 steps/);
    expect(trajectoryLossDrift(points([1, 2, 3]))).toEqual({ relative: 0.5, from: 14214, to: 20000 });
    expect(trajectoryLossDrift(points([1]))).toBeNull();
  });

  it('labels runs whose config lacks a grouping field as having none, never as "all" (GD has no solver, flow no lr)', async () => {
    const { summarizeRecords } = await import('../../src/experiment/summary.js');
    const flow = record('f', finiteTheta, [2]);
    const gd = record('g', finiteTheta, [2]);
    Object.assign(flow.config, { optimizer: { kind: 'flow', solver: 'rodas4' } });
    Object.assign(gd.config, { optimizer: { kind: 'gd', lr: 0.1 } });
    const summary = summarizeRecords([flow, gd] as never, ['solver', 'optimizer.lr'], 'test');
    expect(summary.groups.map((group) => group.key)).toEqual(['solver=rodas4 optimizer.lr=none', 'solver=none optimizer.lr=0.1']);
    expect(summarizeRecords([flow, gd] as never, ['optimizer.lr'], 'test').groups.map((group) => group.key)).toEqual(['optimizer.lr=none', 'optimizer.lr=0.1']);
    expect(summarizeRecords([gd] as never, ['solver'], 'test').groups[0].key).toBe('solver=none');
    expect(summarizeRecords([gd] as never, [], 'test').groups[0].key).toBe('all');
  });

  it('groups by optimizer (teacher, inputs) apart wherever any setting differs, naming what differs', async () => {
    const { summarizeRecords } = await import('../../src/experiment/summary.js');
    const withOptimizer = (id: string, optimizer: object, teacher: object = { kind: 'rosenbrock' }) => {
      const r = record(id, finiteTheta, [2]);
      Object.assign(r.config, { optimizer, data: { teacher } });
      return r;
    };
    const records = [
      withOptimizer('a', { kind: 'gd', lr: 0.1 }),
      withOptimizer('b', { kind: 'gd', lr: 0.02 }),
      withOptimizer('c', { kind: 'gd', lr: 0.1 }),
      withOptimizer('d', { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3 }),
      withOptimizer('e', { kind: 'sgd', lr: 0.1, batch: 16 }, { kind: 'gp', s: 0.5 }),
      withOptimizer('f', { kind: 'sgd', lr: 0.1, batch: 32 }, { kind: 'gp', s: 2 }),
    ];
    const byOptimizer = summarizeRecords(records as never, ['optimizer'], 'test');
    expect(byOptimizer.groups.map((group) => [group.key, group.n])).toEqual([
      ['optimizer=gd lr=0.1', 2],
      ['optimizer=gd lr=0.02', 1],
      ['optimizer=flow', 1],
      ['optimizer=sgd batch=16', 1],
      ['optimizer=sgd batch=32', 1],
    ]);
    // optimizer.kind still pools them by kind
    expect(summarizeRecords(records as never, ['optimizer.kind'], 'test').groups.map((group) => group.key)).toEqual(['optimizer.kind=gd', 'optimizer.kind=flow', 'optimizer.kind=sgd']);
    expect(summarizeRecords(records as never, ['teacher'], 'test').groups.map((group) => group.key)).toEqual(['teacher=rosenbrock', 'teacher=gp s=0.5', 'teacher=gp s=2']);
  });

  it('labels a sweep\'s groups among its planned runs too: a configuration without records yet is its own group (report --by optimizer)', async () => {
    const dir = scratchDir('channelscope-report-optimizers-');
    const spec = {
      name: 'lr-grid',
      architecture: { inputDim: 2, hidden: 2, activation: 'softplus', biases: true },
      data: { inputs: { kind: 'normal' }, teacher: { kind: 'rosenbrock' }, samples: 16 },
      optimizer: { kind: 'gd', lr: 0.1 },
      stop: { maxSteps: 20, checkEvery: 10 },
      seeds: 2,
      grid: { optimizer: [{ kind: 'gd', lr: 0.1 }, { kind: 'gd', lr: 0.02 }, { kind: 'flow' }] },
    };
    writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
    const out = path.join(dir, 'out');
    expect((await runCli(['run', path.join(dir, 'spec.json'), '--backend', 'cpu', '--threads', '1', '--out', out])).code).toBe(0);
    const report = await buildReport(out, ['optimizer']);
    expect(report.groups.map((group) => [group.key, group.n])).toEqual([
      ['optimizer=gd lr=0.1', 2],
      ['optimizer=gd lr=0.02', 2],
      ['optimizer=flow', 2],
    ]);
    expect((await buildReport(out, ['optimizer.lr'])).groups.map((group) => group.key)).toEqual(['optimizer.lr=0.1', 'optimizer.lr=0.02', 'optimizer.lr=none']);
    // a sweep stopped before its lr = 0.02 runs: their group is planned, not pooled with lr = 0.1
    const lines = readFileSync(path.join(out, 'runs.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(path.join(out, 'runs.jsonl'), `${lines.filter((line) => JSON.parse(line).config.optimizer.lr !== 0.02).join('\n')}\n`);
    const partial = await buildReport(out, ['optimizer']);
    expect(partial.groups.map((group) => group.key)).toEqual(['optimizer=gd lr=0.1', 'optimizer=flow']);
    expect(partial.planned?.byGroup).toEqual({ 'optimizer=gd lr=0.1': 2, 'optimizer=gd lr=0.02': 2, 'optimizer=flow': 2 });
    // …and the report says which group its table leaves out, having no run to count
    expect(formatReport(partial, 'md')).toContain('**No run of this group is recorded, so the table leaves it out: optimizer=gd lr=0.02 (2 planned).**');
    expect(reportWarnings({ ...partial, groups: partial.groups.slice(1) })).toContain(
      'No run of these 2 groups is recorded, so the table leaves them out: optimizer=gd lr=0.1 (2 planned), optimizer=gd lr=0.02 (2 planned).',
    );
  });

  it('refuses a folder without results', async () => {
    const dir = scratchDir('channelscope-report-empty-');
    await expect(buildReport(dir, [])).rejects.toThrow(/holds no runs\.jsonl/);
  });
});

describe('the order of a report', () => {
  it("follows the spec (configuration, then seed), not the order runs finished in: GP teachers by s, runs by seed", async () => {
    const source = new URL('../../benchmarks/results/gp-groups/r8/', import.meta.url);
    const dir = scratchDir('channelscope-report-order-');
    copyFileSync(new URL('spec.json', source), path.join(dir, 'spec.json'));
    const lines = readFileSync(new URL('runs.jsonl', source), 'utf8').trim().split('\n');
    // finished in another order: reversed, then the first half after the second
    const shuffled = [...lines.slice(30).reverse(), ...lines.slice(0, 30)];
    writeFileSync(path.join(dir, 'runs.jsonl'), `${shuffled.join('\n')}\n`);
    const report = await buildReport(dir, ['s']);
    expect(report.groups.map((group) => group.key)).toEqual(['s=0.5', 's=2', 's=10']);
    const seedsOfFirst = report.runs.filter((run) => run.group === 's=0.5').map((run) => Number(run.id.split('-s')[1]));
    expect(seedsOfFirst).toEqual([...seedsOfFirst].sort((a, b) => a - b));
    expect(formatReport(report, 'csv')).toBe(formatReport(await buildReport(path.join(source.pathname), ['s']), 'csv').replace(source.pathname.replace(/\/$/, ''), dir));
  });
});

describe('how far runs got', () => {
  it('measures 1/ε, the cosine distance and |aᵢ|+|aⱼ| of the closest pair, with quartiles per group', async () => {
    const { summarizeRecords, runReach } = await import('../../src/experiment/summary.js');
    const reach = runReach({ ...record('a', channelTheta, [2]), weightNorm: 999 } as never);
    // ε = ‖(0.6,-0.4,0.1) − (0.6000001,-0.4000001,0.1)‖/2 = √2·1e-7/2
    expect(reach.inverseEpsilon).toBeCloseTo(2 / (Math.SQRT2 * 1e-7), -3);
    expect(reach.outputWeightSum).toBe(2800);
    expect(reach.minCosine).toBeLessThan(1e-12);
    expect(reach.weightNorm).toBe(999);
    const finite = runReach(record('b', finiteTheta, [2]) as never);
    expect(finite.inverseEpsilon).toBeLessThan(10);
    const summary = summarizeRecords(
      [record('a', channelTheta, [2]), record('b', finiteTheta, [2]), record('c', finiteTheta, [2])].map((r, k) => ({ ...r, evaluations: 10 * (k + 1) })) as never,
      [],
      'test',
    );
    expect(summary.reach[0].evaluations).toEqual({ n: 3, low: 15, median: 20, high: 25 });
    expect(formatReport(summary, 'md')).toContain('1/ε of the closest pair');
    expect(formatReport(summary, 'csv').split('\n')[0]).toContain('weight_norm_median,inverse_epsilon_median,min_cosine_median,evaluations_median,loss_median');
  });
});

describe('classification reads the end-of-run diagnostics', () => {
  it('a small gradient at finite norm is a finite minimum only without negative curvature in the recorded spectrum', async () => {
    const { classifyRecord } = await import('../../src/experiment/summary.js');
    const withSpectrum = (eigenvalues: number[]) => ({ ...record('s', finiteTheta, [2]), diagnostics: { hessianEigenvalues: eigenvalues, lambdaMin: NaN, lambdaMax: NaN } }) as never;
    expect(classifyRecord(record('plain', finiteTheta, [2]) as never).outcome).toBe('finite-minimum');
    expect(classifyRecord(withSpectrum([1e-3, 0.5, 2])).outcome).toBe('finite-minimum');
    const saddle = classifyRecord(withSpectrum([-0.5, 0.5, 2]));
    expect(saddle.outcome).not.toBe('finite-minimum');
    expect(saddle.reason).toMatch(/−0\.5|-0\.5|negative/);
  });
});

describe('classification of float32 runs', () => {
  it('holds a GPU run to the float32 gradient floor, not to a spec gradTol float32 cannot meet', async () => {
    const { classifyRecord } = await import('../../src/experiment/summary.js');
    // at a finite minimum float32 leaves ‖∇‖∞ ~1e-5 (the flow sweep's spec asks 1e-7·max(1, ‖θ‖∞));
    // ‖θ‖∞ here is 1.1, so 5e-6 passes the floor 1e-5·1.1 and fails 1e-7·1.1
    const atMinimum = (backend: string) => ({ ...record('m', finiteTheta, [2], 'step-size-collapse'), backend, gradInf: 5e-6, config: { architecture: { ...arch, hidden: [2] }, maxnorm: 1000, stop: { gradTol: 1e-7 } } }) as never;
    expect(classifyRecord(atMinimum('gpu')).outcome).toBe('finite-minimum');
    // float64 could have met 1e-7: the CPU record is not converged
    expect(classifyRecord(atMinimum('cpu')).outcome).toBe('not-converged');
    // above the floor a GPU run is not converged either
    expect(classifyRecord({ ...(atMinimum('gpu') as object), gradInf: 1e-3 } as never).outcome).toBe('not-converged');
  });

  it('lets a GPU run at a minimum drift as float32 noise does (≤ 1e-4 per interval), not as a channel grows', async () => {
    const { classifyRecord } = await import('../../src/experiment/summary.js');
    // the last recorded interval: θ scaled by 1 + δ/2 changes the weight norm by δ
    const drifting = (backend: string, drift: number) =>
      ({ ...record('d', finiteTheta, [2]), backend, stopReason: 'step-size-collapse', gradInf: 1e-9, recentParams: [finiteTheta.map((v) => v / (1 + drift / 2)), finiteTheta] }) as never;
    expect(classifyRecord(drifting('gpu', 5e-5)).outcome).toBe('finite-minimum');
    expect(classifyRecord(drifting('cpu', 5e-5)).outcome).toBe('not-converged');
    expect(classifyRecord(drifting('gpu', 1e-3)).outcome).toBe('not-converged');
  });
});

describe('classification of runs whose stop rule has no gradient tolerance (gradTol 0: a fixed budget)', () => {
  it('judges convergence by the default gradTol, so a run that sat at a critical point is not "gradient not small"', async () => {
    const { classifyRecord } = await import('../../src/experiment/summary.js');
    // ‖∇‖∞ 5e-9: met by the default 1e-5·max(1, ‖θ‖∞), never by the stop rule's 0
    const budgeted = { ...record('b', finiteTheta, [2]), stopReason: 'max-evaluations', gradInf: 5e-9, config: { architecture: { ...arch, hidden: [2] }, maxnorm: 1000, stop: { gradTol: 0 } } } as never;
    const verdict = classifyRecord(budgeted);
    expect(verdict.outcome).toBe('finite-minimum');
    // (‖θ‖∞ = 1.1)
    expect(verdict.reason).toMatch(/‖∇‖∞ 5\.00e-9 ≤ 0\.0000110,/);
    // a tolerance the reader asks for still wins
    expect(classifyRecord(budgeted, { gradTol: 1e-10 }).outcome).toBe('not-converged');
  });

  it('measures the reach of a 1-D network without biases by its scalars (every cosine distance is 0), and of a run on a channel along its channel\'s pair', async () => {
    const { runReach } = await import('../../src/experiment/summary.js');
    const line = { inputDim: 1, hidden: [3], activation: 'erf' as const, biases: false };
    const at = (theta: number[]) => ({ params: formatParameterFile(line, theta), weightNorm: 1, loss: 0.1, steps: 1, evaluations: 1 }) as never;
    // w = 1, 3, 3.01: the closest pair is (1, 2), 0.01 apart (ε 0.005), not the first of the pairs tied at cosine 0
    const reach = runReach(at([1, 3, 3.01, 0.5, 40, -40]));
    expect(reach.inverseEpsilon).toBeCloseTo(200, 9);
    expect(reach.minCosine).toBeCloseTo((0.01 / 3.01) ** 2 / 2, 15);
    // told the channel's pair, it measures that one
    expect(runReach(at([1, 3, 3.01, 0.5, 40, -40]), { layer: 0, i: 0, j: 1 }).inverseEpsilon).toBeCloseTo(1, 12);
  });

  it('reads the level of the loss over at least checkEvery steps back from the last point, not over the last few', async () => {
    const { trajectoryLossDrift } = await import('../../src/experiment/summary.js');
    const point = (step: number, loss: number) => ({ step, time: 0, loss, gradInf: 0, weightNorm: 1 });
    const trajectory = [point(1000, 2), point(6116, 1.5), point(6490, 1.2), point(6500, 1.2)];
    expect(trajectoryLossDrift(trajectory)).toEqual({ relative: 0, from: 6490, to: 6500 });
    expect(trajectoryLossDrift(trajectory, 100)).toEqual({ relative: (1.2 - 1.5) / 1.5, from: 6116, to: 6500 });
    expect(trajectoryLossDrift(trajectory, 10_000)).toBeNull();
  });
});

describe('classification of polished runs', () => {
  it('judges a run where its Newton–CG polish ended', async () => {
    const { classifyRecord } = await import('../../src/experiment/summary.js');
    const trained = record('p', channelTheta, [2]);
    const polished = {
      ...trained,
      polish: { params: formatParameterFile(arch, finiteTheta), loss: 0.04, barrier: 0, gradInf: 1e-12, weightNorm: 0.5, iterations: 9, reason: 'converged', converged: true, hvps: 90, gradients: 10, hessianEigenvalues: [0.01, 0.5, 1, 2, 3, 4, 5, 6, 7] },
    };
    expect(classifyRecord(trained as never).outcome).toBe('channel');
    expect(classifyRecord(polished as never).outcome).toBe('finite-minimum');
    const saddle = { ...polished, polish: { ...polished.polish, hessianEigenvalues: [-0.3, 0.5, 1, 2, 3, 4, 5, 6, 7] } };
    expect(classifyRecord(saddle as never).outcome).not.toBe('finite-minimum');
  });
});

// A sweep stopped before its end (a time limit, a kill) has fewer records than its spec plans, and
// the missing runs are the slow ones: the report must say how many are missing, in all and per group.
describe('channelscope report on a sweep that did not finish', () => {
  const source = path.join(path.dirname(new URL(import.meta.url).pathname), '../../benchmarks/results/flow-cpu-subset');
  const lines = readFileSync(path.join(source, 'runs.jsonl'), 'utf8').trim().split('\n');
  const folderWith = (records: string[], checkpoint?: object) => {
    const dir = scratchDir('channelscope-partial-');
    copyFileSync(path.join(source, 'spec.json'), path.join(dir, 'spec.json'));
    writeFileSync(path.join(dir, 'runs.jsonl'), `${records.join('\n')}\n`);
    if (checkpoint) writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify(checkpoint));
    return dir;
  };

  it('counts the runs its spec plans per group and warns that the fractions lean towards quick outcomes', async () => {
    // examples/flow-sweep.json: r = 4 and 8, 200 seeds each; the folder holds 100 r = 4 runs and 65 of r = 8
    // (the rest of the sweep is in flow-cpu-rest)
    const report = await buildReport(folderWith(lines), ['r']);
    expect(report.planned).toEqual({ total: 400, byGroup: { 'r=[4]': 200, 'r=[8]': 200 } });
    const markdown = formatReport(report, 'md');
    expect(markdown).toContain('Recorded 165 of the 400 runs planned: the sweep stopped before 235 finished');
    expect(markdown).toContain('| r=[8] | 65 of 200 |');
    expect(markdown).toContain('| r=[4] | 100 of 200 |');
    const [header, row] = formatReport(report, 'csv').split('\n').map((line) => line.split(','));
    expect(row[header.indexOf('planned')]).toBe('200');
    expect(JSON.parse(formatReport(report, 'json')).planned.total).toBe(400);
  });

  it('says the missing runs are still training while a session writes the folder (its lock is live), not that the sweep stopped', async () => {
    const folder = folderWith(lines);
    const lock = FolderLock.acquire(folder);
    try {
      const running = await buildReport(folder, ['r']);
      expect(running.planned?.stillRunning).toBe(true);
      expect(formatReport(running, 'md')).toContain('Recorded 165 of the 400 runs planned so far: the sweep is still running, 235 to go.');
    } finally {
      lock.release();
    }
    // a lock a dead session left (a process that is gone) is no session
    writeFileSync(path.join(folder, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: '2026-12-07T00:00:00Z' }));
    const stopped = await buildReport(folder, ['r']);
    expect(stopped.planned?.stillRunning).toBeUndefined();
    expect(formatReport(stopped, 'md')).toContain('Recorded 165 of the 400 runs planned: the sweep stopped before 235 finished');
  });

  it("plans only its shard's runs, and says nothing when every planned run is recorded", async () => {
    // shard 1 of 2 takes every other run of the spec's order: 200 of the 400
    const sharded = await buildReport(folderWith(lines.slice(0, 10), { format: 1, shard: { index: 1, count: 2 }, runs: 200, completed: 10, byReason: {}, finished: false, updatedAt: '' }), []);
    expect(sharded.planned?.total).toBe(200);
    expect(formatReport(sharded, 'md')).toContain('Recorded 10 of the 200 runs planned');
    const r4 = lines.filter((line) => JSON.parse(line).config.architecture.hidden[0] === 4);
    const complete = await buildReport(folderWith(r4), ['r']);
    expect(complete.planned?.byGroup['r=[4]']).toBe(200);
    expect(formatReport({ ...complete, planned: { total: 100, byGroup: { 'r=[4]': 100 } } }, 'md')).not.toContain('Recorded');
  });
});

// Several folders of one sweep (its shards, or folders that each hold some of its runs) read as one:
// a sharded sweep's statistics before, or without, `merge`.
describe('channelscope report over several folders of one sweep', () => {
  const source = path.join(path.dirname(new URL(import.meta.url).pathname), '../../benchmarks/results/flow-cpu-subset');
  const lines = readFileSync(path.join(source, 'runs.jsonl'), 'utf8').trim().split('\n');
  const folderWith = (records: string[], spec = readFileSync(path.join(source, 'spec.json'), 'utf8')) => {
    const dir = scratchDir('channelscope-part-');
    writeFileSync(path.join(dir, 'spec.json'), spec);
    writeFileSync(path.join(dir, 'runs.jsonl'), `${records.join('\n')}\n`);
    return dir;
  };

  it('counts what one folder of all their runs counts, and plans the union of their runs', async () => {
    const [a, b] = [folderWith(lines.slice(0, 90)), folderWith(lines.slice(90))];
    const joined = await buildReport([a, b], ['r']);
    const whole = await buildReport(folderWith(lines), ['r']);
    expect(joined.source).toBe(`${a} + ${b}`);
    expect(joined.runs).toHaveLength(165);
    expect(joined.groups).toEqual(whole.groups);
    expect(joined.causes).toEqual(whole.causes);
    // both folders plan the spec's 400 runs: the same 400, not 800
    expect(joined.planned).toEqual({ total: 400, byGroup: { 'r=[4]': 200, 'r=[8]': 200 } });
  });

  it('says which shards of the sweep none of the folders holds', async () => {
    const runs = expandSpec(parseSpec(readFileSync(path.join(source, 'spec.json'), 'utf8')));
    const shardFolder = (index: number) => {
      const ids = new Set(selectShard(runs, { index, count: 3 }).map((run) => run.id));
      const dir = folderWith(lines.filter((line) => ids.has(JSON.parse(line).id)));
      writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify({ format: 1, shard: { index, count: 3 }, runs: ids.size, completed: 0, byReason: {}, finished: true, updatedAt: '' }));
      return dir;
    };
    const [one, two, three] = [1, 2, 3].map(shardFolder);
    const partial = await buildReport([one, three], []);
    const missingRuns = selectShard(runs, { index: 2, count: 3 }).length;
    expect(partial.planned?.missingShards).toEqual({ count: 3, given: [1, 3], missing: [2], runs: missingRuns, sweepRuns: 400 });
    expect(formatReport(partial, 'md')).toContain(`**These folders hold shards 1/3, 3/3 of a sweep in 3: shard 2/3 (${missingRuns} of the sweep's 400 runs) is in none of them.`);
    const whole = await buildReport([one, two, three], []);
    expect(whole.planned?.missingShards).toBeUndefined();
    expect(formatReport(whole, 'md')).not.toContain('in none of them');
  });

  it('refuses a run held twice, and folders of different sweeps', async () => {
    const [a, b] = [folderWith(lines.slice(0, 10)), folderWith(lines.slice(9, 20))];
    const id = JSON.parse(lines[9]).id as string;
    await expect(buildReport([a, b], [])).rejects.toThrow(`report: run ${id} is in both ${a} and ${b}: the folders are not disjoint parts of one sweep`);
    const spec = JSON.parse(readFileSync(path.join(source, 'spec.json'), 'utf8'));
    const other = folderWith(lines.slice(10, 20), JSON.stringify({ ...spec, maxnorm: 500 }));
    await expect(buildReport([a, other], [])).rejects.toThrow(`report: the spec in ${other} differs from the one in ${a} (at: maxnorm)`);
  });

  it('on the command line: report A B; --html without a file is refused (exit 2)', async () => {
    const [a, b] = [folderWith(lines.slice(0, 90)), folderWith(lines.slice(90))];
    const joined = await runCli(['report', a, b, '--by', 'r', '--format', 'json']);
    expect(joined.code, joined.stderr).toBe(0);
    expect(JSON.parse(joined.stdout).runs).toHaveLength(165);
    // folders of records alone (no spec.json: runs.jsonl copied out of their folders) still report
    const bare = [a, b].map((dir) => {
      const copy = scratchDir('channelscope-bare-');
      copyFileSync(path.join(dir, 'runs.jsonl'), path.join(copy, 'runs.jsonl'));
      return copy;
    });
    const bareReport = await runCli(['report', ...bare]);
    expect(bareReport.code, bareReport.stderr).toBe(0);
    expect(bareReport.stdout).toContain('| all | 165 |');
    const html = await runCli(['report', a, b, '--html']);
    expect(html.code).toBe(2);
    expect(html.stderr).toMatch(/--html: with several folders, name the page to write \(--html FILE\)/);
  });
});

describe('the sentence on continued runs', () => {
  it('is grammatical for one run and for several', () => {
    expect(continuedSentence([{ label: 'a', runs: 1 }])).toBe("1 run continues a run of a from where it stopped (channelscope continue; each record's continuedFrom names its run).");
    expect(continuedSentence([{ label: 'a', runs: 6 }])).toMatch(/^6 runs continue runs of a from where they stopped/);
    expect(continuedSentence([{ label: 'a', runs: 1 }, { label: 'b', runs: 2 }])).toMatch(/^3 runs continue runs of other folders \(1 of a, 2 of b\) from where they stopped/);
  });
});
