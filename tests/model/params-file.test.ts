import { describe, expect, it } from 'vitest';
import { type Architecture, parameterCount } from '../../src/model/architecture.js';
import { InputError } from '../../src/user-input/input-error.js';
import { formatParameterFile, parseParameterFile } from '../../src/model/params-file.js';

const ALLOWED = 'allowed: softplus, g, erf, sigmoid, tanh, relu, gelu';

function vectorFor(arch: Architecture): Float64Array {
  // distinct, non-round values so any mix-up of positions shows
  return Float64Array.from({ length: parameterCount(arch) }, (_, k) => Math.sin(k + 1) * (k % 3 === 0 ? -1 : 1) * 1.25 ** k);
}

/** A small valid file as a plain object, to break in one place per test. */
function validFile(biases: boolean): any {
  const arch: Architecture = { inputDim: 4, hidden: [4, 3], activation: 'tanh', biases };
  return JSON.parse(JSON.stringify(formatParameterFile(arch, vectorFor(arch))));
}

function errorOf(text: string, source?: string): Error {
  try {
    parseParameterFile(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as Error;
  }
  throw new Error('expected parseParameterFile to throw');
}

const messageOf = (file: unknown, source?: string) => errorOf(JSON.stringify(file), source).message;

describe('parameter file round trip', () => {
  const shapes: Array<Pick<Architecture, 'inputDim' | 'hidden'>> = [
    { inputDim: 1, hidden: [1] },
    { inputDim: 3, hidden: [5] },
    { inputDim: 2, hidden: [4, 3] },
    { inputDim: 5, hidden: [2, 6, 3] },
  ];
  for (const shape of shapes) {
    for (const biases of [false, true]) {
      it(`d=${shape.inputDim} hidden=[${shape.hidden}] ${biases ? 'with' : 'without'} biases`, () => {
        const arch: Architecture = { ...shape, activation: 'softplus', biases };
        const theta = vectorFor(arch);
        const file = formatParameterFile(arch, theta);
        expect(file.layers).toHaveLength(shape.hidden.length + 1);
        expect(file.layers[file.layers.length - 1].weights).toHaveLength(1);
        for (const layer of file.layers) expect('bias' in layer).toBe(biases);
        const back = parseParameterFile(JSON.stringify(file, null, 2));
        expect(back.arch).toEqual(arch);
        expect(Array.from(back.theta)).toEqual(Array.from(theta));
      });
    }
  }

  it('keeps every activation', () => {
    for (const activation of ['softplus', 'g', 'erf', 'sigmoid', 'tanh', 'relu', 'gelu'] as const) {
      const arch: Architecture = { inputDim: 2, hidden: [2], activation, biases: false };
      expect(parseParameterFile(JSON.stringify(formatParameterFile(arch, vectorFor(arch)))).arch.activation).toBe(activation);
    }
  });

  it('uses the flat layout: weights row-major (neuron, input), then the biases', () => {
    const text = JSON.stringify({
      activation: 'relu',
      biases: true,
      layers: [
        { weights: [[1, 2], [3, 4], [5, 6]], bias: [7, 8, 9] },
        { weights: [[10, 11, 12]], bias: [13] },
      ],
    });
    const { arch, theta } = parseParameterFile(text);
    expect(arch).toEqual({ inputDim: 2, hidden: [3], activation: 'relu', biases: true });
    expect(Array.from(theta)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('accepts an empty bias array without biases', () => {
    const file = validFile(false);
    file.layers[0].bias = [];
    expect(parseParameterFile(JSON.stringify(file)).arch.biases).toBe(false);
  });

  it('refuses a vector of the wrong length when formatting', () => {
    const arch: Architecture = { inputDim: 2, hidden: [2], activation: 'g', biases: true };
    expect(() => formatParameterFile(arch, new Float64Array(3))).toThrow(RangeError);
  });

  it('writes non-finite entries as null, which parsing then refuses', () => {
    const arch: Architecture = { inputDim: 2, hidden: [2], activation: 'g', biases: false };
    const theta = vectorFor(arch);
    theta[3] = Number.NaN; // layer 0, neuron 1, input 1
    expect(errorOf(JSON.stringify(formatParameterFile(arch, theta))).message).toBe(
      'parameters: non-finite or missing value (null) at layers[0].weights[1][1]',
    );
  });
});

describe('parameter file errors', () => {
  it('reports invalid JSON with the JSON error', () => {
    const message = errorOf('{"activation": "g",').message;
    expect(message).toMatch(/^parameters: invalid JSON: /);
    expect(message.length).toBeGreaterThan('parameters: invalid JSON: '.length);
  });

  it('reports an empty file', () => {
    expect(errorOf('  \n').message).toMatch(/^parameters: the file is empty/);
  });

  it('uses the source name', () => {
    expect(errorOf('{', 'direction').message).toMatch(/^direction: invalid JSON/);
  });

  it('reports a top level that is not an object', () => {
    expect(errorOf('[1, 2]').message).toBe('parameters: expected a JSON object at the top level, got an array');
  });

  it('reports an unknown activation', () => {
    const file = validFile(false);
    file.activation = 'swish';
    expect(messageOf(file)).toBe(`parameters: unknown activation "swish" (${ALLOWED})`);
    // the paper's (and MLPGradientFlow.jl's) name for erf(x/√2): which to write instead
    file.activation = 'sigmoid2';
    expect(messageOf(file)).toBe(`parameters: unknown activation "sigmoid2" (${ALLOWED}); "sigmoid2" is the paper's name for erf(x/√2): write "erf"`);
    file.activation = 3;
    expect(messageOf(file)).toBe(`parameters: "activation" must be a string (one of softplus, g, erf, sigmoid, tanh, relu, gelu), got number 3`);
  });

  it('reports missing keys', () => {
    const file = validFile(false);
    delete file.activation;
    expect(messageOf(file)).toBe('parameters: missing required key "activation"');
    const noBiases = validFile(false);
    delete noBiases.biases;
    expect(messageOf(noBiases)).toBe('parameters: missing required key "biases"');
    const noWeights = validFile(false);
    delete noWeights.layers[1].weights;
    expect(messageOf(noWeights)).toBe('parameters: missing required key "weights" at layers[1]');
  });

  it('reports a non-boolean "biases"', () => {
    const file = validFile(false);
    file.biases = 'yes';
    expect(messageOf(file)).toBe('parameters: "biases" must be true or false, got the string "yes"');
  });

  it('refuses unknown keys at the top level and in layers', () => {
    const top = validFile(false);
    top.learningRate = 0.1;
    expect(messageOf(top)).toBe('parameters: unknown key "learningRate" at the top level (allowed: activation, biases, layers)');
    const inLayer = validFile(false);
    inLayer.layers[1].biases = [1];
    expect(messageOf(inLayer)).toBe('parameters: unknown key "biases" at layers[1] (did you mean "bias"?)');
    // nothing close enough to suggest, or the close key is there already: the allowed keys
    const far = validFile(false);
    far.layers[0].gradient = [1];
    expect(messageOf(far)).toBe('parameters: unknown key "gradient" at layers[0] (allowed: weights, bias)');
    const both = validFile(false);
    both.layers[0].weigths = both.layers[0].weights;
    expect(messageOf(both)).toBe('parameters: unknown key "weigths" at layers[0] (allowed: weights, bias)');
  });

  it('names a mistyped key first, with the key it was meant to be, not the required key it leaves missing', () => {
    const file = validFile(false);
    file.layers[0].weigths = file.layers[0].weights;
    delete file.layers[0].weights;
    expect(messageOf(file)).toBe('parameters: unknown key "weigths" at layers[0] (did you mean "weights"?)');
    // other problems are still named
    file.layers[1].weights[0][0] = 'x';
    expect(messageOf(file)).toBe('parameters: unknown key "weigths" at layers[0] (did you mean "weights"?); also: expected a number at layers[1].weights[0][0], got the string "x"');
    const top = validFile(false);
    top.activaton = top.activation;
    delete top.activation;
    expect(messageOf(top)).toBe('parameters: unknown key "activaton" at the top level (did you mean "activation"?)');
  });

  it('reports wrong types with their path', () => {
    const file = validFile(false);
    file.layers[0].weights[2][1] = 'abc';
    expect(messageOf(file)).toBe('parameters: expected a number at layers[0].weights[2][1], got the string "abc"');
    const notArray = validFile(false);
    notArray.layers = { weights: [] };
    expect(messageOf(notArray)).toBe('parameters: expected an array at layers, got an object');
  });

  it('names the next two problems and counts the rest', () => {
    const file = validFile(false);
    file.layers[0].weights[0][0] = 'a';
    file.layers[0].weights[0][1] = 'b';
    expect(messageOf(file)).toBe('parameters: expected a number at layers[0].weights[0][0], got the string "a"; also: expected a number at layers[0].weights[0][1], got the string "b"');
    file.layers[0].weights[0][2] = 'c';
    file.layers[0].weights[1][0] = 'd';
    expect(messageOf(file)).toBe(
      'parameters: expected a number at layers[0].weights[0][0], got the string "a"; also: expected a number at layers[0].weights[0][1], got the string "b"; expected a number at layers[0].weights[0][2], got the string "c" (and 1 more problem)',
    );
  });

  it('reports null (what JSON.stringify writes for NaN) with its position', () => {
    const file = validFile(true);
    file.layers[0].weights[1][2] = null;
    expect(messageOf(file)).toBe('parameters: non-finite or missing value (null) at layers[0].weights[1][2]');
    const bias = validFile(true);
    bias.layers[1].bias[0] = null;
    expect(messageOf(bias)).toBe('parameters: non-finite or missing value (null) at layers[1].bias[0]');
  });

  it('reports numbers too large for a double (they parse to Infinity)', () => {
    const text = JSON.stringify(validFile(false)).replace('"weights":[[', '"weights":[[1e999,');
    // the extra column also breaks the shape, but the value is reported first
    expect(errorOf(text).message).toBe('parameters: non-finite value (Infinity) at layers[0].weights[0][0]');
    const negative = JSON.stringify(validFile(false)).replace(/("weights":\[\[)[^,\]]+/, '$1-1e999');
    expect(errorOf(negative).message).toBe('parameters: non-finite value (-Infinity) at layers[0].weights[0][0]');
  });

  it('reports too few or too many layers', () => {
    const one = validFile(false);
    one.layers = [{ weights: [[1, 2]] }];
    expect(messageOf(one)).toBe('parameters: "layers" has 1 entry, expected 2 to 4 (1 to 3 hidden layers, then the output layer)');
    const five = validFile(false);
    five.layers = [{ weights: [[1]] }, { weights: [[1]] }, { weights: [[1]] }, { weights: [[1]] }, { weights: [[1]] }];
    expect(messageOf(five)).toBe('parameters: "layers" has 5 entries, expected 2 to 4 (1 to 3 hidden layers, then the output layer)');
  });

  it('reports a layer without rows and an input layer without columns', () => {
    const noRows = validFile(false);
    noRows.layers[0].weights = [];
    expect(messageOf(noRows)).toBe('parameters: layers[0].weights has no rows (every layer needs at least one neuron)');
    const noColumns = validFile(false);
    noColumns.layers[0].weights = [[], [], [], []];
    expect(messageOf(noColumns)).toBe('parameters: layers[0].weights row 0 has no columns (the input dimension must be at least 1)');
  });

  it('reports a row with the wrong column count', () => {
    const file = validFile(false); // d=4, hidden [4, 3]
    file.layers[1].weights[2].pop();
    expect(messageOf(file)).toBe('parameters: layers[1].weights row 2 has 3 columns, expected 4 (the width of layer 0)');
    const ragged = validFile(false);
    ragged.layers[0].weights[3].push(1);
    expect(messageOf(ragged)).toBe('parameters: layers[0].weights row 3 has 5 columns, expected 4 (the input dimension, from row 0)');
    const output = validFile(false);
    output.layers[2].weights[0].push(0.5);
    expect(messageOf(output)).toBe('parameters: layers[2].weights row 0 has 4 columns, expected 3 (the width of layer 1)');
  });

  it('requires exactly one row in the last layer', () => {
    const file = validFile(false);
    file.layers[2].weights.push([1, 2, 3]);
    expect(messageOf(file)).toBe('parameters: the last layer must have exactly one row (scalar output), got 2');
  });

  it('checks biases against "biases"', () => {
    const wrongCount = validFile(true);
    wrongCount.layers[0].bias.pop();
    expect(messageOf(wrongCount)).toBe('parameters: layers[0].bias has 3 entries, expected 4');
    const empty = validFile(true);
    empty.layers[1].bias = [];
    expect(messageOf(empty)).toBe('parameters: layers[1].bias has 0 entries, expected 3');
    const missing = validFile(true);
    delete missing.layers[2].bias;
    expect(messageOf(missing)).toBe('parameters: layers[2].bias is missing, but "biases" is true (expected 1 entry)');
    const unexpected = validFile(false);
    unexpected.layers[0].bias = [1, 2, 3, 4];
    expect(messageOf(unexpected)).toBe('parameters: layers[0].bias given but "biases" is false');
  });
});
