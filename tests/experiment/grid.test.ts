import { describe, expect, it } from 'vitest';
import { formatDatasetCsv } from '../../src/data/csv.js';
import { gpTeacherValues } from '../../src/data/gp-teacher.js';
import { gridSide, normalInputs } from '../../src/data/inputs.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import { randomTeacherNetwork, teacherNetworkValues } from '../../src/data/teacher-network.js';
import { rosenbrock, toy1d } from '../../src/data/teachers.js';
import { forward } from '../../src/model/forward.js';
import { parameterLayout } from '../../src/model/architecture.js';
import { glorotNormal } from '../../src/model/init.js';
import { InputError } from '../../src/user-input/input-error.js';
import { formatParameterFile } from '../../src/model/params-file.js';
import {
  architectureOf,
  barrierThreshold,
  DatasetCache,
  datasetFor,
  datasetKey,
  expandSpec,
  initialParameters,
  resolveSpecPath,
} from '../../src/experiment/grid.js';
import { parseSpec, type RunConfig } from '../../src/experiment/spec.js';

const BASE = {
  architecture: { inputDim: 2, hidden: 4, activation: 'softplus' },
  optimizer: { kind: 'flow' },
  data: { samples: 64 },
};

function parse(patch: Record<string, unknown> = {}) {
  return parseSpec(JSON.stringify({ ...BASE, ...patch }));
}

function configOf(patch: Record<string, unknown> = {}): RunConfig {
  return parse(patch).configurations[0].config;
}

/** An in-memory file system for the file-based inputs and teachers. */
function filesOf(files: Record<string, string>) {
  return (path: string) => {
    if (!(path in files)) throw new InputError(`cannot read ${path}: no such file`);
    return files[path];
  };
}

describe('expandSpec', () => {
  const grid = { 'architecture.hidden': [4, 8], optimizer: [{ kind: 'gd', lr: 0.1 }, { kind: 'adam' }, { kind: 'flow' }] };

  it('is the cartesian product of configurations × seeds, configurations outer, seeds in the order written', () => {
    const runs = expandSpec(parse({ seeds: [5, 1, 3], grid }));
    expect(runs).toHaveLength(2 * 3 * 3);
    expect(runs.map((run) => [run.configIndex, run.seed])).toEqual(
      Array.from({ length: 6 }, (_, configIndex) => [5, 1, 3].map((seed) => [configIndex, seed])).flat(),
    );
    expect(runs.map((run) => `${run.config.architecture.hidden[0]}/${run.config.optimizer.kind}`).filter((_, k) => k % 3 === 0)).toEqual([
      '4/gd',
      '4/adam',
      '4/flow',
      '8/gd',
      '8/adam',
      '8/flow',
    ]);
    expect(runs[4].gridValues).toEqual({ 'architecture.hidden': 4, optimizer: { kind: 'adam' } });
    expect(runs[4].config.optimizer).toEqual({ kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  });

  it('gives unique ids `${configHash}-s${seed}` shared by a configuration', () => {
    const runs = expandSpec(parse({ seeds: 4, grid }));
    expect(new Set(runs.map((run) => run.id)).size).toBe(runs.length);
    for (const run of runs) expect(run.id).toBe(`${run.configHash}-s${run.seed}`);
    expect(runs[0].id).toMatch(/^[0-9a-f]{12}-s0$/);
    expect(runs[1].configHash).toBe(runs[0].configHash);
    expect(runs[4].configHash).not.toBe(runs[0].configHash);
  });

  it('ids are pinned: the same in every process and version unless the configuration changes', () => {
    // If this fails, run ids changed: finished runs of existing sweeps would no longer be recognised on resume.
    // (Last deliberate change, 2026-11-23: the default flow solver became ros34pw2, so a spec without a
    // solver is a different configuration; with rodas4 this spec's ids were 773731bf9079-s0/s1, before
    // that 124f25df5496-s0/s1.)
    const runs = expandSpec(parse({ seeds: 2 }));
    expect(runs.map((run) => run.id)).toEqual(['520f8aa3e594-s0', '520f8aa3e594-s1']);
  });

  it('ids do not move when grid values are added, reordered, or the spec renamed', () => {
    const before = expandSpec(parse({ seeds: 3, grid }));
    const after = expandSpec(
      parse({
        name: 'renamed',
        description: 'a description',
        seeds: 5,
        grid: { optimizer: [{ kind: 'flow' }, { kind: 'sgd', lr: 0.1 }, { kind: 'adam' }, { kind: 'gd', lr: 0.1 }], 'architecture.hidden': [16, 8, 4] },
      }),
    );
    const afterIds = new Set(after.map((run) => run.id));
    for (const run of before) expect(afterIds.has(run.id), run.id).toBe(true);
    // a default written out explicitly is the same configuration
    const explicit = expandSpec(parse({ optimizer: { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 }, maxnorm: 1000, seeds: 3, grid: { 'architecture.hidden': [[4]] } }));
    expect(explicit.map((run) => run.id)).toEqual(before.filter((run) => run.config.optimizer.kind === 'flow' && run.config.architecture.hidden[0] === 4).map((run) => run.id));
  });

  it('is deterministic', () => {
    expect(expandSpec(parse({ seeds: 3, grid }))).toEqual(expandSpec(parse({ seeds: 3, grid })));
  });
});

describe('datasetFor', () => {
  it('is deterministic and shared by every seed unless data.perRun', () => {
    const config = configOf();
    const a = datasetFor(config, 0);
    expect(datasetFor(config, 0)).toEqual(a);
    expect(datasetFor(config, 7)).toEqual(a);
    expect(datasetKey(config, 7)).toBe(datasetKey(config, 0));
    expect(a).toMatchObject({ inputDim: 2, samples: 64, count: 1 });

    const perRun = configOf({ data: { samples: 64, perRun: true } });
    expect(datasetFor(perRun, 0)).toEqual(a); // run index 0 is the shared dataset
    expect(datasetFor(perRun, 7).x).not.toEqual(a.x);
    expect(datasetFor(perRun, 7)).toEqual(datasetFor(perRun, 7));
    expect(datasetKey(perRun, 7)).not.toBe(datasetKey(perRun, 0));

    const otherSeed = configOf({ data: { samples: 64, seed: 1 } });
    expect(datasetFor(otherSeed, 0).x).not.toEqual(a.x);
    expect(datasetKey(otherSeed, 0)).not.toBe(datasetKey(config, 0));
  });

  it('the key ignores what does not shape the data (optimizer, student width, stopping rules)', () => {
    const a = configOf();
    const b = configOf({ architecture: { inputDim: 2, hidden: [8, 8], activation: 'erf' }, optimizer: { kind: 'gd', lr: 1 }, stop: { maxSteps: 5 } });
    expect(datasetKey(b, 3)).toBe(datasetKey(a, 0));
    const cache = new DatasetCache();
    expect(cache.get(b, 3)).toBe(cache.get(a, 0));
    expect(cache.size).toBe(1);
  });

  it('Rosenbrock teacher, standardised over the inputs (or not)', () => {
    const data = datasetFor(configOf(), 0);
    const x = normalInputs(64, 2, 0);
    expect(data.x).toEqual(x);
    const mean = data.y.reduce((s, v) => s + v, 0) / 64;
    const variance = data.y.reduce((s, v) => s + (v - mean) ** 2, 0) / 64;
    expect(Math.abs(mean)).toBeLessThan(1e-12);
    expect(variance).toBeCloseTo(1, 12);
    const raw = datasetFor(configOf({ data: { samples: 64, teacher: { kind: 'rosenbrock', c: 0, standardize: false } } }), 0);
    expect(raw.y[5]).toBe(rosenbrock(x, 10, 2, 0));
  });

  it('GP teacher: the draw of (data.seed, run) on the inputs', () => {
    const config = configOf({ data: { samples: 64, seed: 3, teacher: { kind: 'gp', s: 2, frequencies: 256 } } });
    const data = datasetFor(config, 0);
    expect(data.y).toEqual(gpTeacherValues(normalInputs(64, 2, 3), 2, 2, 3, { frequencies: 256 }));
  });

  it('random-network teacher: Glorot × scale with random biases, from STREAMS.teacher', () => {
    const config = configOf({ data: { samples: 32, teacher: { kind: 'random-network', hidden: 3, activation: 'erf', scale: 2 } } });
    const arch = { inputDim: 2, hidden: [3], activation: 'erf' as const, biases: true };
    const teacher = randomTeacherNetwork(arch, 0, 2);
    const layout = parameterLayout(arch);
    expect(teacher.theta[layout.layers[0].biasOffset]).not.toBe(0);
    expect(datasetFor(config, 0).y).toEqual(teacherNetworkValues(teacher, normalInputs(32, 2, 0)));
  });

  it('network teacher from a parameter file, relative to baseDir', () => {
    const arch = { inputDim: 2, hidden: [3], activation: 'tanh' as const, biases: false };
    const theta = glorotNormal(arch, new RandomStream(9, 0, STREAMS.verify), 1.5);
    const readTextFile = filesOf({ '/specs/teacher.json': JSON.stringify(formatParameterFile(arch, theta)) });
    const config = configOf({ data: { samples: 16, teacher: { kind: 'network', params: 'teacher.json' } } });
    const data = datasetFor(config, 0, { baseDir: '/specs/', readTextFile });
    for (let n = 0; n < 16; n++) expect(data.y[n]).toBe(forward(arch, theta, data.x.slice(2 * n, 2 * n + 2)));

    const wrongDim = configOf({ architecture: { inputDim: 3, hidden: 4, activation: 'softplus' }, data: { samples: 16, teacher: { kind: 'network', params: 'teacher.json' } } });
    expect(() => datasetFor(wrongDim, 0, { baseDir: '/specs', readTextFile })).toThrow(
      '/specs/teacher.json: the teacher network (d=2 hidden=[3] tanh) takes 2 inputs, but architecture.inputDim is 3',
    );
    expect(() => datasetFor(config, 0, { baseDir: '/elsewhere', readTextFile })).toThrow(InputError);

    // a teacher whose outputs overflow: every run would diverge at once, so the data are refused
    const huge = { ...formatParameterFile(arch, theta.map(() => 1e300)), activation: 'softplus' as const };
    const overflowing = filesOf({ '/specs/teacher.json': JSON.stringify(huge) });
    expect(() => datasetFor(config, 0, { baseDir: '/specs/', readTextFile: overflowing })).toThrow(
      /^the teacher network teacher\.json gives a non-finite target on its data \(sample \d+: y = (-?Infinity|NaN)\): its values overflow float64; scale its weights \(or the inputs\) down$/,
    );
  });

  it('inputs and targets from a CSV file: every row, or the first data.samples rows', () => {
    const x = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const y = Float64Array.from([10, 11, 12, 13]);
    const readTextFile = filesOf({ 'data.csv': formatDatasetCsv({ inputDim: 2, samples: 4, count: 1, x, y }) });
    const fileData = { inputs: { kind: 'file', path: 'data.csv' }, teacher: { kind: 'file' } };
    const all = datasetFor(configOf({ data: fileData }), 0, { readTextFile });
    expect(all).toEqual({ inputDim: 2, samples: 4, count: 1, x, y });
    const firstThree = datasetFor(configOf({ data: { ...fileData, samples: 3 } }), 0, { readTextFile });
    expect(Array.from(firstThree.y)).toEqual([10, 11, 12]);
    expect(() => datasetFor(configOf({ data: { ...fileData, samples: 5 } }), 0, { readTextFile })).toThrow('data.csv: data.samples is 5, but the file holds only 4 samples');
    // file inputs with a computed teacher: the y column is ignored
    const rosen = datasetFor(configOf({ data: { inputs: fileData.inputs, teacher: { kind: 'rosenbrock', standardize: false } } }), 0, { readTextFile });
    expect(rosen.y[1]).toBe(rosenbrock(x, 2, 2));
    const wrongDim = configOf({ architecture: { inputDim: 3, hidden: 4, activation: 'softplus' }, data: fileData });
    expect(() => datasetFor(wrongDim, 0, { readTextFile })).toThrow('data.csv: the file has 2 input columns, but architecture.inputDim is 3');
  });

  it('reads files through node:fs by default, with an InputError for a missing one', () => {
    const config = configOf({ data: { inputs: { kind: 'file', path: 'no-such-file.csv' }, teacher: { kind: 'file' } } });
    expect(() => datasetFor(config, 0, { baseDir: '/nonexistent-dir' })).toThrow(/^data\.inputs\.path "no-such-file\.csv", which resolves from the spec.s folder: cannot read \/nonexistent-dir\/no-such-file\.csv: /);
  });

  it('toy-1d teacher on d = 1, grid and Sobol inputs', () => {
    const toy = datasetFor(configOf({ architecture: { inputDim: 1, hidden: 2, activation: 'erf', biases: false }, data: { samples: 50, teacher: { kind: 'toy-1d' } } }), 0);
    for (let n = 0; n < 50; n++) expect(toy.y[n]).toBe(toy1d(toy.x[n]));
    const grid = datasetFor(configOf({ data: { samples: 50, inputs: { kind: 'grid' } } }), 0);
    expect(grid.samples).toBe(gridSide(50) ** 2);
    expect(grid.y).toHaveLength(64);
    const sobol = configOf({ data: { samples: 50, inputs: { kind: 'sobol' }, perRun: true } });
    expect(datasetFor(sobol, 3).x).toEqual(datasetFor(sobol, 4).x); // Sobol points have no randomness
  });

  it('resolveSpecPath keeps absolute paths and joins relative ones', () => {
    expect(resolveSpecPath('a.csv')).toBe('a.csv');
    expect(resolveSpecPath('a.csv', '/x/y/')).toBe('/x/y/a.csv');
    expect(resolveSpecPath('/abs/a.csv', '/x')).toBe('/abs/a.csv');
    expect(resolveSpecPath('C:\\data\\a.csv', '/x')).toBe('C:\\data\\a.csv');
  });
});

describe('initialParameters', () => {
  it('is Glorot normal × init.scale from (seed, 0, STREAMS.init), biases zero, deterministic', () => {
    const config = configOf({ init: { scale: 0.5 } });
    const arch = architectureOf(config);
    const theta = initialParameters(config, 11);
    expect(theta).toEqual(glorotNormal(arch, new RandomStream(11, 0, STREAMS.init), 0.5));
    expect(initialParameters(config, 11)).toEqual(theta);
    expect(initialParameters(config, 12)).not.toEqual(theta);
    for (const layer of parameterLayout(arch).layers) expect(theta[layer.biasOffset]).toBe(0);
    expect(theta.length).toBe(parameterLayout(arch).count);
  });

  it('depends only on seed, architecture and scale: optimisers start from the same point', () => {
    const gd = configOf({ optimizer: { kind: 'gd', lr: 0.1 } });
    const adam = configOf({ optimizer: { kind: 'adam' }, data: { samples: 128, seed: 4 } });
    expect(initialParameters(gd, 3)).toEqual(initialParameters(adam, 3));
  });

  it('barrierThreshold: maxnorm, or Infinity for null', () => {
    expect(barrierThreshold(configOf())).toBe(1000);
    expect(barrierThreshold(configOf({ maxnorm: null }))).toBe(Infinity);
  });
});
