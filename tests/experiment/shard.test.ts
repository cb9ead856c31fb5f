// Shards: parsing, job-array environments, a partition of the runs; merge of shard folders, with
// missing and duplicated runs detected.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSpec } from '../../src/experiment/grid.js';
import { CHECKPOINT_FILE, readRecords, RUNS_FILE } from '../../src/experiment/results.js';
import { currentSoftware, softwareLabel } from '../../src/experiment/software.js';
import { parseShard, resolveShard, selectShard, shardFromEnvironment } from '../../src/experiment/shard.js';
import { parseSpec } from '../../src/experiment/spec.js';
import { runCli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const channelscope = runCli;

const root = scratchDir('channelscope-shard-');

const spec = {
  name: 'shards',
  architecture: { inputDim: 2, hidden: 2, activation: 'tanh' },
  data: { samples: 16 },
  optimizer: { kind: 'gd', lr: 0.1 },
  stop: { maxSteps: 60, checkEvery: 20 },
  trajectory: { points: 4 },
  seeds: 5,
  grid: { 'optimizer.lr': [0.1, 0.2] },
};

describe('shard selection', () => {
  it('parses k/n with 1-based k and refuses the rest with a clear message', () => {
    expect(parseShard('2/8')).toMatchObject({ index: 2, count: 8 });
    expect(parseShard(' 1 / 1 ')).toMatchObject({ index: 1, count: 1 });
    expect(() => parseShard('0/4')).toThrow(/between 1 and 4.*numbered from 1/);
    expect(() => parseShard('5/4')).toThrow(/between 1 and 4/);
    expect(() => parseShard('1/0')).toThrow(/n must be a whole number from 1/);
    expect(() => parseShard('1/9999999999999999999')).toThrow(/n must be a whole number from 1 to 9007199254740991/);
    expect(() => parseShard('half')).toThrow(/k\/n/);
  });

  it('reads Slurm job arrays and Kubernetes Indexed Jobs', () => {
    expect(shardFromEnvironment({})).toBeNull();
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0' })).toMatchObject({ index: 1, count: 4 });
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '10', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '10' })).toMatchObject({ index: 10, count: 10 });
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '18', SLURM_ARRAY_TASK_STEP: '2' })).toMatchObject({ index: 4, count: 10 });
    expect(() => shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '3' })).toThrow(/SLURM_ARRAY_TASK_COUNT/);
    // --array=1,4,9,10: a count its range 1-10 does not give; no task of it is numbered (task 4 would have been "4/4")
    for (const task of ['1', '4', '10']) {
      expect(() => shardFromEnvironment({ SLURM_ARRAY_TASK_ID: task, SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '10' })).toThrow(
        /SLURM_ARRAY_TASK_COUNT 4 is not the 10 tasks of 1-10 \(an irregular --array list\)/,
      );
    }
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '10', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '10' })).toMatchObject({ index: 4, count: 10 });
    for (const loose of ['0x1', '1.0', '1e0', '-1']) expect(() => shardFromEnvironment({ SLURM_ARRAY_TASK_ID: loose, SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(/SLURM_ARRAY_TASK_ID must be a non-negative integer/);
    expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: '2', CHANNELSCOPE_SHARD_COUNT: '3' })).toMatchObject({ index: 3, count: 3 });
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' })).toThrow(/CHANNELSCOPE_SHARD_COUNT/);
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '0', CHANNELSCOPE_SHARD_COUNT: '0' })).toThrow(/^CHANNELSCOPE_SHARD_COUNT is 0: set it to the Job's .spec.completions \(1 or more\)/);
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '3', CHANNELSCOPE_SHARD_COUNT: '3' })).toThrow(/not below/);
    // the count alone: every task would run the whole sweep (a count of 1 is the whole sweep anyway)
    expect(() => shardFromEnvironment({ CHANNELSCOPE_SHARD_COUNT: '2' })).toThrow(/^CHANNELSCOPE_SHARD_COUNT is 2 but JOB_COMPLETION_INDEX is not set .*, so this task would run the whole sweep: pass --shard k\/n, or unset CHANNELSCOPE_SHARD_COUNT$/);
    expect(shardFromEnvironment({ CHANNELSCOPE_SHARD_COUNT: '1' })).toBeNull();
    // --shard wins over the environment
    expect(resolveShard('1/2', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })).toMatchObject({ index: 1, count: 2, source: '--shard' });
  });

  it('partitions the runs: the union of k/n over k is every run, once', () => {
    const runs = expandSpec(parseSpec(JSON.stringify({ ...spec, seeds: 23 })));
    for (const n of [1, 2, 3, 7, 50]) {
      const ids = Array.from({ length: n }, (_, k) => selectShard(runs, { index: k + 1, count: n }).map((r) => r.id)).flat();
      expect(ids).toHaveLength(runs.length);
      expect(new Set(ids)).toEqual(new Set(runs.map((r) => r.id)));
    }
  });
});

describe('channelscope run --shard and merge', () => {
  it('runs shards whose merge equals the unsharded sweep, and detects missing and duplicated runs', async () => {
    const specFile = path.join(root, 'shards.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const full = path.join(root, 'full');
    const shards = [1, 2, 3].map((k) => path.join(root, `shard-${k}`));
    const results = await Promise.all([
      channelscope(['run', specFile, '--out', full, '--backend', 'cpu']),
      channelscope(['run', specFile, '--out', shards[0], '--backend', 'cpu', '--shard', '1/3']),
      // the other two from job-array environments
      channelscope(['run', specFile, '--out', shards[1], '--backend', 'cpu'], { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }),
      channelscope(['run', specFile, '--out', shards[2], '--backend', 'cpu'], { JOB_COMPLETION_INDEX: '2', CHANNELSCOPE_SHARD_COUNT: '3' }),
    ]);
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(results[2].stderr).toMatch(/shard 2\/3 from SLURM_ARRAY_TASK_ID/);
    expect(results[3].stderr).toMatch(/shard 3\/3 from JOB_COMPLETION_INDEX/);

    const ids = (await Promise.all(shards.map((dir) => readRecords(path.join(dir, RUNS_FILE))))).flatMap((r) => r.records.map((x) => x.id));
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);

    const merged = path.join(root, 'merged');
    const merge = await channelscope(['merge', ...shards, '--out', merged]);
    expect(merge.code, merge.stderr).toBe(0);
    const mergedRecords = (await readRecords(path.join(merged, RUNS_FILE))).records;
    const fullRecords = (await readRecords(path.join(full, RUNS_FILE))).records;
    const expected = expandSpec(parseSpec(JSON.stringify(spec))).map((r) => r.id);
    expect(mergedRecords.map((r) => r.id)).toEqual(expected); // in the spec's order
    const strip = ({ wallSeconds: _w, ...rest }: { wallSeconds: number }) => rest;
    const byId = new Map(fullRecords.map((r) => [r.id, strip(r)]));
    for (const record of mergedRecords) expect(strip(record)).toEqual(byId.get(record.id));
    // the code that wrote the records: one, so nothing to say
    expect(JSON.parse(readFileSync(path.join(merged, CHECKPOINT_FILE), 'utf8')).writtenBy).toEqual([softwareLabel(currentSoftware())]);
    expect(merge.stderr).not.toMatch(/different code/);
    // OUT is written in a hidden staging folder beside it and renamed whole: none is left behind, and
    // one a killed merge left (its process gone) is removed by the next merge to that OUT
    const stagingPrefix = `.merged-again.merging-${hostname()}-`;
    const killedMerge = path.join(root, `${stagingPrefix}${spawnSync('true').pid}`);
    mkdirSync(killedMerge);
    writeFileSync(path.join(killedMerge, RUNS_FILE), '{"id": "half a');
    const mergedAgain = path.join(root, 'merged-again');
    mkdirSync(mergedAgain); // an empty OUT is taken
    const again = await channelscope(['merge', ...shards, '--out', mergedAgain]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/removed .*left by a merge to .*merged-again that was cut short/);
    expect(readFileSync(path.join(mergedAgain, RUNS_FILE), 'utf8')).toBe(readFileSync(path.join(merged, RUNS_FILE), 'utf8'));
    expect(readdirSync(root).filter((name) => name.includes('.merging-'))).toEqual([]);
    // a shard whose records other code wrote: merged all the same, with a note
    const retagged = path.join(root, 'shard-3-other-code');
    cpSync(shards[2], retagged, { recursive: true });
    const stored = JSON.parse(readFileSync(path.join(retagged, CHECKPOINT_FILE), 'utf8'));
    writeFileSync(path.join(retagged, CHECKPOINT_FILE), JSON.stringify({ ...stored, writtenBy: ['channelscope 0.0.9'] }));
    const noted = await channelscope(['merge', shards[0], shards[1], retagged, '--out', path.join(root, 'merged-noted')]);
    expect(noted.code, noted.stderr).toBe(0);
    expect(noted.stderr).toMatch(/written by different code \(channelscope .*; channelscope 0\.0\.9\)/);
    expect(noted.stderr).not.toMatch(/different backends/);
    // a shard whose runs another backend trained (here said to: its records relabelled): merged, with a note
    const onGpu = path.join(root, 'shard-3-gpu');
    cpSync(shards[2], onGpu, { recursive: true });
    const relabelled = readFileSync(path.join(onGpu, RUNS_FILE), 'utf8').trim().split('\n').map((line) => JSON.stringify({ ...JSON.parse(line), backend: 'gpu' }));
    writeFileSync(path.join(onGpu, RUNS_FILE), `${relabelled.join('\n')}\n`);
    const mixedBackends = await channelscope(['merge', shards[0], shards[1], onGpu, '--out', path.join(root, 'merged-backends')]);
    expect(mixedBackends.code, mixedBackends.stderr).toBe(0);
    expect(mixedBackends.stderr).toContain(`merge: note: the folders' runs were trained on different backends (cpu: ${10 - relabelled.length} runs, gpu: ${relabelled.length} runs)`);

    // a missing shard
    const missingOut = path.join(root, 'merged-missing');
    const missing = await channelscope(['merge', shards[0], shards[1], '--out', missingOut]);
    // a usage error: the folders given are not the sweep's shards
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing runs \(3\)/);
    expect(existsSync(missingOut)).toBe(false);

    // a shard that was run twice
    const copy = path.join(root, 'shard-1-again');
    cpSync(shards[0], copy, { recursive: true });
    const dupOut = path.join(root, 'merged-dup');
    const dup = await channelscope(['merge', ...shards, copy, '--out', dupOut]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/duplicated runs \(4\)/);
    expect(dup.stderr).toContain(ids[0]);
    expect(existsSync(dupOut)).toBe(false);

    // folders of different sweeps
    const otherSpec = path.join(root, 'other.json');
    writeFileSync(otherSpec, JSON.stringify({ ...spec, seeds: 6 }));
    const other = path.join(root, 'other');
    expect((await channelscope(['run', otherSpec, '--out', other, '--backend', 'cpu', '--shard', '2/3'])).code).toBe(0);
    const mixed = await channelscope(['merge', shards[0], other, '--out', path.join(root, 'merged-mixed')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/differs.*seeds/);
  });

  it('refuses a bad --shard with exit code 2 before touching the folder', async () => {
    const specFile = path.join(root, 'shards.json');
    writeFileSync(specFile, JSON.stringify(spec));
    for (const shard of ['0/3', '4/3', 'x']) {
      const out = path.join(root, `bad-shard-${shard.replace('/', '-')}`);
      const result = await channelscope(['run', specFile, '--out', out, '--backend', 'cpu', '--shard', shard]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--shard/);
      expect(existsSync(out)).toBe(false);
    }
    const out = path.join(root, 'bad-env');
    const result = await channelscope(['run', specFile, '--out', out, '--backend', 'cpu'], { JOB_COMPLETION_INDEX: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/CHANNELSCOPE_SHARD_COUNT/);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(specFile, 'utf8')).toBe(JSON.stringify(spec));
  });
});
