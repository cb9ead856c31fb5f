// `report --carriers`: the flow sweep's channels by the neurons carrying them (committed float64
// records, benchmarks/results/flow-cpu-subset + flow-cpu-rest), in every format; a run whose data
// cannot be rebuilt is counted as unknown, not dropped.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { carrierCounts } from '../../src/experiment/carriers.js';
import { groupLabeller } from '../../src/experiment/group-labels.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { DataFileChangedError, dataFileHashes, datasetFor } from '../../src/experiment/grid.js';
import { parseConfig } from '../../src/experiment/spec.js';
import { runCli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const recordsOf = (folder: string): RunRecord[] =>
  readFileSync(new URL(`../../benchmarks/results/${folder}/runs.jsonl`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

/** The records grouped by `by` as the report groups them. */
const groupedBy = (records: RunRecord[], by: string[]) => {
  const groupOf = groupLabeller(records.map((record) => record.config), by);
  return records.map((record) => ({ id: record.id, group: groupOf(record.config) }));
};

describe('channels by their carriers', () => {
  it('counts the 135 channels of the flow sweep: r = 4 27 pairs and 2 threes; r = 8 84 pairs, 15 threes, 7 fours', () => {
    const records = [...recordsOf('flow-cpu-subset'), ...recordsOf('flow-cpu-rest')];
    const counts = carrierCounts(records, groupedBy(records, ['r']));
    expect(counts).toEqual([
      { key: 'r=[4]', channels: 29, pair: 27, three: 2, four: 0, unknown: 0 },
      { key: 'r=[8]', channels: 106, pair: 84, three: 15, four: 7, unknown: 0 },
    ]);
  });

  it('counts a channel run whose data file is missing as unknown', () => {
    const [record] = recordsOf('flow-cpu-subset').filter((r) => r.seed === 13 && (r.config as { architecture: { hidden: number[] } }).architecture.hidden[0] === 4);
    const config = record.config as { data: Record<string, unknown> };
    const moved = { ...record, config: { ...config, data: { ...config.data, inputs: { kind: 'file', path: '/nonexistent/inputs.csv' }, teacher: { kind: 'file' } } } } as RunRecord;
    expect(carrierCounts([moved], groupedBy([moved], []))).toEqual([{ key: 'all', channels: 1, pair: 0, three: 0, four: 0, unknown: 1 }]);
  });

  it('reads a run\'s data file where its sweep read it (dataOptions.baseDir)', () => {
    const [record] = recordsOf('flow-cpu-subset').filter((r) => r.seed === 13 && (r.config as { architecture: { hidden: number[] } }).architecture.hidden[0] === 4);
    const data = datasetFor(parseConfig(record.config, 'record'), record.seed);
    const dir = scratchDir('channelscope-carriers-');
    const rows = Array.from({ length: data.samples }, (_, k) => `${data.x[2 * k]},${data.x[2 * k + 1]},${data.y[k]}`);
    writeFileSync(path.join(dir, 'd.csv'), `x1,x2,y\n${rows.join('\n')}\n`);
    const config = record.config as { data: Record<string, unknown> };
    const relative = { ...record, config: { ...config, data: { ...config.data, inputs: { kind: 'file', path: 'd.csv' }, teacher: { kind: 'file' } } } } as RunRecord;
    expect(carrierCounts([relative], groupedBy([relative], []))[0].unknown).toBe(1);
    expect(carrierCounts([relative], groupedBy([relative], []), {}, { baseDir: dir })[0]).toMatchObject({ channels: 1, unknown: 0 });
    // a file changed since the sweep trained on it is refused, not counted as data not rebuilt
    const trainedOn = dataFileHashes([{ config: parseConfig(relative.config, 'record'), seed: relative.seed }], { baseDir: dir });
    writeFileSync(path.join(dir, 'd.csv'), `x1,x2,y\n0,0,1\n${rows.slice(1).join('\n')}\n`);
    expect(() => carrierCounts([relative], groupedBy([relative], []), {}, { baseDir: dir, trainedOn })).toThrow(DataFileChangedError);
  });

  it('on the command line: a markdown table, JSON channelCarriers and CSV columns', async () => {
    const folders = ['benchmarks/results/flow-cpu-subset', 'benchmarks/results/flow-cpu-rest'];
    const md = await runCli(['report', ...folders, '--by', 'r', '--carriers']);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/\| group \| channels \| carried by a pair \| by three neurons \| by four \| data not rebuilt \|\n.*\n\| r=\[4\] \| 29 \| 27 \| 2 \| 0 \| 0 \|\n\| r=\[8\] \| 106 \| 84 \| 15 \| 7 \| 0 \|/);
    const json = JSON.parse((await runCli(['report', ...folders, '--by', 'r', '--carriers', '--format', 'json'])).stdout);
    expect(json.channelCarriers).toHaveLength(2);
    const csv = (await runCli(['report', ...folders, '--by', 'r', '--carriers', '--format', 'csv'])).stdout.trim().split('\n');
    const header = csv[0].split(',');
    const row = csv.find((line) => line.startsWith('"r=[4]"'))!.split(',');
    expect(['channel_pair', 'channel_three', 'channel_four'].map((column) => row[header.indexOf(column)])).toEqual(['27', '2', '0']);
    // without --carriers the report stays as it was
    expect((await runCli(['report', ...folders, '--by', 'r'])).stdout).not.toMatch(/carried by a pair/);
  });
});
