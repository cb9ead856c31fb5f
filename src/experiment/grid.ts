// From a parsed spec's configurations (its grid expanded by spec.ts) to runs: configurations × seeds
// with their ids, and for each run its dataset (inputs, teacher, data files and their hashes) and
// initial parameters.
//
// Run identity. A run's id is `${configHash}-s${seed}`, where configHash is the first 12 hex digits
// of a 64-bit hash of the configuration's canonical JSON (sorted keys, every default filled in,
// name and description left out). It depends only on what the run computes, so it is the same in
// every process, shard and resume, and it does not move when grid values are added, removed or
// reordered (an index-based id would silently re-label finished runs after such an edit). The
// flip side: a channelscope version that adds a defaulted field changes every hash.
//
// Randomness (Philox streams, numerics/rng.ts):
//   - dataset: key data.seed, run index 0 (shared by every run of a configuration), or the run
//     seed with data.perRun: inputs from STREAMS.inputs, the teacher (GP draw, random network)
//     from STREAMS.teacher. Sobol and grid inputs have no randomness.
//   - initial parameters: key = run seed, run index 0, STREAMS.init. They depend only on the seed,
//     the architecture and init.scale, so configurations that differ in the optimiser or the data
//     start from the same parameters for the same seed (common random numbers).
import { parseDatasetCsv } from '../data/csv.js';
import type { Dataset } from '../data/dataset.js';
import { gpTeacherValues } from '../data/gp-teacher.js';
import { generateInputs } from '../data/inputs.js';
import { RandomStream, STREAMS } from '../numerics/rng.js';
import { randomTeacherNetwork, teacherNetworkValues, type TeacherNetwork } from '../data/teacher-network.js';
import { rosenbrock, standardize, toy1d } from '../data/teachers.js';
import { describeArchitecture, type Architecture } from '../model/architecture.js';
import { glorotNormal } from '../model/init.js';
import { filesystemReason, InputError } from '../user-input/input-error.js';
import { parseParameterFile } from '../model/params-file.js';
import { canonicalJson, hashString, type ExperimentSpec, type RunConfig, type TeacherConfig } from './spec.js';

/** Hex digits of the configuration hash in a run id (48 bits). */
export const CONFIG_HASH_LENGTH = 12;

export interface ResolvedRun {
  /** `${configHash}-s${seed}`: stable across processes, shards, resumes and grid edits */
  id: string;
  /** position of the configuration in the spec's cartesian product (first grid key slowest) */
  configIndex: number;
  /** 12 hex digits identifying the configuration (see the file comment) */
  configHash: string;
  seed: number;
  /** this configuration's grid values by path (empty without a grid) */
  gridValues: Record<string, unknown>;
  /** the single resolved configuration: no grid, no seeds, defaults filled in */
  config: RunConfig;
}

export function runId(configHash: string, seed: number): string {
  return `${configHash}-s${seed}`;
}

/** The configuration hash from a configuration's canonical JSON (SpecConfiguration.canonical). */
export function configHashOf(canonical: string): string {
  return hashString(canonical).slice(0, CONFIG_HASH_LENGTH);
}

/**
 * Every run of the spec, configurations in the spec's order (first grid key slowest) and, within
 * a configuration, seeds in the order written. Deterministic.
 */
export function expandSpec(spec: ExperimentSpec): ResolvedRun[] {
  const runs: ResolvedRun[] = [];
  const owners = new Map<string, number>();
  for (const configuration of spec.configurations) {
    const configHash = configHashOf(configuration.canonical);
    const owner = owners.get(configHash);
    if (owner !== undefined) {
      // parseSpec refuses identical configurations, so this is a 48-bit hash collision
      throw new Error(`configurations ${owner} and ${configuration.index} have the same hash ${configHash}; ids would collide`);
    }
    owners.set(configHash, configuration.index);
    for (const seed of spec.seeds) {
      runs.push({
        id: runId(configHash, seed),
        configIndex: configuration.index,
        configHash,
        seed,
        gridValues: configuration.gridValues,
        config: configuration.config,
      });
    }
  }
  return runs;
}

/** The student architecture of a configuration. */
export function architectureOf(config: RunConfig): Architecture {
  const { inputDim, hidden, activation, biases } = config.architecture;
  return { inputDim, hidden: [...hidden], activation, biases };
}

/** The barrier threshold for the engines: maxnorm, or Infinity where the spec says null (no barrier). */
export function barrierThreshold(config: RunConfig): number {
  return config.maxnorm ?? Infinity;
}

/** Initial parameters of a run: Glorot normal × init.scale from (seed, 0, STREAMS.init), biases 0. */
export function initialParameters(config: RunConfig, seed: number): Float64Array {
  return glorotNormal(architectureOf(config), new RandomStream(seed, 0, STREAMS.init), config.init.scale);
}

// ---- datasets ---------------------------------------------------------------------------------

export interface DataSourceOptions {
  /** directory that relative file paths in the spec are resolved against (the CLI: the spec's folder); default: the working directory */
  baseDir?: string;
  /** reads a text file; default: node:fs (Node ≥ 20.16). A browser passes its own. */
  readTextFile?: (path: string) => string;
  /**
   * Content hashes (dataFileHashes) of the files a sweep's runs were trained on, by their path in the
   * spec: a file that no longer hashes so is refused, as verdicts computed on other data would be wrong.
   */
  trainedOn?: Readonly<Record<string, string>>;
}

/** Philox key and run index of a run's dataset: (data.seed, 0), or (data.seed, seed) with data.perRun. */
export function datasetSeed(config: RunConfig, seed: number): { key: number; run: number } {
  return { key: config.data.seed, run: config.data.perRun ? seed : 0 };
}

/** Whether a configuration's data come from files (inputs from a CSV, or a teacher network's parameter file), whose relative paths need a base folder. */
export function readsDataFiles(config: RunConfig): boolean {
  return dataFilePaths(config).length > 0;
}

/**
 * A string that is equal for two (config, seed) pairs exactly when datasetFor builds the same
 * dataset for them: the input dimension, the data section without the per-run switch, and the
 * effective Philox (key, run). Use it to share datasets between runs and configurations.
 */
export function datasetKey(config: RunConfig, seed: number, options: DataSourceOptions = {}): string {
  const { perRun: _perRun, seed: _seed, ...data } = config.data;
  const usesFiles = readsDataFiles(config);
  return canonicalJson({
    inputDim: config.architecture.inputDim,
    data,
    ...datasetSeed(config, seed),
    ...(usesFiles ? { baseDir: options.baseDir ?? '' } : {}),
  });
}

/**
 * A teacher's raw (not standardised) values at the given points (inputDim numbers each), drawn from
 * the dataset's Philox (key, run); null where the values come from a file this call was not given:
 * the data file's own targets (`file`), or a `network` teacher without its loaded parameter file.
 * One definition for training data (datasetFor) and for the dashboard's views of a teacher on a grid.
 */
export function teacherValues(teacher: TeacherConfig, points: Float64Array, inputDim: number, seed: { key: number; run: number }, teacherNetwork?: TeacherNetwork): Float64Array | null {
  const count = points.length / inputDim;
  switch (teacher.kind) {
    case 'rosenbrock': {
      const y = new Float64Array(count);
      for (let n = 0; n < count; n++) y[n] = rosenbrock(points, n * inputDim, inputDim, teacher.c, teacher.a, teacher.b);
      return y;
    }
    case 'gp':
      return gpTeacherValues(points, inputDim, teacher.s, seed.key, { run: seed.run, frequencies: teacher.frequencies });
    case 'network':
      return teacherNetwork ? teacherNetworkValues(teacherNetwork, points) : null;
    case 'random-network': {
      const arch: Architecture = { inputDim, hidden: [...teacher.hidden], activation: teacher.activation, biases: teacher.biases };
      return teacherNetworkValues(randomTeacherNetwork(arch, seed.key, teacher.scale, seed.run), points);
    }
    case 'toy-1d':
      return Float64Array.from({ length: count }, (_, n) => toy1d(points[n * inputDim]));
    case 'file':
      return null;
  }
}

/** Whether a teacher's targets are standardised over the training inputs (the toy's and a file's never are). */
export function standardizesTargets(teacher: TeacherConfig): boolean {
  return 'standardize' in teacher && teacher.standardize;
}

/**
 * The dataset of a run (count 1): inputs, then the teacher's targets on them. For the grid inputs
 * `samples` is ⌈√N⌉² ≥ N; for file inputs it is data.samples (the file's first rows) or every row.
 * File problems (missing file, bad CSV or parameter file, wrong dimension) are InputErrors.
 */
export function datasetFor(config: RunConfig, seed: number, options: DataSourceOptions = {}): Dataset {
  return datasetWithFileHashes(config, seed, options).dataset;
}

/** datasetFor, with the content hashes of the data files it read (by path in the spec). */
function datasetWithFileHashes(config: RunConfig, seed: number, options: DataSourceOptions): { dataset: Dataset; hashes: Record<string, string> } {
  const inputDim = config.architecture.inputDim;
  const { inputs, teacher } = config.data;
  const { key, run } = datasetSeed(config, seed);
  const files = readDataFiles(config, options);

  let x: Float64Array;
  let fileTargets: Float64Array | undefined;
  if (inputs.kind === 'file') {
    x = files.table!.x;
    fileTargets = files.table!.y;
  } else {
    const samples = config.data.samples;
    if (samples === undefined) throw new Error('unreachable: the spec fills data.samples for generated inputs');
    x = generateInputs(inputs.kind, samples, inputDim, key, run, inputs.kind === 'sphere' ? { radius: inputs.radius } : {});
  }
  const samples = x.length / inputDim;

  const computed = teacherValues(teacher, x, inputDim, { key, run }, files.teacherNetwork);
  let y: Float64Array;
  if (computed) y = computed;
  else if (teacher.kind === 'file' && fileTargets) y = fileTargets;
  else if (teacher.kind === 'file') throw new InputError('data.teacher.kind "file" needs data.inputs.kind "file"');
  else throw new Error(`unreachable: the ${teacher.kind} teacher's file was not read`);
  const bad = y.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    // every run on these data would diverge at its first step: the data are wrong, not the training
    const source = teacher.kind === 'network' ? `the teacher network ${teacher.params}` : `the ${teacher.kind} teacher`;
    throw new InputError(`${source} gives a non-finite target on its data (sample ${bad + 1}: y = ${y[bad]}): its values overflow float64; scale its weights (or the inputs) down`);
  }
  if (standardizesTargets(teacher)) standardize(y);
  return { dataset: { inputDim, samples, count: 1, x, y }, hashes: files.hashes };
}

/** A bounded memo of datasets by datasetKey (first in, first out). */
export class DatasetCache {
  private readonly entries = new Map<string, Dataset>();

  constructor(
    private readonly options: DataSourceOptions = {},
    private readonly capacity = 64,
  ) {}

  get(config: RunConfig, seed: number): Dataset {
    const key = datasetKey(config, seed, this.options);
    let dataset = this.entries.get(key);
    if (!dataset) {
      dataset = datasetFor(config, seed, this.options);
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, dataset);
    }
    return dataset;
  }

  get size(): number {
    return this.entries.size;
  }
}

// ---- files ------------------------------------------------------------------------------------

/** `path` against `baseDir` unless it is absolute (POSIX, or a Windows drive / UNC path). */
export function resolveSpecPath(path: string, baseDir?: string): string {
  if (baseDir === undefined || baseDir === '' || /^([/\\]|[A-Za-z]:[/\\])/.test(path)) return path;
  return `${baseDir.replace(/[/\\]+$/, '')}/${path}`;
}

/** The text of the file the spec's `field` names (`path` as written there: relative paths resolve from options.baseDir, the spec's folder). */
function readText(path: string, options: DataSourceOptions, field: string): string {
  const resolved = resolveSpecPath(path, options.baseDir);
  if (options.readTextFile) return options.readTextFile(resolved);
  const fs = typeof process !== 'undefined' ? process.getBuiltinModule?.('node:fs') : undefined;
  if (!fs) throw new InputError(`cannot read ${resolved}: no file system here (pass readTextFile)`);
  try {
    return fs.readFileSync(resolved, 'utf8');
  } catch (error) {
    const named = resolved === path ? '' : `, which resolves from the spec's folder`;
    throw new InputError(`${field} "${path}"${named}: cannot read ${resolved}: ${filesystemReason(error as NodeJS.ErrnoException)}`);
  }
}

/** The data files a configuration reads, by their path in the spec: a CSV of inputs, a teacher network's parameter file. */
export function dataFilePaths(config: RunConfig): string[] {
  const { inputs, teacher } = config.data;
  return [...(inputs.kind === 'file' ? [inputs.path] : []), ...(teacher.kind === 'network' ? [teacher.params] : [])];
}

/**
 * A configuration's data files, read and checked, with a hash of the content each contributes (the
 * rows used, a teacher's network): line endings, formatting or rows past data.samples do not change
 * it. A file whose hash differs from options.trainedOn's is refused.
 */
function readDataFiles(config: RunConfig, options: DataSourceOptions): { table?: { x: Float64Array; y: Float64Array }; teacherNetwork?: TeacherNetwork; hashes: Record<string, string> } {
  const inputDim = config.architecture.inputDim;
  const { inputs, teacher } = config.data;
  const hashes: Record<string, string> = {};
  let table: { x: Float64Array; y: Float64Array } | undefined;
  let teacherNetwork: TeacherNetwork | undefined;
  if (inputs.kind === 'file') {
    table = readDatasetFile(inputs.path, inputDim, config.data.samples, options);
    hashes[inputs.path] = hashNumbers(`table ${inputDim}`, [table.x, table.y]);
  }
  if (teacher.kind === 'network') {
    teacherNetwork = readTeacherNetwork(teacher.params, inputDim, options);
    hashes[teacher.params] = hashNumbers(`network ${describeArchitecture(teacherNetwork.arch)}`, [teacherNetwork.theta]);
  }
  for (const [file, hash] of Object.entries(hashes)) {
    const then = options.trainedOn?.[file];
    if (then !== undefined && then !== hash) {
      throw new DataFileChangedError(
        `${resolveSpecPath(file, options.baseDir)} changed since the runs were trained on it (content hash then ${then}, now ${hash}): ` +
          'what is computed from it now would not be of their data; restore the file the sweep read, or train again',
      );
    }
  }
  return { table, teacherNetwork, hashes };
}

/** A data file whose content differs from what the runs trained on: never to be read as data that merely cannot be rebuilt. */
export class DataFileChangedError extends InputError {}

/** 16 hex digits of a 64-bit hash of a label and the bits of some float64 arrays (a change of any value changes it). */
function hashNumbers(label: string, arrays: readonly Float64Array[]): string {
  let h1 = Number.parseInt(hashString(label).slice(0, 8), 16) | 0;
  let h2 = Number.parseInt(hashString(label).slice(8), 16) | 0;
  for (const values of arrays) {
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let k = 0; k < words.length; k++) {
      h1 = Math.imul(h1 ^ words[k], 2654435761);
      h2 = Math.imul(h2 ^ words[k], 1597334677);
    }
    h1 = Math.imul(h1 ^ values.length, 2246822507);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/**
 * Checks every data file the runs read — builds each distinct dataset that reads files once, so a
 * missing file, a bad CSV or a wrong dimension is an InputError here, before any folder is made —
 * and returns the content hashes of the files by path in the spec (Checkpoint.dataFiles).
 */
export function dataFileHashes(runs: readonly Pick<ResolvedRun, 'config' | 'seed'>[], options: DataSourceOptions = {}): Record<string, string> {
  const hashes: Record<string, string> = {};
  /** the samples of each dataset built, by datasetKey */
  const built = new Map<string, number>();
  for (const run of runs) {
    if (!readsDataFiles(run.config)) continue;
    const key = datasetKey(run.config, run.seed, options);
    let samples = built.get(key);
    if (samples === undefined) {
      const { dataset, hashes: read } = datasetWithFileHashes(run.config, run.seed, options);
      Object.assign(hashes, read);
      samples = dataset.samples;
      built.set(key, samples);
    }
    // (the spec checks a batch against generated inputs' count; a file's is known only once read)
    const { optimizer, data } = run.config;
    if ((optimizer.kind === 'sgd' || optimizer.kind === 'adam') && data.inputs.kind === 'file' && optimizer.batch !== undefined && optimizer.batch > samples) {
      throw new InputError(`optimizer.batch: ${optimizer.batch} exceeds the ${samples} samples ${data.samples === undefined ? `of ${data.inputs.path}` : `(data.samples) read from ${data.inputs.path}`}`);
    }
  }
  return hashes;
}

function readDatasetFile(path: string, inputDim: number, samples: number | undefined, options: DataSourceOptions): { x: Float64Array; y: Float64Array } {
  const source = resolveSpecPath(path, options.baseDir);
  const data = parseDatasetCsv(readText(path, options, 'data.inputs.path'), source);
  if (data.inputDim !== inputDim) {
    throw new InputError(`${source}: the file has ${data.inputDim} input columns, but architecture.inputDim is ${inputDim}`);
  }
  if (samples === undefined) return { x: data.x, y: data.y };
  if (samples > data.samples) throw new InputError(`${source}: data.samples is ${samples}, but the file holds only ${data.samples} samples`);
  return { x: data.x.slice(0, samples * inputDim), y: data.y.slice(0, samples) };
}

function readTeacherNetwork(path: string, inputDim: number, options: DataSourceOptions): TeacherNetwork {
  const source = resolveSpecPath(path, options.baseDir);
  const { arch, theta } = parseParameterFile(readText(path, options, 'data.teacher.params'), source);
  if (arch.inputDim !== inputDim) {
    throw new InputError(`${source}: the teacher network (${describeArchitecture(arch)}) takes ${arch.inputDim} inputs, but architecture.inputDim is ${inputDim}`);
  }
  return { arch, theta };
}
