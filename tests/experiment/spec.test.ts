import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/user-input/input-error.js';
import {
  canonicalJson,
  DEFAULT_SAMPLES,
  FLOW_SOLVERS,
  INPUT_KINDS,
  OPTIMIZER_KINDS,
  parseConfig,
  parseSpec,
  specSchema,
  TEACHER_KINDS,
  validateSpec,
} from '../../src/experiment/spec.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

const BASE = {
  architecture: { inputDim: 2, hidden: 4, activation: 'softplus' },
  optimizer: { kind: 'flow' },
};

/** BASE with `patch` merged one level deep (patch values replace whole sections). */
function spec(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...BASE, ...patch };
}

function errorOf(value: unknown, source?: string): string {
  try {
    parseSpec(typeof value === 'string' ? value : JSON.stringify(value), source);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected parseSpec to throw');
}

describe('good specs', () => {
  it('fills every default of a minimal spec', () => {
    const parsed = parseSpec(JSON.stringify(BASE));
    expect(parsed.seeds).toEqual([0]);
    expect(parsed.grid).toEqual([]);
    expect(parsed.configurations).toHaveLength(1);
    expect(parsed.configurations[0].config).toEqual({
      architecture: { inputDim: 2, hidden: [4], activation: 'softplus', biases: true },
      data: {
        inputs: { kind: 'normal' },
        teacher: { kind: 'rosenbrock', c: 1, a: 1, b: 3, standardize: true },
        samples: DEFAULT_SAMPLES,
        seed: 0,
        perRun: false,
      },
      init: { kind: 'glorot-normal', scale: 1, biases: 'zero' },
      optimizer: { kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 },
      maxnorm: 1000,
      stop: { maxSteps: 100000, gradTol: 1e-5, minImprovement: 1e-7, checkEvery: 1000 },
      trajectory: { points: 30 },
    });
    expect(FLOW_SOLVERS).toContain('dopri5');
    expect(OPTIMIZER_KINDS).toEqual(['gd', 'momentum', 'adam', 'sgd', 'flow']);
    expect(INPUT_KINDS).toEqual(['normal', 'uniform', 'sobol', 'grid', 'sphere', 'file']);
    expect(TEACHER_KINDS).toEqual(['rosenbrock', 'gp', 'network', 'random-network', 'toy-1d', 'file']);
  });

  it('fills the defaults of every optimiser', () => {
    const optimizerOf = (optimizer: unknown) => parseSpec(JSON.stringify(spec({ optimizer }))).configurations[0].config.optimizer;
    expect(optimizerOf({ kind: 'gd', lr: 0.1 })).toEqual({ kind: 'gd', lr: 0.1 });
    expect(optimizerOf({ kind: 'momentum', lr: 0.1 })).toEqual({ kind: 'momentum', lr: 0.1, beta: 0.9 });
    expect(optimizerOf({ kind: 'adam' })).toEqual({ kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(optimizerOf({ kind: 'adam', batch: 16 })).toMatchObject({ batch: 16 });
    expect(optimizerOf({ kind: 'sgd', lr: 0.1 })).toEqual({ kind: 'sgd', lr: 0.1, batch: 16 });
    expect(optimizerOf({ kind: 'flow', rtol: 1e-4, maxStepSize: 10 })).toEqual({ kind: 'flow', solver: 'ros34pw2', rtol: 1e-4, atol: 1e-6, maxStepSize: 10 });
  });

  it('accepts every teacher and input kind, and hidden as a number or an array', () => {
    const teachers = [
      { kind: 'rosenbrock', c: 0 },
      { kind: 'gp', s: 0.5 },
      { kind: 'network', params: 'teacher.json' },
      { kind: 'random-network', hidden: [3, 3], activation: 'erf', biases: false, scale: 2 },
    ];
    for (const teacher of teachers) expect(() => parseSpec(JSON.stringify(spec({ data: { teacher } })))).not.toThrow();
    const inputs = [{ kind: 'uniform' }, { kind: 'sobol' }, { kind: 'grid' }, { kind: 'sphere', radius: 1 }];
    for (const input of inputs) expect(() => parseSpec(JSON.stringify(spec({ data: { inputs: input } })))).not.toThrow();
    const fromFile = parseSpec(JSON.stringify(spec({ data: { inputs: { kind: 'file', path: 'd.csv' }, teacher: { kind: 'file' } } })));
    expect(fromFile.configurations[0].config.data.samples).toBeUndefined(); // every row of the file
    const toy = parseSpec(JSON.stringify(spec({ architecture: { inputDim: 1, hidden: [2, 2, 2], activation: 'erf', biases: false }, data: { teacher: { kind: 'toy-1d' } } })));
    expect(toy.configurations[0].config.architecture.hidden).toEqual([2, 2, 2]);
  });

  it('reads seeds as a count, a list or a range, and maxnorm null as no barrier', () => {
    expect(parseSpec(JSON.stringify(spec({ seeds: 3 }))).seeds).toEqual([0, 1, 2]);
    expect(parseSpec(JSON.stringify(spec({ seeds: [7, 2, 9] }))).seeds).toEqual([7, 2, 9]);
    expect(parseSpec(JSON.stringify(spec({ seeds: { from: 100, count: 3 } }))).seeds).toEqual([100, 101, 102]);
    expect(parseSpec(JSON.stringify(spec({ maxnorm: null }))).configurations[0].config.maxnorm).toBeNull();
  });

  it('keeps name, description and the input as written', () => {
    const parsed = parseSpec(JSON.stringify(spec({ name: 'n', description: 'd' })));
    expect(parsed.name).toBe('n');
    expect(parsed.description).toBe('d');
    expect(parsed.input).toEqual(spec({ name: 'n', description: 'd' }));
  });

  it('is the same through specSchema, validateSpec and parseSpec', () => {
    const value = spec({ seeds: 2, grid: { 'architecture.hidden': [4, 8] } });
    expect(specSchema.parse(value)).toEqual(parseSpec(JSON.stringify(value)));
    expect(validateSpec(value)).toEqual(parseSpec(JSON.stringify(value)));
  });

  const exampleFiles = readdirSync(EXAMPLES).filter((file) => file.endsWith('.json'));
  it('finds the example files', () => {
    expect(exampleFiles).toEqual(expect.arrayContaining(['default.json', 'optimizers.json', 'gp-teachers.json', 'toy-1d.json']));
  });
  for (const file of exampleFiles) {
    it(`parses examples/${file}`, () => {
      const parsed = parseSpec(readFileSync(`${EXAMPLES}${file}`, 'utf8'), `examples/${file}`);
      expect(parsed.configurations.length).toBeGreaterThan(0);
      expect(parsed.description).toBeTruthy();
    });
  }

  it('examples/default.json is the channel-prone default sweep', () => {
    const parsed = parseSpec(readFileSync(`${EXAMPLES}default.json`, 'utf8'));
    expect(parsed.configurations.map((c) => c.config.architecture.hidden)).toEqual([[4], [8]]);
    const config = parsed.configurations[0].config;
    expect(config.architecture.activation).toBe('softplus');
    expect(config.data.teacher.kind).toBe('rosenbrock');
    expect(config.optimizer).toEqual({ kind: 'flow', solver: 'ros34pw2', rtol: 1e-3, atol: 1e-6 });
    expect(parsed.seeds).toHaveLength(12);
  });
});

describe('bad specs: messages name the field, the value and what is allowed', () => {
  it('refuses empty text and invalid JSON, naming the source', () => {
    expect(errorOf('', 'my.json')).toMatch(/^my\.json: the file is empty/);
    expect(errorOf('{"architecture": ', 'my.json')).toMatch(/^my\.json: invalid JSON/);
    expect(errorOf([1, 2])).toBe('spec: the spec must be a JSON object, got [1,2]');
  });

  it('says where in the file the JSON breaks: line and column, or where it ends, on one line', () => {
    // a trailing comma, the commonest hand-edit: Node 20 gives only the position, the message adds the line
    expect(errorOf('{\n  "name": "x",\n  "seeds": 2,\n}\n', 'my.json')).toMatch(/^my\.json: invalid JSON: .*position 31 \(line 4 column 1\): JSON allows no comma before a closing }$/);
    expect(errorOf('\uFEFF{\n  "seeds": 2,,\n}', 'my.json')).toMatch(/\(line 2 column 14\)$/);
    expect(errorOf('{\n"seeds": 2\n', 'my.json')).toMatch(/^my\.json: invalid JSON: .*\b(line 3|end)/);
    expect(errorOf('{\n  "a": tru\n}', 'my.json')).not.toMatch(/\n/);
  });

  it('unknown field at the top level', () => {
    expect(errorOf(spec({ optimiser: { kind: 'gd', lr: 1 } }))).toBe(
      'spec: unknown field "optimiser" at the top level: "optimizer", which it resembles, is given too (one of the two is a typo?) (allowed: name, description, architecture, data, init, optimizer, maxnorm, stop, trajectory, polish, seeds, grid)',
    );
  });

  it('unknown fields in nested objects, including inside a kind', () => {
    // a typo of an allowed field not given is named; a typo beside the field it resembles says both
    // are given (a copied spec's field, and a misspelt one added to change it); else the allowed fields are listed
    expect(errorOf(spec({ architecture: { ...BASE.architecture, bias: false } }))).toBe('spec: unknown field "bias" in architecture (did you mean "biases"?)');
    expect(errorOf(spec({ architecture: { ...BASE.architecture, biases: true, bias: false } }))).toBe(
      'spec: unknown field "bias" in architecture: "biases", which it resembles, is given too (one of the two is a typo?) (allowed: inputDim, hidden, activation, biases)',
    );
    // several at once, a case slip of one letter, and no suggestion of a field the spec has (seeds)
    expect(errorOf(spec({ architecture: { inputdim: 2, hiden: 4, activation: 'softplus' } }))).toBe('spec: unknown fields "inputdim", "hiden" in architecture (did you mean "inputDim", "hidden"?)');
    expect(errorOf(spec({ data: { teacher: { kind: 'gp', S: 0.5 } } }))).toBe('spec: unknown field "S" in data.teacher (did you mean "s"?)');
    expect(errorOf({ ...BASE, seeds: 3, seed: 1 })).toMatch(/^spec: unknown field "seed" at the top level \(allowed: .*seeds, grid\)$/);
    // a rule across fields about a field left to its default says so
    expect(errorOf({ ...BASE, architecture: { inputDim: 1, hidden: 2, activation: 'tanh' } })).toBe(
      'spec: data.teacher.kind is not given, and its default "rosenbrock" sums over consecutive input pairs and needs architecture.inputDim ≥ 2 (got 1; with d = 1 it is constant)',
    );
    // a misspelt object: nothing said of the fields under the name it was meant to have
    expect(errorOf({ ...BASE, dat: { samples: 10 } })).toBe('spec: unknown field "dat" at the top level (did you mean "data"?)');
    // the field the typo stands for is missing too: the same typo, not another problem; the next two problems are named
    expect(errorOf({ architecture: { ...BASE.architecture, activation: 'softplux' }, optimiser: { kind: 'gd', lr: 0.1 }, maxnorm: -1 })).toBe(
      'spec: unknown field "optimiser" at the top level (did you mean "optimizer"?); also: architecture.activation: "softplux" is not allowed (allowed: softplus, g, erf, sigmoid, tanh, relu, gelu); maxnorm: -1 must be a positive number or null (no barrier)',
    );
    expect(errorOf(spec({ optimizer: { kind: 'gd', lr: 0.1, momentum: 0.9 } }))).toBe('spec: unknown field "momentum" in optimizer (allowed: kind, lr)');
    expect(errorOf(spec({ data: { teacher: { kind: 'rosenbrock', s: 2 } } }))).toBe(
      'spec: unknown field "s" in data.teacher of kind "rosenbrock": it is a field of kind "gp" (allowed here: kind, c, a, b, standardize)',
    );
    expect(errorOf(spec({ stop: { maxStep: 10 } }))).toBe('spec: unknown field "maxStep" in stop (did you mean "maxSteps"?)');
    expect(errorOf(spec({ stop: { maxSteps: 10, maxStep: 10 } }))).toMatch(/^spec: unknown field "maxStep" in stop: "maxSteps", which it resembles, is given too \(one of the two is a typo\?\) \(allowed: maxSteps, maxTime, maxSeconds, maxEvaluations, gradTol, stationaryTol, atBarrier, patience, minImprovement, checkEvery, diagnosticsEvery\)$/);
    expect(errorOf(spec({ seeds: { from: 3, cnt: 2 } }))).toBe('spec: unknown field "cnt" in seeds (allowed: from, count)');
    expect(errorOf(spec({ stop: { atBarrier: 'yes' } }))).toMatch(/stop\.atBarrier.*true or false/);
  });

  it('wrong enum values list the allowed ones', () => {
    expect(errorOf(spec({ optimizer: { kind: 'adamw' } }))).toBe('spec: optimizer.kind: "adamw" is not allowed (allowed: gd, momentum, adam, sgd, flow)');
    expect(errorOf(spec({ architecture: { ...BASE.architecture, activation: 'swish' } }))).toBe(
      'spec: architecture.activation: "swish" is not allowed (allowed: softplus, g, erf, sigmoid, tanh, relu, gelu)',
    );
    expect(errorOf(spec({ grid: { 'architecture.activation': ['softplus', 'sigmoid2'] } }))).toBe(
      'spec: grid["architecture.activation"][1] = "sigmoid2": architecture.activation: "sigmoid2" is not allowed (allowed: softplus, g, erf, sigmoid, tanh, relu, gelu); "sigmoid2" is the paper\'s name for erf(x/√2): write "erf"',
    );
    // only the activation's field: a kind named so elsewhere is not an activation
    expect(errorOf(spec({ optimizer: { kind: 'sigmoid2' } }))).toBe('spec: optimizer.kind: "sigmoid2" is not allowed (allowed: gd, momentum, adam, sgd, flow)');
    expect(errorOf(spec({ data: { inputs: { kind: 'halton' } } }))).toBe(
      'spec: data.inputs.kind: "halton" is not allowed (allowed: normal, uniform, sobol, grid, sphere, file)',
    );
    expect(errorOf(spec({ optimizer: { kind: 'flow', solver: 'rk4' } }))).toBe('spec: optimizer.solver: "rk4" is not allowed (allowed: dopri5, rosenbrock23, rodas4, ros34pw2)');
    expect(errorOf(spec({ optimizer: { lr: 0.1 } }))).toBe('spec: optimizer.kind: required field is missing (allowed: gd, momentum, adam, sgd, flow)');
  });

  it('wrong types', () => {
    expect(errorOf(spec({ architecture: { ...BASE.architecture, inputDim: '2' } }))).toBe('spec: architecture.inputDim: "2" must be a positive integer');
    expect(errorOf(spec({ architecture: { ...BASE.architecture, biases: 'yes' } }))).toBe('spec: architecture.biases: "yes" must be true or false');
    expect(errorOf(spec({ optimizer: 'gd' }))).toBe('spec: optimizer: "gd" must be a JSON object with a "kind" field');
    expect(errorOf(spec({ architecture: { ...BASE.architecture, hidden: '4' } }))).toBe(
      'spec: architecture.hidden: "4" must be a positive integer or an array of 1 to 3 positive integers',
    );
    expect(errorOf(spec({ stop: 5 }))).toBe('spec: stop: 5 must be a JSON object');
  });

  it('out-of-range numbers', () => {
    expect(errorOf(spec({ architecture: { ...BASE.architecture, hidden: 0 } }))).toBe('spec: architecture.hidden: 0 must be a positive integer');
    expect(errorOf(spec({ architecture: { ...BASE.architecture, hidden: [4, 2.5] } }))).toBe('spec: architecture.hidden[1]: 2.5 must be a positive integer');
    // an integer too large for a JSON number to hold exactly says so; a problem is said once, however many checks say it
    expect(errorOf(spec({ stop: { maxSteps: 1e20 } }))).toBe('spec: stop.maxSteps: 100000000000000000000 is past 2⁵³ − 1 = 9007199254740991, beyond which a JSON number does not hold every integer');
    expect(errorOf(spec({ stop: { maxSteps: -1e20 } }))).toBe('spec: stop.maxSteps: -100000000000000000000 must be a positive integer');
    // and a field's stricter bound is still named beside it
    expect(errorOf({ ...BASE, seeds: 1e20 })).toBe(
      'spec: seeds: 100000000000000000000 is past 2⁵³ − 1 = 9007199254740991, beyond which a JSON number does not hold every integer; also: seeds: 100000000000000000000 must be at most 1000000 seeds',
    );
    expect(errorOf(spec({ architecture: { ...BASE.architecture, hidden: [4, 4, 4, 4] } }))).toBe(
      'spec: architecture.hidden: [4,4,4,4] must be a positive integer or an array of 1 to 3 positive integers',
    );
    expect(errorOf(spec({ optimizer: { kind: 'gd', lr: -0.1 } }))).toBe('spec: optimizer.lr: -0.1 must be a positive number (the learning rate)');
    expect(errorOf(spec({ optimizer: { kind: 'momentum', lr: 0.1, beta: 1 } }))).toBe('spec: optimizer.beta: 1 must be a number in [0, 1)');
    expect(errorOf(spec({ maxnorm: 0 }))).toBe('spec: maxnorm: 0 must be a positive number or null (no barrier)');
    expect(errorOf(spec({ data: { teacher: { kind: 'gp', s: 0 } } }))).toBe(
      'spec: data.teacher.s: 0 must be a positive number (the roughness s; the paper uses 0.1, 0.5, 2, 10)',
    );
    expect(errorOf(spec({ seeds: 0 }))).toMatch(/^spec: seeds: 0 must be a positive integer \(n: seeds 0…n−1\), an array of distinct seeds, or/);
    expect(errorOf(spec({ seeds: [1, -2] }))).toBe('spec: seeds[1]: -2 must be an integer from 0 to 4294967295');
    expect(errorOf(spec({ seeds: [1, 2, 1] }))).toBe('spec: seeds[2]: 1 repeats seeds[0] (seeds must be distinct)');
  });

  it('missing required fields', () => {
    expect(errorOf({ optimizer: { kind: 'flow' } })).toBe('spec: architecture: required field is missing; it must be a JSON object');
    expect(errorOf(spec({ optimizer: { kind: 'gd' } }))).toBe(
      'spec: optimizer.lr: required field is missing (for optimizer kind "gd"); it must be a positive number (the learning rate)',
    );
    expect(errorOf(spec({ data: { teacher: { kind: 'gp' } } }))).toMatch(/^spec: data\.teacher\.s: required field is missing \(for data\.teacher kind "gp"\)/);
  });

  it('inconsistent fields', () => {
    // a stiff solver's dense Hessian bounds the network; an explicit solver or another optimiser takes it
    const wide = { architecture: { inputDim: 2, hidden: 2000, activation: 'softplus' } };
    expect(errorOf(spec({ ...wide, optimizer: { kind: 'flow' } }))).toBe(
      'spec: optimizer.solver is not given, and its default "ros34pw2" factorises each network\'s 8001×8001 Hessian every step and takes networks of at most 4096 parameters ([2000] with inputDim 2 gives 8001); use the explicit "dopri5" or another optimizer',
    );
    expect(() => validateSpec(spec({ ...wide, optimizer: { kind: 'flow', solver: 'dopri5' } }))).not.toThrow();
    expect(errorOf(spec({ architecture: { ...BASE.architecture, inputDim: 3 }, data: { inputs: { kind: 'grid' } } }))).toBe(
      'spec: data.inputs.kind: "grid" is a 2-D grid and needs architecture.inputDim = 2 (got 3)',
    );
    expect(errorOf(spec({ data: { teacher: { kind: 'toy-1d' } } }))).toMatch(/^spec: data\.teacher\.kind: "toy-1d" .* needs architecture\.inputDim = 1 \(got 2\)$/);
    expect(errorOf(spec({ data: { teacher: { kind: 'file' } } }))).toMatch(/data\.inputs\.kind must be "file" \(got "normal"\)/);
    expect(errorOf(spec({ optimizer: { kind: 'sgd', lr: 0.1, batch: 64 }, data: { samples: 32 } }))).toBe(
      'spec: optimizer.batch: 64 exceeds the 32 samples of the dataset (data.samples)',
    );
    expect(errorOf(spec({ optimizer: { kind: 'flow', solver: 'rodas4', hessianReuse: 4 } }))).toBe(
      'spec: optimizer.hessianReuse: 4 needs a stiff W-method (ros34pw2 or rosenbrock23); "rodas4" needs the exact Hessian at every step',
    );
    expect(errorOf(spec({ optimizer: { kind: 'flow', solver: 'dopri5', hessianReuse: 2 } }))).toMatch(/"dopri5" uses no Hessian$/);
    expect(errorOf(spec({ optimizer: { kind: 'flow', hessianReuse: 1.5 } }))).toMatch(/^spec: optimizer\.hessianReuse: 1\.5 must be a positive integer/);
    expect(() => parseSpec(JSON.stringify(spec({ optimizer: { kind: 'flow', hessianReuse: 8 } })))).not.toThrow();
    // the dense polish diagonalises P×P every iteration: 16 → [16] with biases is P = 289
    expect(errorOf(spec({ architecture: { ...BASE.architecture, inputDim: 16, hidden: 16 }, polish: { kind: 'newton-dense' } }))).toBe(
      'spec: polish.kind: "newton-dense" diagonalises the 289×289 Hessian every iteration and takes networks of at most 256 parameters; use "newton-cg"',
    );
    expect(() => parseSpec(JSON.stringify(spec({ polish: { kind: 'newton-dense' } })))).not.toThrow();
    expect(errorOf(spec({ polish: { kind: 'newton' } }))).toBe('spec: polish.kind: "newton" is not allowed (allowed: newton-cg, newton-dense)');
  });
});

describe('grid', () => {
  it('expands the cartesian product, first key slowest', () => {
    const parsed = parseSpec(
      JSON.stringify(spec({ grid: { 'architecture.hidden': [4, [8], [4, 4]], optimizer: [{ kind: 'gd', lr: 0.1 }, { kind: 'adam' }] } })),
    );
    expect(parsed.grid.map((axis) => axis.path)).toEqual(['architecture.hidden', 'optimizer']);
    expect(parsed.configurations.map((c) => [c.config.architecture.hidden, c.config.optimizer.kind])).toEqual([
      [[4], 'gd'],
      [[4], 'adam'],
      [[8], 'gd'],
      [[8], 'adam'],
      [[4, 4], 'gd'],
      [[4, 4], 'adam'],
    ]);
    expect(parsed.configurations.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(parsed.configurations[3].gridValues).toEqual({ 'architecture.hidden': [8], optimizer: { kind: 'adam' } });
  });

  it('applies shallower paths first, so a sub-path refines every whole-object value', () => {
    const parsed = parseSpec(
      JSON.stringify(spec({ grid: { 'optimizer.lr': [0.01, 0.1], optimizer: [{ kind: 'gd', lr: 5 }, { kind: 'sgd', lr: 5 }] } })),
    );
    expect(parsed.configurations.map((c) => c.config.optimizer)).toEqual([
      { kind: 'gd', lr: 0.01 },
      { kind: 'sgd', lr: 0.01, batch: 16 },
      { kind: 'gd', lr: 0.1 },
      { kind: 'sgd', lr: 0.1, batch: 16 },
    ]);
  });

  it('supplies fields the spec leaves out (a missing section is created)', () => {
    const parsed = parseSpec(JSON.stringify(spec({ grid: { 'stop.maxSteps': [10, 20], 'data.teacher': [{ kind: 'gp', s: 2 }, { kind: 'rosenbrock' }] } })));
    expect(parsed.configurations).toHaveLength(4);
    expect(parsed.configurations[0].config.stop.maxSteps).toBe(10);
    expect(parsed.configurations[0].config.data.teacher).toEqual({ kind: 'gp', s: 2, frequencies: 4096, standardize: false });
    const { optimizer: _optimizer, ...withoutOptimizer } = BASE;
    const gridded = parseSpec(JSON.stringify({ ...withoutOptimizer, grid: { optimizer: [{ kind: 'gd', lr: 1 }] } }));
    expect(gridded.configurations[0].config.optimizer).toEqual({ kind: 'gd', lr: 1 });
  });

  it('bad grid path: names the path and the unknown field', () => {
    expect(errorOf(spec({ grid: { 'architecture.hiden': [4, 8] } }))).toBe(
      'spec: grid["architecture.hiden"][0] = 4: unknown field "hiden" in architecture: "hidden", which it resembles, is given too (one of the two is a typo?) (allowed: inputDim, hidden, activation, biases)',
    );
    expect(errorOf(spec({ grid: { 'optimiser.lr': [0.1] } }))).toMatch(/^spec: grid\["optimiser\.lr"\]\[0\] = 0\.1: unknown field "optimiser" at the top level: "optimizer", which it resembles, is given too/);
    expect(errorOf(spec({ grid: { 'data.teacher.s': [2] } }))).toMatch(/^spec: grid\["data\.teacher\.s"\]\[0\] = 2 \(the spec sets no data, so the grid value created one\): data\.teacher\.kind: required field is missing/);
    expect(errorOf(spec({ data: { teacher: { kind: 'rosenbrock' } }, grid: { 'data.teacher.s': [2] } }))).toBe(
      'spec: grid["data.teacher.s"][0] = 2: unknown field "s" in data.teacher of kind "rosenbrock": it is a field of kind "gp" (allowed here: kind, c, a, b, standardize)',
    );
    expect(errorOf(spec({ grid: { 'architecture.hidden.width': [4] } }))).toBe(
      'spec: grid["architecture.hidden.width"]: architecture.hidden is 4, not an object, so "width" cannot be set in it',
    );
    expect(errorOf(spec({ grid: { 'architecture..hidden': [4] } }))).toMatch(/^spec: grid\["architecture\.\.hidden"\]: not a dotted field path/);
    expect(errorOf(spec({ grid: { seeds: [[1]] } }))).toBe('spec: grid["seeds"]: "seeds" describes the sweep and cannot be varied by the grid');
    expect(errorOf(spec({ grid: { name: ['a', 'b'] } }))).toMatch(/^spec: grid\["name"\]: "name" is cosmetic/);
  });

  it('bad grid value: names the path, the index and the value', () => {
    expect(errorOf(spec({ data: { teacher: { kind: 'gp', s: 1 } }, grid: { 'data.teacher.s': [0.1, -2, 10] } }))).toBe(
      'spec: grid["data.teacher.s"][1] = -2: data.teacher.s: -2 must be a positive number (the roughness s; the paper uses 0.1, 0.5, 2, 10)',
    );
    expect(errorOf(spec({ grid: { optimizer: [{ kind: 'gd', lr: 0.1 }, { kind: 'adamw' }] } }))).toBe(
      'spec: grid["optimizer"][1] = {"kind":"adamw"}: optimizer.kind: "adamw" is not allowed (allowed: gd, momentum, adam, sgd, flow)',
    );
    expect(errorOf(spec({ grid: { 'architecture.activation': ['erf', 'swish'] } }))).toBe(
      'spec: grid["architecture.activation"][1] = "swish": architecture.activation: "swish" is not allowed (allowed: softplus, g, erf, sigmoid, tanh, relu, gelu)',
    );
    // a cross-field rule broken by one grid value is blamed on that value
    expect(errorOf(spec({ data: { inputs: { kind: 'grid' } }, grid: { 'architecture.inputDim': [2, 3] } }))).toBe(
      'spec: grid["architecture.inputDim"][1] = 3: data.inputs.kind: "grid" is a 2-D grid and needs architecture.inputDim = 2 (got 3)',
    );
    expect(errorOf(spec({ grid: { 'architecture.hidden': [] } }))).toBe('spec: grid["architecture.hidden"]: [] must be a non-empty array of values');
    expect(errorOf(spec({ grid: { 'architecture.hidden': 4 } }))).toBe('spec: grid["architecture.hidden"]: 4 must be a non-empty array of values');
  });

  it('a value the grid replaces in every run is still checked: a typo in it is refused, not silently unused', () => {
    const gridded = { optimizer: [{ kind: 'flow' }, { kind: 'gd', lr: 0.1 }] };
    expect(errorOf(spec({ optimizer: { kind: 'flw' }, grid: gridded }))).toBe(
      'spec: optimizer.kind: "flw" is not allowed (allowed: gd, momentum, adam, sgd, flow) (in the spec\'s optimizer, which grid["optimizer"] replaces in every run: correct it or leave it out)',
    );
    expect(errorOf(spec({ optimizer: { kind: 'flow', solvr: 'rodas4' }, grid: gridded }))).toMatch(
      /^spec: unknown field "solvr" in optimizer \(did you mean "solver"\?\) \(in the spec's optimizer, which grid\["optimizer"\] replaces in every run: correct it or leave it out\)$/,
    );
    // a typo of a required field: the unknown field named, not the field it stands for as missing
    expect(errorOf(spec({ optimizer: { kind: 'gd', lrr: 0.1 }, grid: gridded }))).toMatch(
      /^spec: unknown field "lrr" in optimizer \(did you mean "lr"\?\) \(in the spec's optimizer, which grid\["optimizer"\] replaces in every run: correct it or leave it out\)$/,
    );
    expect(errorOf(spec({ architecture: { inputDim: 2, hidden: -4, activation: 'softplus' }, grid: { 'architecture.hidden': [4, 8] } }))).toMatch(
      /^spec: architecture\.hidden: .* \(in the spec's architecture\.hidden, which grid\["architecture\.hidden"\] replaces in every run/,
    );
    // valid values the grid replaces pass, and so does what a deeper axis adds to them
    expect(parseSpec(JSON.stringify(spec({ optimizer: { kind: 'flow' }, grid: gridded }))).configurations).toHaveLength(2);
    expect(parseSpec(JSON.stringify(spec({ optimizer: { kind: 'gd', lr: 0.1 }, grid: { optimizer: [{ kind: 'momentum', lr: 0.1 }], 'optimizer.beta': [0.5, 0.8] } }))).configurations).toHaveLength(2);
  });

  it('bad combinations and duplicates', () => {
    expect(errorOf(spec({ grid: { optimizer: [{ kind: 'momentum', lr: 0.1 }, { kind: 'gd', lr: 0.1 }], 'optimizer.beta': [0.5, 0.8] } }))).toBe(
      'spec: grid combination (optimizer = {"kind":"gd","lr":0.1}, optimizer.beta = 0.5): unknown field "beta" in optimizer of kind "gd": it is a field of kind "momentum" (allowed here: kind, lr)',
    );
    expect(errorOf(spec({ grid: { 'architecture.hidden': [4, [4]] } }))).toBe(
      'spec: grid: configurations 0 (architecture.hidden = 4) and 1 (architecture.hidden = [4]) are identical once defaults are filled in; remove one of the values',
    );
  });

  it('links paths into one axis with "+": each value sets every path at once', () => {
    const parsed = parseSpec(
      JSON.stringify(spec({ grid: { 'architecture.hidden': [4, 8], 'architecture.activation+stop.maxSteps': [['softplus', 2000], ['relu', 200]] } })),
    );
    expect(parsed.grid.map((axis) => axis.paths)).toEqual([['architecture.hidden'], ['architecture.activation', 'stop.maxSteps']]);
    expect(parsed.configurations.map((c) => [c.config.architecture.hidden[0], c.config.architecture.activation, c.config.stop.maxSteps])).toEqual([
      [4, 'softplus', 2000],
      [4, 'relu', 200],
      [8, 'softplus', 2000],
      [8, 'relu', 200],
    ]);
    expect(parsed.configurations[1].gridValues).toEqual({ 'architecture.hidden': 4, 'architecture.activation': 'relu', 'stop.maxSteps': 200 });
    // a linked path refined by a deeper one on another axis, shallower first as ever
    const refined = parseSpec(JSON.stringify(spec({ grid: { 'optimizer+stop.maxSteps': [[{ kind: 'gd', lr: 5 }, 10], [{ kind: 'adam' }, 20]], 'optimizer.lr': [0.1] } })));
    expect(refined.configurations.map((c) => [c.config.optimizer.kind, 'lr' in c.config.optimizer ? c.config.optimizer.lr : null, c.config.stop.maxSteps])).toEqual([
      ['gd', 0.1, 10],
      ['adam', 0.1, 20],
    ]);
    // null: no patience, so that one value of a linked axis can have it and another not
    const patience = parseSpec(JSON.stringify(spec({ grid: { 'architecture.activation+stop.patience': [['softplus', null], ['relu', 2000]] } })));
    expect(patience.configurations.map((c) => [c.config.architecture.activation, c.config.stop.patience])).toEqual([
      ['softplus', null],
      ['relu', 2000],
    ]);
    expect(errorOf(spec({ stop: { maxSteps: 10, patience: 0 } }))).toBe('spec: stop.patience: 0 must be a positive integer or null (no patience)');
  });

  it('bad linked axes: values of the wrong shape, a path on two axes, a bad value named by its index', () => {
    expect(errorOf(spec({ grid: { 'architecture.activation+stop.maxSteps': [['relu', 10], 'erf'] } }))).toBe(
      'spec: grid["architecture.activation+stop.maxSteps"][1] = "erf": a linked axis\'s value must be an array of 2 values, one for each of architecture.activation, stop.maxSteps',
    );
    expect(errorOf(spec({ grid: { 'architecture.activation+stop.maxSteps': [['relu']] } }))).toMatch(/\[0\] = \["relu"\]: a linked axis's value must be an array of 2 values/);
    expect(errorOf(spec({ grid: { 'stop.maxSteps': [5], 'architecture.activation+stop.maxSteps': [['relu', 10]] } }))).toBe(
      'spec: grid["architecture.activation+stop.maxSteps"]: stop.maxSteps is already set by grid["stop.maxSteps"]; a path can be on one axis only',
    );
    expect(errorOf(spec({ grid: { 'architecture.activation+seeds': [['relu', 1]] } }))).toBe('spec: grid["architecture.activation+seeds"]: "seeds" describes the sweep and cannot be varied by the grid');
    expect(errorOf(spec({ grid: { 'architecture.activation+': [['relu', 1]] } }))).toMatch(/^spec: grid\["architecture\.activation\+"\]: "" is not a dotted field path/);
    expect(errorOf(spec({ grid: { 'architecture.activation+stop.maxSteps': [['erf', 10], ['relu', -1]] } }))).toBe(
      'spec: grid["architecture.activation+stop.maxSteps"][1] = ["relu",-1] (the spec sets no stop, so the grid value created one): stop.maxSteps: -1 must be a positive integer',
    );
  });

  it('refuses oversized sweeps', () => {
    const values = Array.from({ length: 1000 }, (_, k) => k + 1);
    expect(errorOf(spec({ grid: { 'architecture.hidden': values, 'data.samples': values } }))).toMatch(/1000 × 1000 = 1000000 configurations; at most 100000/);
    expect(errorOf(spec({ seeds: 600000, grid: { 'architecture.hidden': [4, 8] } }))).toMatch(/1200000 runs .* at most 1000000/);
    // networks and datasets no array could hold: refused by the spec, before a folder is made
    expect(errorOf(spec({ architecture: { ...BASE.architecture, hidden: [100000, 100000] } }))).toMatch(
      /^spec: architecture\.hidden: \[100000,100000\] with inputDim \d+ gives networks of \d+ parameters; at most 1048576 are supported$/,
    );
    expect(errorOf(spec({ data: { samples: 1e15 } }))).toMatch(/^spec: data\.samples: 1000000000000000 samples of \d+ inputs and a target are \d+ numbers per dataset; at most 268435456 are supported$/);
    // a number JSON cannot hold reads as Infinity, and is shown as such (JSON.stringify would say null)
    expect(errorOf(JSON.stringify(spec({})).replace(/}$/, ', "maxnorm": 1e400}'))).toBe("spec: maxnorm: Infinity (a number beyond float64's range) must be a positive number or null (no barrier)");
  });
});

describe('parseConfig and canonicalJson', () => {
  it('parseConfig validates one configuration with the same messages', () => {
    expect(parseConfig(BASE).architecture.hidden).toEqual([4]);
    expect(() => parseConfig({ ...BASE, seeds: 3 })).toThrow('config: unknown field "seeds" at the top level (allowed: name, description, architecture, data, init, optimizer, maxnorm, stop, trajectory, polish)');
  });

  it('canonicalJson sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"x":0,"y":1}]},"b":1}');
  });
});
