// Sweeps on data files (a CSV of inputs and targets): the files are checked before a folder is made,
// and their content hashes, kept in the checkpoint, guard everything that reads them again — analyze
// --run, continue, run --resume, merge — against a file edited since the runs trained on it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecords, RUNS_FILE, type RunRecord } from '../../src/experiment/results.js';
import { runCli, snapshot } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const channelscope = (...args: string[]) => runCli(args);
const root = scratchDir('channelscope-data-files-');
const specDir = path.join(root, 'specs');
const csv = path.join(specDir, 'd.csv');
const recordsIn = async (dir: string): Promise<RunRecord[]> => (await readRecords<RunRecord>(path.join(dir, RUNS_FILE))).records;

const rows = (scale: number) => Array.from({ length: 24 }, (_, k) => [Math.sin(k), Math.cos(3 * k), scale * Math.sin(k) * Math.cos(3 * k)]);
const writeCsv = (scale = 1) => writeFileSync(csv, `x1,x2,y\n${rows(scale).map((row) => row.map((v) => v.toFixed(6)).join(',')).join('\n')}\n`);
const spec = {
  name: 'on-a-file',
  architecture: { inputDim: 2, hidden: 3, activation: 'softplus' },
  data: { inputs: { kind: 'file', path: 'd.csv' }, teacher: { kind: 'file' } },
  optimizer: { kind: 'gd', lr: 0.05 },
  stop: { maxSteps: 40, checkEvery: 20, gradTol: 1e-6 },
  trajectory: { points: 4 },
  seeds: 4,
};
const specFile = path.join(specDir, 'spec.json');
const train = (...args: string[]) => channelscope('run', specFile, '--backend', 'cpu', '--threads', '1', ...args);

describe('data files', () => {
  beforeAll(() => {
    mkdirSync(specDir);
    writeFileSync(specFile, JSON.stringify(spec));
  });

  it('a bad file is refused before the results folder is made, so the retry after fixing it needs no --resume', async () => {
    const out = path.join(root, 'bad-file');
    // none there yet: the field that names it, and where its relative path led
    const missing = await train('--out', out);
    expect(missing.stderr).toBe(`channelscope: data.inputs.path "d.csv", which resolves from the spec's folder: cannot read ${csv}: no such file or folder\n`);
    expect(missing.code).toBe(2);
    writeFileSync(csv, 'x1,x2,y\n0.5,1,0.25\n0.1,NaN,2\n');
    const refused = await train('--out', out);
    expect(refused.stderr).toMatch(/d\.csv.*line 3.*NaN/);
    expect(refused.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    // one input column where the architecture takes two
    writeFileSync(csv, 'x1,y\n0.5,0.25\n0.1,2\n');
    const wrongDimension = await train('--out', out);
    expect(wrongDimension.stderr).toMatch(/d\.csv: the file has 1 input columns, but architecture\.inputDim is 2/);
    expect(wrongDimension.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    writeCsv();
    // a minibatch larger than the file's 24 samples, known only once the file is read
    const batchSpec = path.join(specDir, 'batch.json');
    writeFileSync(batchSpec, JSON.stringify({ ...spec, optimizer: { kind: 'sgd', lr: 0.05, batch: 32 } }));
    const tooLarge = await channelscope('run', batchSpec, '--backend', 'cpu', '--out', out);
    expect(tooLarge.stderr).toBe('channelscope: optimizer.batch: 32 exceeds the 24 samples of d.csv\n');
    expect(tooLarge.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect((await train('--out', out)).code).toBe(0);
  });

  it('a file edited since the runs trained on it is refused by analyze --run, continue, run --resume and merge (exit 2, nothing written)', async () => {
    writeCsv();
    const sweep = path.join(root, 'sweep');
    expect((await train('--out', sweep, '--shard', '1/2')).code).toBe(0);
    const checkpoint = JSON.parse(readFileSync(path.join(sweep, 'checkpoint.json'), 'utf8'));
    expect(checkpoint.dataBaseDir).toBe(specDir);
    expect(checkpoint.dataFiles).toEqual({ 'd.csv': expect.stringMatching(/^[0-9a-f]{16}$/) });
    const [first] = await recordsIn(sweep);
    expect((await channelscope('analyze', '--run', sweep, '--id', first.id)).code).toBe(0);

    // the same numbers with other line endings and formatting: the same data
    writeFileSync(csv, `x1,x2,y\r\n${rows(1).map((row) => row.map((v) => v.toFixed(6).replace(/^0\./, '0.')).join(' , ')).join('\r\n')}\r\n`);
    expect((await channelscope('analyze', '--run', sweep, '--id', first.id)).code).toBe(0);
    writeCsv(2);
    const changed = /d\.csv changed since the runs were trained on it \(content hash then [0-9a-f]{16}, now [0-9a-f]{16}\)/;
    const analyzed = await channelscope('analyze', '--run', sweep, '--id', first.id);
    expect(analyzed.stderr).toMatch(changed);
    expect(analyzed.code).toBe(2);
    const continuedOut = path.join(root, 'continued');
    const continued = await channelscope('continue', sweep, '--only', 'max-steps', '--out', continuedOut, '--backend', 'cpu');
    expect(continued.stderr).toMatch(changed);
    expect(continued.code).toBe(2);
    expect(existsSync(continuedOut)).toBe(false);
    const before = snapshot(sweep);
    const resumed = await train('--out', sweep, '--shard', '1/2', '--resume');
    expect(resumed.stderr).toMatch(/cannot resume in .*sweep: the data file d\.csv changed since the sweep began/);
    expect(resumed.code).toBe(2);
    expect(snapshot(sweep)).toEqual(before);

    // the other shard, trained on the edited file: not the same sweep
    const other = path.join(root, 'sweep-2');
    expect((await train('--out', other, '--shard', '2/2')).code).toBe(0);
    const mergedOut = path.join(root, 'merged');
    const merged = await channelscope('merge', sweep, other, '--out', mergedOut);
    expect(merged.stderr).toMatch(/were trained on different contents of the data file d\.csv/);
    expect(merged.code).toBe(2);
    expect(existsSync(mergedOut)).toBe(false);
  });

  it('a resume of a folder from before hashes were kept does not vouch for its records with today\'s files', async () => {
    writeCsv();
    const older = path.join(root, 'older');
    expect((await train('--out', older)).code).toBe(0);
    const checkpointFile = path.join(older, 'checkpoint.json');
    const { dataFiles: _dropped, ...olderCheckpoint } = JSON.parse(readFileSync(checkpointFile, 'utf8'));
    writeFileSync(checkpointFile, JSON.stringify(olderCheckpoint));
    writeCsv(3);
    expect((await train('--out', older, '--resume')).code).toBe(0);
    const resumed = JSON.parse(readFileSync(checkpointFile, 'utf8'));
    expect(resumed.dataBaseDir).toBe(specDir);
    expect(resumed.dataFiles).toBeUndefined();
  });

  it('a merge keeps where the shards read their files, so its runs can be analyzed from any working directory', async () => {
    writeCsv();
    const shards = ['1/2', '2/2'].map((shard) => path.join(root, `shard-${shard[0]}`));
    for (const [k, dir] of shards.entries()) expect((await train('--out', dir, '--shard', `${k + 1}/2`)).code).toBe(0);
    const merged = path.join(root, 'merged-ok');
    expect((await channelscope('merge', ...shards, '--out', merged)).code).toBe(0);
    const checkpoint = JSON.parse(readFileSync(path.join(merged, 'checkpoint.json'), 'utf8'));
    expect(checkpoint).toMatchObject({ dataBaseDir: specDir, dataFiles: { 'd.csv': expect.stringMatching(/^[0-9a-f]{16}$/) } });
    const [first] = await recordsIn(merged);
    const analyzed = await channelscope('analyze', '--run', merged, '--id', first.id);
    expect(analyzed.stderr).toBe('');
    expect(analyzed.stdout).toMatch(/24 samples/);
  });
});
