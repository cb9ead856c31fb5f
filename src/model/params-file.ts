// The parameter-file contract: one network as JSON, layer by layer.
//
//   { "activation": "softplus" | "g" | "erf" | "sigmoid" | "tanh" | "relu" | "gelu",
//     "biases": true | false,
//     "layers": [ { "weights": [[…], …], "bias": […] }, … ] }
//
// One entry per layer (2 to 4: 1 to 3 hidden layers, then the identity output layer). A layer's
// weights have one row per neuron and one column per input; the input dimension is the column
// count of layer 0 and every later layer has as many columns as the previous layer has rows. The
// last layer has exactly one row (scalar output). "bias" holds one entry per row when "biases" is
// true and is omitted (or empty) when it is false.
//
// JSON has no NaN or Infinity: JSON.stringify writes null for them, and number literals too large
// for a double (1e999) parse to ±Infinity. Both are refused with the path of the value.
//
// Gradients, Hessian-vector products and results are written in the same layered shape by
// formatParameterFile, so anything this module writes it can read back.
import { z } from 'zod';
import {
  ACTIVATIONS,
  paperActivationHint,
  type Activation,
  type Architecture,
  MAX_HIDDEN_LAYERS,
  parameterLayout,
  validateArchitecture,
} from './architecture.js';
import { InputError } from '../user-input/input-error.js';
import { closestName } from '../user-input/closest-name.js';
import { parseUserJson } from '../user-input/user-text.js';

export interface ParameterFileLayer {
  /** rows = the layer's neurons, columns = its inputs */
  weights: number[][];
  /** one entry per row; present only with biases */
  bias?: number[];
}

export interface ParameterFile {
  activation: Activation;
  biases: boolean;
  layers: ParameterFileLayer[];
}

const layerSchema = z.strictObject({
  weights: z.array(z.array(z.number())),
  bias: z.array(z.number()).optional(),
});

const fileSchema = z.strictObject({
  activation: z.enum(ACTIVATIONS),
  biases: z.boolean(),
  layers: z.array(layerSchema),
});

const MIN_LAYERS = 2;
const MAX_LAYERS = MAX_HIDDEN_LAYERS + 1;

/**
 * Reads a parameter file into its architecture and flat parameter vector (the layout of
 * parameterLayout). Every problem is an InputError whose message starts with `source` and names
 * the offending key, layer, row or value.
 */
export function parseParameterFile(text: string, source = 'parameters'): { arch: Architecture; theta: Float64Array } {
  const fail = (message: string): never => {
    throw new InputError(`${source}: ${message}`);
  };

  if (text.trim() === '') fail('the file is empty (expected a JSON object with "activation", "biases" and "layers")');
  let raw: unknown;
  try {
    raw = parseUserJson(text);
  } catch (error) {
    return fail(`invalid JSON: ${(error as Error).message}`);
  }

  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const { first, others } = orderIssues(parsed.error.issues, raw);
    // the next two named too ("missing activation; also: missing biases"), the rest counted
    const named = others.slice(0, 2).map((issue) => describeIssue(issue, raw));
    const also = named.length > 0 ? `; also: ${named.join('; ')}` : '';
    const more = others.length > named.length ? ` (and ${others.length - named.length} more problem${others.length - named.length > 1 ? 's' : ''})` : '';
    return fail(describeIssue(first, raw) + also + more);
  }
  const file = parsed.data;

  const layerCount = file.layers.length;
  if (layerCount < MIN_LAYERS || layerCount > MAX_LAYERS) {
    fail(
      `"layers" has ${layerCount} ${layerCount === 1 ? 'entry' : 'entries'}, expected ${MIN_LAYERS} to ${MAX_LAYERS} ` +
        `(1 to ${MAX_HIDDEN_LAYERS} hidden layers, then the output layer)`,
    );
  }

  // Shapes: rows and columns of every layer, then the biases.
  let expectedColumns = -1; // unknown until row 0 of layer 0 fixes the input dimension
  file.layers.forEach((layer, l) => {
    const rows = layer.weights.length;
    if (rows === 0) fail(`layers[${l}].weights has no rows (every layer needs at least one neuron)`);
    if (l === layerCount - 1 && rows !== 1) fail(`the last layer must have exactly one row (scalar output), got ${rows}`);
    layer.weights.forEach((row, j) => {
      if (l === 0 && j === 0) {
        if (row.length === 0) fail(`layers[0].weights row 0 has no columns (the input dimension must be at least 1)`);
        expectedColumns = row.length;
      } else if (row.length !== expectedColumns) {
        const why = l === 0 ? 'the input dimension, from row 0' : `the width of layer ${l - 1}`;
        fail(`layers[${l}].weights row ${j} has ${row.length} columns, expected ${expectedColumns} (${why})`);
      }
    });
    expectedColumns = rows;

    const bias = layer.bias;
    if (file.biases) {
      if (bias === undefined) fail(`layers[${l}].bias is missing, but "biases" is true (expected ${rows} ${rows === 1 ? 'entry' : 'entries'})`);
      else if (bias.length !== rows) fail(`layers[${l}].bias has ${bias.length} entries, expected ${rows}`);
    } else if (bias !== undefined && bias.length > 0) {
      fail(`layers[${l}].bias given but "biases" is false`);
    }
  });

  const arch: Architecture = {
    inputDim: file.layers[0].weights[0].length,
    hidden: file.layers.slice(0, -1).map((layer) => layer.weights.length),
    activation: file.activation,
    biases: file.biases,
  };
  try {
    validateArchitecture(arch);
  } catch (error) {
    fail((error as Error).message);
  }

  const layout = parameterLayout(arch);
  const theta = new Float64Array(layout.count);
  layout.layers.forEach((slot, l) => {
    const layer = file.layers[l];
    for (let j = 0; j < slot.fanOut; j++) {
      for (let i = 0; i < slot.fanIn; i++) theta[slot.weightOffset + j * slot.fanIn + i] = layer.weights[j][i];
      if (slot.biasOffset >= 0) theta[slot.biasOffset + j] = layer.bias![j];
    }
  });
  return { arch, theta };
}

/**
 * Writes a flat vector in the layout of `arch` (parameters, a gradient, a Hessian-vector product)
 * in the layered shape of the parameter file. Non-finite entries are kept; JSON.stringify writes
 * them as null, which parseParameterFile refuses with their position.
 */
export function formatParameterFile(arch: Architecture, theta: ArrayLike<number>): ParameterFile {
  const layout = parameterLayout(arch);
  if (theta.length !== layout.count) {
    throw new RangeError(`vector has ${theta.length} entries, the architecture has ${layout.count} parameters`);
  }
  const layers = layout.layers.map((slot): ParameterFileLayer => {
    const weights: number[][] = [];
    for (let j = 0; j < slot.fanOut; j++) {
      const row: number[] = new Array(slot.fanIn);
      for (let i = 0; i < slot.fanIn; i++) row[i] = theta[slot.weightOffset + j * slot.fanIn + i];
      weights.push(row);
    }
    if (slot.biasOffset < 0) return { weights };
    const bias: number[] = new Array(slot.fanOut);
    for (let j = 0; j < slot.fanOut; j++) bias[j] = theta[slot.biasOffset + j];
    return { weights, bias };
  });
  return { activation: arch.activation, biases: arch.biases, layers };
}

// ---- zod issues → messages naming the place -------------------------------------------------

type Issue = z.core.$ZodIssue;

/** `["layers", 1, "weights", 2, 3]` → `layers[1].weights[2][3]`; the root is "the top level". */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const TOP_LEVEL_KEYS = ['activation', 'biases', 'layers'];
const LAYER_KEYS = ['weights', 'bias'];
const allowedKeys = (path: readonly PropertyKey[]): string[] => (path.length === 0 ? TOP_LEVEL_KEYS : LAYER_KEYS);

/** The allowed key an unknown one is a typo of, among those its object lacks ("weigths" → "weights"). */
function suggestedKey(key: string, path: readonly PropertyKey[], root: unknown): string | undefined {
  const object = valueAt(root, path) as Record<string, unknown> | undefined;
  return closestName(key, allowedKeys(path).filter((allowed) => object?.[allowed] === undefined));
}

/**
 * The issue to name first and the others to mention. An unknown key goes first: it is usually the
 * typo behind the other problems, and "missing required key" alone would hide it. A missing key that
 * the unknown key's suggestion names is that same typo, not one more problem.
 */
function orderIssues(issues: readonly Issue[], root: unknown): { first: Issue; others: Issue[] } {
  const first = issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0];
  let others = issues.filter((issue) => issue !== first);
  if (first.code === 'unrecognized_keys' && first.keys.length === 1) {
    const suggestion = suggestedKey(first.keys[0], first.path, root);
    const sameTypo = (issue: Issue) =>
      issue !== first &&
      issue.path.length === first.path.length + 1 &&
      issue.path[first.path.length] === suggestion &&
      first.path.every((segment, k) => issue.path[k] === segment) &&
      valueAt(root, issue.path) === undefined;
    others = others.filter((issue) => !sameTypo(issue));
  }
  return { first, others };
}

function describeIssue(issue: Issue, root: unknown): string {
  const path = issue.path;
  const where = path.length === 0 ? 'the top level' : formatPath(path);
  const last = path[path.length - 1];

  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `"${key}"`).join(', ');
    const suggestion = issue.keys.length === 1 ? suggestedKey(issue.keys[0], path, root) : undefined;
    if (suggestion !== undefined) return `unknown key ${keys} at ${where} (did you mean "${suggestion}"?)`;
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} at ${where} (allowed: ${allowedKeys(path).join(', ')})`;
  }

  const value = valueAt(root, path);
  if (value === undefined && typeof last === 'string') {
    return `missing required key "${last}"${path.length > 1 ? ` at ${formatPath(path.slice(0, -1))}` : ''}`;
  }

  if (path.length === 1 && last === 'activation') {
    const allowed = ACTIVATIONS.join(', ');
    if (typeof value === 'string') return `unknown activation "${value}" (allowed: ${allowed})${paperActivationHint(value)}`;
    return `"activation" must be a string (one of ${allowed}), got ${describeValue(value)}`;
  }
  if (path.length === 1 && last === 'biases' && issue.code === 'invalid_type') {
    return `"biases" must be true or false, got ${describeValue(value)}`;
  }

  if (issue.code === 'invalid_type') {
    if (issue.expected === 'number') {
      if (value === null) return `non-finite or missing value (null) at ${where}`;
      if (typeof value === 'number') return `non-finite value (${value}) at ${where}`;
      return `expected a number at ${where}, got ${describeValue(value)}`;
    }
    const expected = issue.expected === 'object' ? 'a JSON object' : issue.expected === 'array' ? 'an array' : `a ${issue.expected}`;
    return `expected ${expected} at ${where}, got ${describeValue(value)}`;
  }

  return `${where}: ${issue.message}`;
}
