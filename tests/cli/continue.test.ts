// `channelscope continue DIR`: chosen runs start again where they stopped, under edited settings, into
// a folder of their own; and its refusals (exit 2, nothing written, the source folder untouched).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecords, RUNS_FILE, type RunRecord } from '../../src/experiment/results.js';
import { FolderLock } from '../../src/experiment/folder-lock.js';
import { runCli, snapshot } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const channelscope = (...args: string[]) => runCli(args);
const root = scratchDir('channelscope-continue-');
const source = path.join(root, 'source');
const recordsIn = async (dir: string): Promise<RunRecord[]> => (await readRecords<RunRecord>(path.join(dir, RUNS_FILE))).records;

// gradient descent stopped by a step budget (max-steps): deterministic and fast
const spec = {
  name: 'to-continue',
  architecture: { inputDim: 2, hidden: 3, activation: 'softplus' },
  data: { samples: 32 },
  optimizer: { kind: 'gd', lr: 0.05 },
  stop: { maxSteps: 40, checkEvery: 20, gradTol: 1e-6 },
  trajectory: { points: 4 },
  seeds: 3,
  // small enough steps that the loss only falls
  grid: { 'optimizer.lr': [0.05, 0.1] },
};

describe('channelscope continue', () => {
  beforeAll(async () => {
    const specFile = path.join(root, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const { code, stderr } = await channelscope('run', specFile, '--out', source, '--backend', 'cpu', '--threads', '1');
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
  });

  it('starts each chosen run where it stopped, with the edited settings, and says how the verdicts changed', async () => {
    const before = await recordsIn(source);
    expect(before.every((record) => record.stopReason === 'max-steps')).toBe(true);
    const out = path.join(root, 'continued');
    const { code, stdout, stderr } = await channelscope('continue', source, '--only', 'max-steps', '--set', 'stop.maxSteps=60', 'trajectory.points=5', '--out', out, '--backend', 'cpu', '--threads', '1');
    expect(stderr).toContain(`channelscope continue: 6 of 6 runs of ${source} (max-steps), with stop.maxSteps=60, trajectory.points=5`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/verdicts, before → after \(runs\):\n {2}not-converged \(still-moving\) → not-converged \(still-moving\): 6\n/);
    const edited = JSON.parse(readFileSync(path.join(out, 'spec.json'), 'utf8'));
    expect(edited.stop).toEqual({ ...spec.stop, maxSteps: 60 });
    expect(edited.grid).toEqual(spec.grid);
    const after = await recordsIn(out);
    expect(after).toHaveLength(6);
    for (const record of after) {
      const from = before.find((earlier) => earlier.id === record.continuedFrom!.id)!;
      expect(record.continuedFrom).toMatchObject({ folder: source, stopReason: 'max-steps', steps: 40, maxnorm: 1000 });
      expect(record.id).not.toBe(from.id); // the settings are part of a run's id
      expect([record.seed, record.configIndex]).toEqual([from.seed, from.configIndex]);
      // it starts exactly where the other stopped, and goes on from there
      expect(record.params0).toEqual(from.params);
      expect(record.steps).toBe(60);
      expect(record.trajectory[0].loss).toBeLessThanOrEqual(from.loss);
      expect(record.trajectory[0].loss).toBeGreaterThan(0.95 * from.loss);
      expect(record.loss).toBeLessThan(record.trajectory[0].loss);
    }
    // the continued folder is a results folder like any other, which plans the runs it continues
    expect(JSON.parse(readFileSync(path.join(out, 'continued.json'), 'utf8'))).toEqual({ from: source, fromPath: source, set: ['stop.maxSteps=60', 'trajectory.points=5'], only: ['max-steps'], runs: after.map((r) => r.id) });
    const report = await channelscope('report', out, '--by', 'optimizer.lr');
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('| optimizer.lr=0.05 | 3 |');
    expect(report.stdout).not.toMatch(/Recorded \d+ of/);
    expect(report.stdout).toContain(`6 runs continue runs of ${source} from where they stopped`);
    // resumed, it has nothing left to do (the source named another way is the same source)
    const again = await channelscope('continue', path.relative(process.cwd(), source), '--only', 'max-steps', '--set', 'stop.maxSteps=60', 'trajectory.points=5', '--out', out, '--resume', '--backend', 'cpu', '--threads', '1');
    expect(again.code).toBe(0);
    expect(await recordsIn(out)).toHaveLength(6);
  });

  it('says so when a session is still writing the folder continued: its later runs are not among those continued', async () => {
    const lock = FolderLock.acquire(source);
    try {
      const out = path.join(root, 'continued-while-written');
      const during = await channelscope('continue', source, '--only', 'max-steps', '--set', 'stop.maxSteps=41', '--out', out, '--backend', 'cpu', '--threads', '1');
      expect(during.code).toBe(0);
      expect(during.stderr).toContain(`note: a session is writing ${source} now: the runs it records from here on are not among these\n`);
      const none = await channelscope('continue', source, '--only', 'diverged', '--out', path.join(root, 'never-continued-while-written'), '--backend', 'cpu');
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/none of the 6 runs of .* is diverged .*; a session is writing .* now: continue it once the runs to continue are recorded\n$/);
    } finally {
      lock.release();
    }
  });

  it('shards of a continuation merge into one; run --resume does not fill a continuation with fresh runs', async () => {
    const shards = [1, 2].map((k) => path.join(root, `shard-${k}`));
    for (const [k, dir] of shards.entries()) {
      const { code } = await channelscope('continue', source, '--only', 'max-steps', '--set', 'stop.maxSteps=50', '--shard', `${k + 1}/2`, '--out', dir, '--backend', 'cpu', '--threads', '1');
      expect(code).toBe(0);
    }
    const counts = await Promise.all(shards.map(async (dir) => (await recordsIn(dir)).length));
    expect(counts[0] + counts[1]).toBe(6);
    const merged = path.join(root, 'merged');
    const merge = await channelscope('merge', ...shards, '--out', merged);
    expect(merge.stderr).toBe('');
    expect(merge.code).toBe(0);
    expect(await recordsIn(merged)).toHaveLength(6);
    expect(JSON.parse(readFileSync(path.join(merged, 'continued.json'), 'utf8')).runs).toHaveLength(6);
    // one shard alone is not the continuation: its continued.json names only its own runs, so the
    // checkpoints say what is missing
    const alone = await channelscope('merge', shards[0], '--out', path.join(root, 'merged-one'));
    expect(alone.stderr).toMatch(/^channelscope: merge: these continuation folders hold shards 1\/2 of their chosen runs, not 2\/2 .*: merge the folders of every shard/);
    expect(alone.code).toBe(2);
    expect(existsSync(path.join(root, 'merged-one'))).toBe(false);
    // a continuation's shard beside a sweep's shard of the same spec: not parts of one sweep, for
    // merge and report alike (continued runs would read as the sweep's own sample)
    const continuedShard = path.join(root, 'mixed-kinds-continued-1');
    const sweepShard = path.join(root, 'mixed-kinds-sweep-2');
    expect((await channelscope('continue', source, '--only', 'max-steps', '--shard', '1/2', '--out', continuedShard, '--backend', 'cpu', '--threads', '1')).code).toBe(0);
    expect((await channelscope('run', path.join(root, 'spec.json'), '--shard', '2/2', '--out', sweepShard, '--backend', 'cpu', '--threads', '1')).code).toBe(0);
    const kinds = `${sweepShard} is a sweep's folder and ${continuedShard} a continuation's (continued.json): folders of one kind only`;
    const mixedMerge = await channelscope('merge', continuedShard, sweepShard, '--out', path.join(root, 'mixed'));
    expect(mixedMerge.stderr.trim()).toBe(`channelscope: merge: ${kinds}`);
    expect(mixedMerge.code).toBe(2);
    const mixedReport = await channelscope('report', continuedShard, sweepShard);
    expect(mixedReport.stderr.trim()).toBe(`channelscope: report: ${kinds}; report each on its own`);
    expect(mixedReport.code).toBe(2);
    // the folder's spec given to `run` would train the runs it did not choose, from scratch
    const specFile = path.join(root, 'shard-spec.json');
    writeFileSync(specFile, readFileSync(path.join(shards[0], 'spec.json')));
    const untouched = snapshot(shards[0]);
    const resumed = await channelscope('run', specFile, '--out', shards[0], '--resume', '--shard', '1/2', '--backend', 'cpu');
    expect(resumed.stderr).toMatch(/holds runs continued from .*: resume it with `channelscope continue .* --resume`/);
    expect(resumed.code).toBe(2);
    expect(snapshot(shards[0])).toEqual(untouched);
    // nor does a continuation mix its runs into a folder of a sweep's own: here one that holds one
    // of the runs it would continue, trained from scratch by `run` (the same spec: no --set)
    const partial = path.join(root, 'partial-sweep');
    cpSync(source, partial, { recursive: true });
    const [oneRun] = (await recordsIn(source)).filter((r) => r.stopReason === 'max-steps');
    writeFileSync(path.join(partial, 'runs.jsonl'), `${JSON.stringify(oneRun)}\n`);
    const partialBefore = snapshot(partial);
    const into = await channelscope('continue', source, '--only', 'max-steps', '--out', partial, '--resume', '--backend', 'cpu');
    expect(into.stderr).toMatch(/partial-sweep holds runs trained by `channelscope run`, not runs continued from .*source: continue into a new --out/);
    expect(into.code).toBe(2);
    expect(snapshot(partial)).toEqual(partialBefore);
  });

  it("says where the continuations of a sharded sweep's shard folders leave one out", async () => {
    const specFile = path.join(root, 'spec.json');
    const continued: string[] = [];
    for (const k of [1, 2]) {
      const shard = path.join(root, `sweep-shard-${k}`);
      expect((await channelscope('run', specFile, '--shard', `${k}/2`, '--out', shard, '--backend', 'cpu', '--threads', '1')).code).toBe(0);
      const out = path.join(root, `sweep-shard-${k}-continued`);
      expect((await channelscope('continue', shard, '--only', 'max-steps', '--set', 'stop.maxSteps=45', '--out', out, '--backend', 'cpu', '--threads', '1')).code).toBe(0);
      continued.push(out);
    }
    const both = await channelscope('merge', ...continued, '--out', path.join(root, 'sweep-continued'));
    expect(both.stderr).toBe('');
    expect(both.code).toBe(0);
    // (shard 2's continuation may have had nothing to continue: said, not refused)
    const one = await channelscope('merge', continued[0], '--out', path.join(root, 'sweep-continued-one'));
    expect(one.stderr).toBe(
      "merge: note: the folders continue shards 1/2 of a sweep (their source folders' checkpoints say); none continues 2/2: where those shards had runs to continue, their continuations are missing from this merge\n",
    );
    expect(one.code).toBe(0);
  });

  it('reads a sweep\'s data files where its run read them, from any working directory (analyze --run too)', async () => {
    const specDir = path.join(root, 'spec-with-file');
    mkdirSync(specDir);
    const rows = Array.from({ length: 24 }, (_, k) => [Math.sin(k), Math.cos(3 * k), Math.sin(k) * Math.cos(3 * k)]);
    writeFileSync(path.join(specDir, 'd.csv'), `x1,x2,y\n${rows.map((row) => row.map((v) => v.toFixed(6)).join(',')).join('\n')}\n`);
    writeFileSync(path.join(specDir, 'spec.json'), JSON.stringify({ ...spec, grid: undefined, seeds: 2, data: { inputs: { kind: 'file', path: 'd.csv' }, teacher: { kind: 'file' } } }));
    const sweep = path.join(root, 'file-sweep');
    expect((await channelscope('run', path.join(specDir, 'spec.json'), '--out', sweep, '--backend', 'cpu', '--threads', '1')).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(sweep, 'checkpoint.json'), 'utf8')).dataBaseDir).toBe(specDir);
    const [first] = await recordsIn(sweep);
    const analyzed = await channelscope('analyze', '--run', sweep, '--id', first.id);
    expect(analyzed.stderr).toBe('');
    expect(analyzed.stdout).toMatch(/24 samples/);
    const out = path.join(root, 'file-continued');
    const continued = await channelscope('continue', sweep, '--only', 'max-steps', '--set', 'stop.maxSteps=50', '--out', out, '--backend', 'cpu', '--threads', '1');
    expect(continued.code).toBe(0);
    expect(await recordsIn(out)).toHaveLength(2);
  });

  it('runs continued at the barrier they reached stop at once: a note says so, and their records reach back into the source runs\' recent parameters', async () => {
    // flow to a low barrier: every run stops there within a few hundred steps
    const specFile = path.join(root, 'barrier-spec.json');
    writeFileSync(specFile, JSON.stringify({ ...spec, name: 'barrier-soon', grid: undefined, optimizer: { kind: 'flow', solver: 'dopri5' }, maxnorm: 0.4, stop: { maxSteps: 3000, checkEvery: 20 } }));
    const atBarrier = path.join(root, 'at-barrier');
    expect((await channelscope('run', specFile, '--out', atBarrier, '--backend', 'cpu', '--threads', '1')).code).toBe(0);
    const sources = await recordsIn(atBarrier);
    expect(sources.every((record) => record.stopReason === 'barrier' && record.recentParams.length === 3)).toBe(true);
    const out = path.join(root, 'at-barrier-continued');
    const continued = await channelscope('continue', atBarrier, '--only', 'barrier', '--out', out, '--backend', 'cpu', '--threads', '1');
    expect(continued.stderr).toMatch(/note: 3 of them stopped at the norm barrier, which these settings do not raise: they stop again at once/);
    expect(continued.code).toBe(0);
    for (const record of await recordsIn(out)) {
      const source = sources.find((s) => s.id === record.continuedFrom!.id)!;
      expect(record.steps).toBe(1);
      // one step of its own: the source's last two parameter vectors, then its own end (the classifier's last-update test has motion to judge)
      expect(record.recentParams).toHaveLength(3);
      expect(record.recentParams.slice(0, 2)).toEqual(source.recentParams.slice(1));
      // their steps counted from this run's start, the source's end
      expect(record.recentSteps).toEqual([source.recentSteps![1] - source.steps, 0, 1]);
    }
    // every verdict as before (no channel from a run judged without its history)
    expect(continued.stdout).not.toMatch(/→ channel/);
    // where the barrier no longer stops them, nothing to say
    const unstopped = await channelscope('continue', atBarrier, '--only', 'barrier', '--set', 'stop.atBarrier=false', 'stop.maxSteps=5', '--out', path.join(root, 'unstopped'), '--backend', 'cpu', '--threads', '1');
    expect(unstopped.stderr).not.toMatch(/note: .* stopped at the norm barrier/);
    expect(unstopped.code).toBe(0);
    const raised = await channelscope('continue', atBarrier, '--only', 'barrier', '--set', 'maxnorm=4', '--out', path.join(root, 'raised'), '--backend', 'cpu', '--threads', '1');
    expect(raised.stderr).not.toMatch(/note: .* stopped at the norm barrier/);
    expect(raised.code).toBe(0);
  });

  it('a preset\'s runs continued: its tables say they are a chosen few under edited settings', async () => {
    const preset = path.join(root, 'preset');
    // (2 of the quick version's 4 seeds: enough runs that stop sharpening or out of steps)
    expect((await channelscope('run', 'channel-frequency', '--quick', '--seeds', '2', '--out', preset, '--backend', 'cpu', '--threads', '1')).code).toBe(0);
    const out = path.join(root, 'preset-continued');
    const continued = await channelscope('continue', preset, '--only', 'max-steps,sharpening', '--set', 'maxnorm=1e4', '--out', out, '--backend', 'cpu', '--threads', '1');
    expect(continued.code).toBe(0);
    const runs = (await recordsIn(out)).length;
    expect((await channelscope('report', out)).code).toBe(0);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(
      new RegExp(`^\\*These ${runs} runs continue runs of ${preset} chosen by --only max-steps,sharpening, with --set maxnorm=1e4: the preset's tables over them, not over the preset's sample\\.\\*\n\n## channel-frequency: ${runs} runs`),
    );
  });

  it('refuses a run whose final parameters are not finite, before making a folder', async () => {
    const broken = path.join(root, 'broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'spec.json'), readFileSync(path.join(source, 'spec.json')));
    const [first, ...rest] = await recordsIn(source);
    const params = JSON.parse(JSON.stringify(first.params));
    params.layers[0].weights[0][0] = null;
    writeFileSync(path.join(broken, RUNS_FILE), [{ ...first, stopReason: 'diverged', params }, ...rest].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const out = path.join(root, 'from-broken');
    const { code, stderr } = await channelscope('continue', broken, '--only', 'diverged', '--out', out, '--backend', 'cpu');
    expect(stderr).toMatch(new RegExp(`record ${first.id}: non-finite or missing value \\(null\\) at layers\\[0\\]\\.weights\\[0\\]\\[0\\]`));
    expect(code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses what would change a run\'s network or data, typos, unknown labels and an empty choice, writing nothing', async () => {
    const untouched = snapshot(source);
    const refused = async (args: string[], message: RegExp) => {
      const out = path.join(root, `refused-${Math.random().toString(36).slice(2)}`);
      const { code, stderr } = await channelscope('continue', source, ...args, '--out', out, '--backend', 'cpu');
      expect(stderr).toMatch(message);
      expect(code).toBe(2);
      expect(existsSync(out)).toBe(false);
    };
    await refused(['--set', 'architecture.hidden=[4]'], /--set architecture\.hidden: a continued run keeps its network, data and seed/);
    await refused(['--set', 'optimizer.lr=0.1'], /--set optimizer\.lr: the spec's grid varies optimizer\.lr/);
    await refused(['--set', 'stop.maxStepz=60'], /stop\.maxStepz/);
    await refused(['--set', 'maxnorm'], /--set "maxnorm": expected path=value/);
    await refused(['--set', 'stop.__proto__.x=1'], /--set stop\.__proto__\.x: not a spec field/);
    await refused(['--set', 'maxnorm=1e4', 'stop.maxSteps=60', 'maxnorm=2e4'], /^channelscope: --set maxnorm is given twice \(maxnorm=1e4, maxnorm=2e4\): give each path once$/m);
    await refused(['--set', 'stop.patience=1e999'], /^channelscope: --set stop\.patience=1e999: a number beyond float64's range \(about 1\.8e308\)$/m);
    await refused(['--set', 'maxnorm=1e400'], /^channelscope: --set maxnorm=1e400: a number beyond float64's range \(about 1\.8e308\); maxnorm=null is no barrier$/m);
    await refused(['--only', ','], /^channelscope: --only "," names no verdict, not-converged cause or stop reason \(channel, /m);
    await refused(['--only', 'chanel'], /--only "chanel" is not a verdict, not-converged cause or stop reason \(channel, /);
    await refused(['--only', 'barrier'], /none of the 6 runs of .* is barrier \(`channelscope report/);
    const same = await channelscope('continue', source, '--out', source, '--backend', 'cpu');
    expect(same.stderr).toMatch(/--out must be a new folder/);
    expect(same.code).toBe(2);
    const empty = mkdtempSync(path.join(root, 'not-a-sweep-'));
    const none = await channelscope('continue', empty);
    expect(none.stderr).toMatch(/holds no spec\.json/);
    expect(none.code).toBe(2);
    // the folder after --set is read as an edit: the message says DIR comes first
    const late = await channelscope('continue', '--set', 'maxnorm=1e4', source);
    expect(late.stderr).toMatch(/missing required argument 'dir'\n\(DIR comes first: --set takes every word after it/);
    expect(late.code).toBe(2);
    expect(snapshot(source)).toEqual(untouched);
  });
});
