// Labels of report groups and of a sweep's configurations: only what tells a value apart, short.
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/run.js';
import { configurationLabels, groupLabeller, sweepAxes, valueLabeller, varyingFields } from '../../src/experiment/group-labels.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { validateSpec } from '../../src/experiment/spec.js';

describe('valueLabeller', () => {
  it('names a settings object by its kind and the settings that differ among its kind', () => {
    const optimizers = [
      { kind: 'gd', lr: 0.1 },
      { kind: 'gd', lr: 0.02 },
      { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3 },
      { kind: 'adam', lr: 1e-3 },
      { kind: 'adam', lr: 1e-3, batch: 16 },
    ];
    const label = valueLabeller(optimizers);
    expect(optimizers.map(label)).toEqual(['gd lr=0.1', 'gd lr=0.02', 'flow', 'adam batch=none', 'adam batch=16']);
    expect(label(undefined)).toBe('none');
  });

  it('writes scalars and arrays as they are, and an object without a kind by its differing (or all) settings', () => {
    expect([2, true, 'erf', [4, 4]].map(valueLabeller([]))).toEqual(['2', 'true', 'erf', '[4,4]']);
    const label = valueLabeller([{ low: -1, high: 1 }, { low: -2, high: 1 }]);
    expect(label({ low: -2, high: 1 })).toBe('low=-2');
    expect(valueLabeller([{ low: -1, high: 1 }])({ low: -1, high: 1 })).toBe('low=-1 high=1');
  });
});

describe('sweepAxes', () => {
  const record = (config: unknown) => ({ config }) as RunRecord;
  it('names what the grid varies by short names, a settings object whose kind varies whole', () => {
    const records = [
      record({ architecture: { hidden: [2] }, optimizer: { kind: 'gd', lr: 0.1 }, data: { teacher: { kind: 'gp', s: 0.5 }, seed: 1 } }),
      record({ architecture: { hidden: [4] }, optimizer: { kind: 'flow', solver: 'ros34pw2' }, data: { teacher: { kind: 'gp', s: 2 }, seed: 2 } }),
    ];
    expect(sweepAxes(records)).toEqual(['r', 'optimizer', 's']);
  });

  it('keeps a setting alone where the kind stays the same, and gives nothing for one configuration', () => {
    expect(sweepAxes([record({ optimizer: { kind: 'gd', lr: 0.1 } }), record({ optimizer: { kind: 'gd', lr: 0.5 } })])).toEqual(['optimizer.lr']);
    expect(sweepAxes([record({ optimizer: { kind: 'gd', lr: 0.1 } })])).toEqual([]);
  });

  it("reads the same from a sweep's thousands of runs as from its few configurations (each run its own copy, as records parsed from runs.jsonl are)", () => {
    const configs = [
      { optimizer: { kind: 'gd', lr: 0.1 }, data: { teacher: { kind: 'gp', s: 0.5 } } },
      { optimizer: { kind: 'gd', lr: 0.5 }, data: { teacher: { kind: 'gp', s: 0.5 } } },
      { optimizer: { kind: 'adam', lr: 0.1, batch: 16 }, data: { teacher: { kind: 'rosenbrock' } } },
    ];
    const runs = Array.from({ length: 3000 }, (_, k) => record(structuredClone(configs[(k * 7) % 3])));
    expect(sweepAxes(runs)).toEqual(sweepAxes(configs.map(record)));
    expect(varyingFields(runs)).toEqual(varyingFields(configs.map(record)));
    const few = groupLabeller(configs, ['optimizer', 'teacher']);
    const many = groupLabeller(runs.map((run) => run.config), ['optimizer', 'teacher']);
    expect(runs.map((run) => many(run.config))).toEqual(runs.map((run) => few(run.config)));
    expect([...new Set(runs.map((run) => many(run.config)))]).toEqual(['optimizer=gd lr=0.1 teacher=gp', 'optimizer=gd lr=0.5 teacher=gp', 'optimizer=adam teacher=rosenbrock']);
  });
});

describe("run's summary labels configurations by what the grid varies", () => {
  // the quickstart's grid (channel-frequency --quick): activation × teacher, GP teachers with several s
  const spec = validateSpec({
    name: 'labels',
    architecture: { inputDim: 2, hidden: 4, activation: 'softplus', biases: true },
    data: { inputs: { kind: 'normal' }, teacher: { kind: 'rosenbrock' }, samples: 64 },
    optimizer: { kind: 'flow' },
    seeds: 1,
    grid: {
      'architecture.activation': ['softplus', 'erf'],
      'data.teacher': [{ kind: 'rosenbrock' }, { kind: 'gp', s: 0.5 }, { kind: 'gp', s: 2 }],
    },
  });

  it('names each varying grid path by its short name and each value as report does', () => {
    expect(configurationLabels(spec.configurations.map((c) => c.gridValues))).toEqual([
      'activation=softplus teacher=rosenbrock',
      'activation=softplus teacher=gp s=0.5',
      'activation=softplus teacher=gp s=2',
      'activation=erf teacher=rosenbrock',
      'activation=erf teacher=gp s=0.5',
      'activation=erf teacher=gp s=2',
    ]);
    // a grid path with one value tells nothing apart; a linked axis names each path it varies
    expect(configurationLabels([{ 'architecture.hidden': [4], 'optimizer.lr': 0.1 }, { 'architecture.hidden': [4], 'optimizer.lr': 0.5 }])).toEqual(['optimizer.lr=0.1', 'optimizer.lr=0.5']);
    expect(
      configurationLabels([
        { 'architecture.activation': 'softplus', 'stop.maxSteps': 200000 },
        { 'architecture.activation': 'relu', 'stop.maxSteps': 20000 },
      ]),
    ).toEqual(['activation=softplus stop.maxSteps=200000', 'activation=relu stop.maxSteps=20000']);
  });

  it('prints every label whole, so that the GP teachers can be told apart', () => {
    const summaries = spec.configurations.map((c) => ({ id: `run-${c.index}`, configIndex: c.index, stopReason: 'converged' }));
    const lines = formatSummary(spec, summaries, summaries.length).split('\n');
    const rows = lines.slice(lines.findIndex((line) => line.trim().startsWith('config')) + 1).filter(Boolean);
    expect(rows).toHaveLength(6);
    expect(rows[1]).toMatch(/^\s+1 {2}activation=softplus teacher=gp s=0\.5\s+1\s+1$/);
    expect(rows[5]).toMatch(/^\s+5 {2}activation=erf teacher=gp s=2\s+1\s+1$/);
    expect(lines.join('\n')).not.toContain('…');
  });
});
