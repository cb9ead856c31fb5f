// The result store: complete, well-formed records; a folder that survives a kill mid-write; refusals
// that leave the folder as it was.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSpec } from '../../src/experiment/grid.js';
import { parseSpec } from '../../src/experiment/spec.js';
import { parseParameterFile } from '../../src/model/params-file.js';
import {
  CHECKPOINT_FILE,
  LOCK_FILE,
  readRecords,
  ResultStore,
  RUNS_FILE,
  SPEC_FILE,
  STOP_REASONS,
  type RunRecord,
} from '../../src/experiment/results.js';
import { InputError } from '../../src/user-input/input-error.js';
import { runCli, snapshot } from '../helpers/cli.js';
import { currentSoftware, softwareLabel } from '../../src/experiment/software.js';
import { scratchDir } from '../helpers/scratch.js';

const channelscope = (...args: string[]) => runCli(args);

const root = scratchDir('channelscope-results-');

const spec = {
  name: 'records',
  architecture: { inputDim: 2, hidden: 3, activation: 'softplus' },
  data: { samples: 24 },
  optimizer: { kind: 'gd', lr: 0.05 },
  stop: { maxSteps: 200, checkEvery: 25, gradTol: 1e-6 },
  trajectory: { points: 6 },
  seeds: 4,
  grid: { 'optimizer.lr': [0.05, 1e6] },
};

function fakeRecord(id: string, configIndex = 0): RunRecord {
  const params = { activation: 'softplus' as const, biases: false, layers: [{ weights: [[1]] }, { weights: [[1]] }] };
  return {
    id, configIndex, seed: 0, config: {}, backend: 'cpu', device: 'test', params0: params, params,
    loss: 1, barrier: 0, gradInf: 1, weightNorm: 1, steps: 1, evaluations: 1, time: 0, wallSeconds: 0,
    stopReason: 'max-steps', trajectory: [], recentParams: [],
  };
}

describe('channelscope run records', () => {
  it('writes one complete, well-formed record per run, diverged runs included', async () => {
    const specFile = path.join(root, 'records.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const out = path.join(root, 'records-out');
    const result = await channelscope('run', specFile, '--out', out, '--backend', 'cpu', '--slots', '3');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/max-steps\s+4/);
    expect(result.stdout).toMatch(/diverged\s+4/);
    expect(readdirSync(out).sort()).toEqual([CHECKPOINT_FILE, RUNS_FILE, SPEC_FILE].sort());
    expect(JSON.parse(readFileSync(path.join(out, SPEC_FILE), 'utf8'))).toEqual(spec);
    const checkpoint = JSON.parse(readFileSync(path.join(out, CHECKPOINT_FILE), 'utf8'));
    expect(checkpoint).toMatchObject({ finished: true, completed: 8, runs: 8, shard: null, byReason: { 'max-steps': 4, diverged: 4 }, software: currentSoftware(), writtenBy: [softwareLabel(currentSoftware())] });

    const text = readFileSync(path.join(out, RUNS_FILE), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const { records } = await readRecords(path.join(out, RUNS_FILE));
    const runs = expandSpec(parseSpec(JSON.stringify(spec)));
    expect(records.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
    for (const record of records) {
      const run = runs.find((r) => r.id === record.id)!;
      expect(Object.keys(record).sort()).toEqual(
        ['id', 'configIndex', 'seed', 'config', 'backend', 'device', 'arithmetic', 'params0', 'params', 'loss', 'barrier', 'gradInf', 'weightNorm', 'steps', 'evaluations', 'time', 'wallSeconds', 'stopReason', 'trajectory', 'recentParams', 'recentSteps', 'diagnostics', 'software'].sort(),
      );
      // the step of each recent parameter vector, ascending, the last the run's end
      expect(record.recentSteps).toHaveLength(record.recentParams.length);
      expect(record.recentSteps!.at(-1)).toBe(record.steps);
      for (let k = 1; k < record.recentSteps!.length; k++) expect(record.recentSteps![k]).toBeGreaterThan(record.recentSteps![k - 1]);
      expect(record.software).toBe(softwareLabel(currentSoftware()));
      expect(record.configIndex).toBe(run.configIndex);
      expect(record.seed).toBe(run.seed);
      expect(record.config).toEqual(JSON.parse(JSON.stringify(run.config)));
      expect(record.backend).toBe('cpu');
      expect(record.arithmetic).toBe('float64');
      expect(STOP_REASONS).toContain(record.stopReason);
      expect(parseParameterFile(JSON.stringify(record.params0)).arch.hidden).toEqual([3]);
      expect(record.wallSeconds).toBeGreaterThanOrEqual(0);
      const steps = record.trajectory.map((p) => p.step);
      for (let k = 1; k < steps.length; k++) expect(steps[k]).toBeGreaterThan(steps[k - 1]);
      expect(steps[steps.length - 1]).toBe(record.steps);
      if (record.stopReason === 'diverged') {
        expect(run.config.optimizer).toMatchObject({ lr: 1e6 });
        expect(record.loss === null || !Number.isFinite(record.loss)).toBe(true);
      } else {
        expect(record.stopReason).toBe('max-steps');
        expect(record.steps).toBe(200);
        expect(Number.isFinite(record.loss)).toBe(true);
        expect(parseParameterFile(JSON.stringify(record.params)).theta.every(Number.isFinite)).toBe(true);
        expect(steps).toEqual([1, 3, 8, 24, 69, 200]);
      }
    }
  });
});

describe('ResultStore', () => {
  it('starts fresh in a missing or empty folder and refuses a used one without --resume', async () => {
    const dir = path.join(root, 'fresh');
    const store = await ResultStore.open({ dir, spec: { a: 1 }, resume: false, shard: null, runs: 2 });
    store.append(fakeRecord('x'));
    store.checkpoint(false);
    store.close();
    const before = snapshot(dir);
    await expect(ResultStore.open({ dir, spec: { a: 1 }, resume: false, shard: null, runs: 2 })).rejects.toThrow(/not empty: pass --resume/);
    expect(snapshot(dir)).toEqual(before);
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    (await ResultStore.open({ dir: empty, spec: { a: 1 }, resume: true, shard: null, runs: 2 })).close();
    expect(existsSync(path.join(empty, SPEC_FILE))).toBe(true);
  });

  it('names the code that wrote each record and checkpoint, and says so when a resume continues with other code', async () => {
    const dir = path.join(root, 'software');
    const older = { channelscope: '0.1.0', commit: 'aaaaaaaaaaaa', node: 'v20.0.0' };
    const newer = { channelscope: '0.1.0', commit: 'bbbbbbbbbbbb-dirty', node: 'v20.0.0' };
    const checkpoint = () => JSON.parse(readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8'));
    const first = await ResultStore.open({ dir, spec: { a: 1 }, resume: false, shard: null, runs: 3, software: older });
    first.append(fakeRecord('a'));
    first.checkpoint(false);
    first.close();
    expect(checkpoint().software).toEqual(older);
    expect(checkpoint().writtenBy).toEqual(['channelscope 0.1.0 (git aaaaaaaaaaaa)']);
    // the same code again: nothing to say
    const same = await ResultStore.open({ dir, spec: { a: 1 }, resume: true, shard: null, runs: 3, software: older });
    expect(same.notes.join(' ')).not.toMatch(/written by/);
    same.close();
    const resumed = await ResultStore.open({ dir, spec: { a: 1 }, resume: true, shard: null, runs: 3, software: newer });
    expect(resumed.notes.join(' ')).toMatch(
      /records in .* were written by channelscope 0\.1\.0 \(git aaaaaaaaaaaa\); this session is channelscope 0\.1\.0 \(git bbbbbbbbbbbb-dirty\)\. Runs it trains may differ/,
    );
    resumed.append(fakeRecord('b'));
    resumed.checkpoint(true);
    resumed.close();
    expect(checkpoint().writtenBy).toEqual(['channelscope 0.1.0 (git aaaaaaaaaaaa)', 'channelscope 0.1.0 (git bbbbbbbbbbbb-dirty)']);
    expect((await readRecords(path.join(dir, RUNS_FILE))).records.map((r) => r.software)).toEqual(['channelscope 0.1.0 (git aaaaaaaaaaaa)', 'channelscope 0.1.0 (git bbbbbbbbbbbb-dirty)']);
    // a folder from before records and checkpoints named their code
    const old = path.join(root, 'software-old');
    const store = await ResultStore.open({ dir: old, spec: { a: 1 }, resume: false, shard: null, runs: 3, software: older });
    store.append(fakeRecord('a'));
    store.close();
    const { software: _s, writtenBy: _w, ...bare } = JSON.parse(readFileSync(path.join(old, CHECKPOINT_FILE), 'utf8'));
    writeFileSync(path.join(old, CHECKPOINT_FILE), JSON.stringify(bare));
    const { software: _r, ...unnamed } = JSON.parse(readFileSync(path.join(old, RUNS_FILE), 'utf8'));
    writeFileSync(path.join(old, RUNS_FILE), `${JSON.stringify(unnamed)}\n`);
    const later = await ResultStore.open({ dir: old, spec: { a: 1 }, resume: true, shard: null, runs: 3, software: newer });
    expect(later.notes.join(' ')).toMatch(/written by a channelscope from before records named their code; this session is/);
    later.close();
    // the code running now: package.json's version, and a commit where it runs from a checkout
    const now = currentSoftware();
    expect(now.channelscope).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    expect(softwareLabel(now)).toMatch(/^channelscope \d+\.\d+\.\d+( \(git [0-9a-f]{7,}(-dirty)?\))?$/);
  });

  it('resumes past a partial last line, keeping every complete record byte for byte', async () => {
    const dir = path.join(root, 'partial');
    const store = await ResultStore.open({ dir, spec: { a: 1 }, resume: false, shard: null, runs: 3 });
    store.append(fakeRecord('a'));
    store.append(fakeRecord('b'));
    store.close();
    const complete = readFileSync(path.join(dir, RUNS_FILE), 'utf8');
    appendFileSync(path.join(dir, RUNS_FILE), '{"id":"c","configIndex":0,"see'); // a kill mid-write
    const resumed = await ResultStore.open({ dir, spec: { a: 1 }, resume: true, shard: null, runs: 3 });
    expect([...resumed.completed.keys()]).toEqual(['a', 'b']);
    expect(resumed.notes.join(' ')).toMatch(/partial last line/);
    resumed.append(fakeRecord('c'));
    resumed.close();
    const after = readFileSync(path.join(dir, RUNS_FILE), 'utf8');
    expect(after.startsWith(complete)).toBe(true);
    expect((await readRecords(path.join(dir, RUNS_FILE))).records.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('reads a runs.jsonl an editor saved with a byte-order mark, and resumes it (the mark is no part of its first record)', async () => {
    const dir = path.join(root, 'bom');
    const store = await ResultStore.open({ dir, spec: { a: 1 }, resume: false, shard: null, runs: 2 });
    store.append(fakeRecord('a'));
    store.close();
    writeFileSync(path.join(dir, RUNS_FILE), `\uFEFF${readFileSync(path.join(dir, RUNS_FILE), 'utf8')}`);
    const read = await readRecords(path.join(dir, RUNS_FILE));
    expect(read.records.map((r) => r.id)).toEqual(['a']);
    const resumed = await ResultStore.open({ dir, spec: { a: 1 }, resume: true, shard: null, runs: 2 });
    expect([...resumed.completed.keys()]).toEqual(['a']);
    resumed.append(fakeRecord('b'));
    resumed.close();
    expect((await readRecords(path.join(dir, RUNS_FILE))).records.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('refuses to resume with a different spec, a different shard, or a damaged record, touching nothing', async () => {
    const dir = path.join(root, 'refuse');
    const store = await ResultStore.open({ dir, spec: { a: 1, b: { c: 2 } }, resume: false, shard: { index: 1, count: 2, source: '--shard' }, runs: 3 });
    store.append(fakeRecord('a'));
    store.close();
    const before = snapshot(dir);
    const open = (spec: unknown, shard: { index: number; count: number; source: string } | null) => ResultStore.open({ dir, spec, resume: true, shard, runs: 3 });
    await expect(open({ a: 1, b: { c: 3 } }, { index: 1, count: 2, source: '--shard' })).rejects.toThrow(/spec differs.*b\.c/);
    await expect(open({ a: 1, b: { c: 2 } }, { index: 2, count: 2, source: '--shard' })).rejects.toThrow(/shard 1\/2.*shard 2\/2/);
    await expect(open({ a: 1, b: { c: 2 } }, null)).rejects.toBeInstanceOf(InputError);
    expect(snapshot(dir)).toEqual(before);

    writeFileSync(path.join(dir, RUNS_FILE), `not json\n${before[RUNS_FILE]}`);
    const damaged = snapshot(dir);
    await expect(open({ a: 1, b: { c: 2 } }, { index: 1, count: 2, source: '--shard' })).rejects.toThrow(/line 1 is damaged/);
    expect(snapshot(dir)).toEqual(damaged);
  });
});

describe('ResultStore: one session per folder, and only its own runs', () => {
  const open = (dir: string, extra: Partial<Parameters<typeof ResultStore.open>[0]> = {}) =>
    ResultStore.open({ dir, spec: { a: 1 }, resume: true, shard: null, runs: 3, ...extra });

  it('refuses a folder another live session writes, and frees it when that session closes', async () => {
    const dir = path.join(root, 'locked');
    const first = await open(dir);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true);
    first.append(fakeRecord('a'));
    first.checkpoint(false);
    const before = snapshot(dir);
    // this process is alive: a second session on the folder (resume or dry-run) is refused
    await expect(open(dir)).rejects.toThrow(/is in use by another channelscope \(process \d+ on .*: two sessions would write every run twice/);
    await expect(ResultStore.check({ dir, spec: { a: 1 }, resume: true, shard: null, runs: 3 })).rejects.toThrow(/is in use/);
    expect(snapshot(dir)).toEqual(before);
    first.close();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const second = await open(dir);
    expect([...second.completed.keys()]).toEqual(['a']);
    second.close();
  });

  it('takes over the lock of a killed session on this host, not one of another host', async () => {
    const dir = path.join(root, 'stale-lock');
    (await open(dir)).close();
    // the pid of a process that has exited: a session killed with kill -9
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid, host: os.hostname(), since: '2026-01-01T00:00:00Z', command: 'run x.json' }));
    const resumed = await open(dir);
    expect(resumed.notes[0]).toMatch(new RegExp(`left locked by a session that is gone \\(process ${deadPid} on .*\\): taken over`));
    resumed.close();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid, host: 'some-other-node', since: '2026-01-01T00:00:00Z' }));
    await expect(open(dir)).rejects.toThrow(
      /locked by a channelscope on another host, some-other-node \(process \d+ on some-other-node.*\), which refreshed the lock \d+ s ago\. It is taken over once 10\.0 min pass without a refresh .*delete .*channelscope\.lock and resume now/,
    );
  });

  it('refuses a resume whose folder holds a run twice or a run not among its own', async () => {
    const dir = path.join(root, 'twice');
    const store = await open(dir, { shard: { index: 1, count: 2, source: '--shard' }, runIds: new Set(['a', 'b']) });
    store.append(fakeRecord('a'));
    store.append(fakeRecord('b'));
    store.close();
    const before = snapshot(dir);
    // another shard's session, its checkpoint lost: the records say whose the folder is
    rmSync(path.join(dir, CHECKPOINT_FILE));
    await expect(open(dir, { shard: { index: 2, count: 2, source: '--shard' }, runIds: new Set(['c']) })).rejects.toThrow(
      /line 1 holds run a, which is not among this session's 1 runs \(shard 2\/2\): the folder holds another shard/,
    );
    writeFileSync(path.join(dir, CHECKPOINT_FILE), before[CHECKPOINT_FILE]);
    appendFileSync(path.join(dir, RUNS_FILE), `${before[RUNS_FILE].split('\n')[0]}\n`);
    await expect(open(dir, { shard: { index: 1, count: 2, source: '--shard' }, runIds: new Set(['a', 'b']) })).rejects.toThrow(/holds run a twice \(lines 1 and 3\)/);
  });
});
