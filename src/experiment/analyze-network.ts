// Where does a given network stand? Diagnostics, the verdict with its evidence and, for channels,
// the gated-linear-unit limit — for a network trained anywhere (`channelscope analyze`).
import { channelPairOf, closestPairs, motionShares, neuronGroups, reflectionOffset, symmetryOrientation, type MotionShare } from '../analysis/channels.js';
import { neuronRegime, preActivationRanges } from '../analysis/network.js';
import { classifyRun, DEFAULT_THRESHOLDS, evidenceFromNetwork, type Classification, type ClassificationThresholds, type RunFacts } from '../analysis/classify.js';
import { gluParameters, gluReplacement } from '../analysis/glu.js';
import { chooseChannelLimit, fittableChannelLimit, secondMomentEigenvalues } from '../analysis/channel-limit.js';
import { refitLimit, type FittableReplacement } from '../analysis/limit-network.js';
import { sharpeningDeviation, sharpeningLossAtInfinity, sharpeningShape, type SharpeningShape } from '../analysis/sharpening.js';
import type { Dataset } from '../data/dataset.js';
import { evaluateNetwork } from '../engine/cpu/cpu-engine.js';
import { DEFAULT_MAXNORM } from '../engine/engine.js';
import { describeArchitecture, parameterCount, weightNorm, type Architecture } from '../model/architecture.js';
import { hessianMatrix, symmetricEigen } from '../numerics/linalg.js';
import { parseDatasetCsv } from '../data/csv.js';
import { InputError } from '../user-input/input-error.js';
import { parseParameterFile } from '../model/params-file.js';
import { datasetFor, type DataSourceOptions } from './grid.js';
import type { RunRecord } from './results.js';
import { FULL_SPECTRUM_MAX_PARAMETERS } from '../analysis/diagnostics.js';
import { parseConfig } from './spec.js';
import { recordJudgement, type ThresholdOverrides } from './summary.js';
import { thresholdText } from './report-text.js';

export interface NetworkAnalysis {
  parameters: number;
  loss: number;
  barrier: number;
  gradInf: number;
  weightNorm: number;
  /** ascending Hessian eigenvalues of L + R, or null above FULL_SPECTRUM_MAX_PARAMETERS */
  hessianEigenvalues: number[] | null;
  closestPairs: ReturnType<typeof closestPairs>;
  verdict: Classification;
  /**
   * the neurons the classifier compared in flipped form: odd σ's sign flips, or softplus/gelu
   * reflections (with the fraction of their linear terms left uncancelled, per layer); null if none
   */
  symmetry: null | { kind: 'odd' | 'reflection'; flipped: { layer: number; neurons: number[] }[]; residual?: number[] };
  /** the channel pair's GLU limit, when the verdict found a close opposite-sign pair */
  glu: null | {
    layer: number;
    i: number;
    j: number;
    w: number[];
    delta: number[];
    epsilon: number;
    c: number[];
    a: number[];
    /** largest |f − f_GLU| over the data */
    maxDeviation: number;
    /** optimal loss of the limit network (last hidden layer only; null otherwise) */
    lossAtInfinity: number | null;
  };
  /**
   * the other close groups whose outgoing weights have both signs (several channels can run out at
   * once): the GLU above is of the one with the largest outgoing weights (classify.ts channelGroup)
   */
  otherChannels: { layer: number; members: number[]; minCosine: number; outgoing: number[] }[];
  /**
   * the neurons that carry the channel, chosen on the data (channel-limit.ts chooseChannelLimit):
   * the GLU pair alone, or with the group's other members whose outgoing weights form a
   * higher-order stencil; their limit holds σ … σ^(order) at the members' mean input vector w̄
   */
  channelLimit: null | {
    layer: number;
    members: number[];
    order: number;
    centre: number[];
    /** ‖T_n‖ for n = 0 … order + 1 (T_0 = c with its sign; the last one is the first term the limit leaves out), per next-layer neuron */
    sizes: number[][];
    /** eigenvalues of M = T_2 per next-layer neuron, largest |λ| first (order ≥ 2; else null): rank 1 for carriers on a line */
    secondMoment: number[][] | null;
    /** largest |f − f_limit| over the data */
    maxDeviation: number;
    /** the candidates tried (the GLU pair, then one more member at a time) and their largest deviation */
    candidates: { members: number[]; maxDeviation: number }[];
    /** optimal loss of the limit network with w̄ and each T_n's direction held (last hidden layer only; null otherwise) */
    lossAtInfinity: number | null;
  };
  /**
   * where the recent motion went (with a parameter history): ‖Δθ‖ and the parts with at least 5% of
   * it, largest first; a neuron's part with its pre-activation range on the data and, where that says
   * something, its regime (network.ts neuronRegime: e.g. 'linear', whose bias can run off with the
   * output bias absorbing o·b)
   */
  motion: null | { change: number; shares: (MotionShare & { preActivation?: { min: number; max: number }; regime?: NonNullable<ReturnType<typeof neuronRegime>> })[] };
  /** for a 'sharpening' verdict: the neurons, what they tend to, and the limit network's loss */
  sharpening: null | {
    /** hidden layer (0-based) and neuron of each sharpening neuron, with its ‖ũ‖ and outgoing weights */
    neurons: { layer: number; neuron: number; inputNorm: number; outgoing: number[] }[];
    shape: SharpeningShape;
    /** optimal loss of the network with the neurons replaced by their limits (all in the last hidden layer; null otherwise) */
    lossAtInfinity: number | null;
    /** largest |f − f_limit| over the data, the limit at the neurons' own weights (last hidden layer only) */
    maxDeviation: number | null;
  };
}

/**
 * L∞ of a channel limit, θ as oriented for the comparison (`oriented`). Found among reflected
 * softplus neurons, the reflections' leftover linear term is held as an output offset, so that at
 * the current weights the reflected network is the network as trained; null when the limit is not
 * in the last hidden layer or reflections sit in an earlier one.
 */
function orientedLossAtInfinity(arch: Architecture, theta: Float64Array, oriented: Float64Array, symmetry: ReturnType<typeof symmetryOrientation>, replacement: FittableReplacement, data: Dataset): number | null {
  if (symmetry?.kind !== 'reflection') return refitLimit(arch, oriented, replacement, data)?.loss ?? null;
  const offset = reflectionOffset(arch, theta, symmetry.flips);
  if (!offset) return null;
  return refitLimit(arch, oriented, replacement, data, 0, offset)?.loss ?? null;
}

/**
 * `history`: parameter vectors of the run, oldest first, θ last (RunFacts.thetaHistory); without it
 * the subspace criterion is unchecked. `judgement`: a recorded run's own facts and tolerances
 * (summary.ts recordJudgement), so that the verdict is the report's; without its facts the verdict
 * reads this network as found (stopped by 'analyze', the Hessian computed here), with its thresholds
 * or the defaults.
 */
export function analyzeNetwork(
  arch: Architecture,
  theta: Float64Array,
  data: Dataset,
  maxnorm = DEFAULT_MAXNORM,
  history?: Float64Array[],
  judgement?: { facts?: RunFacts; thresholds: Partial<ClassificationThresholds> },
): NetworkAnalysis {
  const P = parameterCount(arch);
  const at = evaluateNetwork(arch, data, 0, theta, { gradient: true, maxnorm });
  let gradInf = 0;
  for (const g of at.gradient!) gradInf = Math.max(gradInf, Math.abs(g));
  let eigenvalues: number[] | null = null;
  if (P <= FULL_SPECTRUM_MAX_PARAMETERS) {
    const hessian = hessianMatrix((v, out) => out.set(evaluateNetwork(arch, data, 0, theta, { direction: v, maxnorm }).hvp!), P);
    eigenvalues = Array.from(symmetricEigen(hessian, P).values);
  }
  const thresholds = { ...judgement?.thresholds, maxnorm };
  const facts: RunFacts = judgement?.facts ?? {
    loss: at.loss,
    gradInf,
    stoppedBy: 'analyze',
    ...(history ? { thetaHistory: history } : {}),
    ...(eigenvalues ? { hessianMinEigenvalue: eigenvalues[0], hessianMaxEigenvalue: eigenvalues[eigenvalues.length - 1] } : {}),
  };
  const evidence = evidenceFromNetwork(arch, theta, facts, thresholds);
  const verdict = classifyRun(evidence, thresholds);
  let glu: NetworkAnalysis['glu'] = null;
  // relu has no channels (σ″ = 0): a merged pair computes its Heaviside-gated "limit" already, at finite norm
  const group = arch.activation === 'relu' ? null : evidence.channelGroup;
  const pair = group ? channelPairOf(group) : null;
  // the pair was found up to the activation's symmetry (odd σ's sign flips, softplus's
  // reflections): its GLU limit is read in the same orientation
  const symmetry = symmetryOrientation(arch, theta);
  const oriented = symmetry ? symmetry.orient(theta) : theta;
  let channelLimit: NetworkAnalysis['channelLimit'] = null;
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const otherChannels = group
    ? neuronGroups(arch, oriented, t.cosine, { relativeL2: t.equalInputs })
        .filter((other) => other.mixedSigns && !(other.layer === group.layer && other.members.join() === group.members.join()))
        .map(({ layer, members, minCosine, outgoing }) => ({ layer, members, minCosine, outgoing }))
    : [];
  if (pair) {
    const parameters = gluParameters(arch, oriented, pair);
    // the channel's carriers, chosen on the data; the first candidate is the GLU pair itself (an
    // order-1 limit is the GLU), so its deviation is the GLU's
    const chosen = chooseChannelLimit(arch, oriented, group!, data)!;
    glu = {
      ...pair,
      w: Array.from(parameters.w),
      delta: Array.from(parameters.delta),
      epsilon: parameters.epsilon,
      c: Array.from(parameters.c),
      a: Array.from(parameters.a),
      maxDeviation: chosen.candidates[0].maxDeviation,
      lossAtInfinity: orientedLossAtInfinity(arch, theta, oriented, symmetry, gluReplacement(arch, oriented, pair), data),
    };
    const { layer, members, order, centre, sizes } = chosen.limit;
    channelLimit = {
      layer,
      members,
      order,
      centre: Array.from(centre),
      sizes: sizes.map((size) => Array.from(size)),
      secondMoment: order >= 2 ? Array.from(chosen.limit.outgoing[0], (_, k) => secondMomentEigenvalues(chosen.limit, k)!) : null,
      maxDeviation: chosen.deviation.max,
      candidates: chosen.candidates,
      lossAtInfinity: orientedLossAtInfinity(arch, theta, oriented, symmetry, fittableChannelLimit(chosen.limit, arch.activation), data),
    };
  }
  let sharpening: NetworkAnalysis['sharpening'] = null;
  const shape = sharpeningShape(arch.activation);
  if (verdict.cause === 'sharpening' && evidence.roads && shape) {
    const neurons = evidence.roads.sharpening;
    const last = arch.hidden.length - 1;
    const inLast = neurons.every((n) => n.layer === last) ? neurons.map((n) => n.neuron) : null;
    sharpening = {
      neurons: neurons.map(({ layer, neuron, inputNorm, outgoing }) => ({ layer, neuron, inputNorm, outgoing })),
      shape,
      lossAtInfinity: inLast ? sharpeningLossAtInfinity(arch, theta, inLast, data).loss : null,
      maxDeviation: inLast ? sharpeningDeviation(arch, theta, inLast, data).max : null,
    };
  }
  return {
    parameters: P,
    loss: at.loss,
    barrier: at.barrier,
    gradInf,
    weightNorm: weightNorm(theta),
    hessianEigenvalues: eigenvalues,
    closestPairs: closestPairs(arch, theta),
    verdict,
    symmetry: symmetry
      ? {
          kind: symmetry.kind,
          flipped: symmetry.flips.flatMap((layerFlips, layer) => {
            const neurons = layerFlips.flatMap((flip, n) => (flip ? [n] : []));
            return neurons.length > 0 ? [{ layer, neurons }] : [];
          }),
          ...(symmetry.residual ? { residual: symmetry.residual } : {}),
        }
      : null,
    glu,
    otherChannels,
    channelLimit,
    sharpening,
    motion: facts.thetaHistory ? annotatedMotion(arch, theta, facts.thetaHistory, data) : null,
  };
}

/** motionShares with each moving neuron's pre-activation range on the data and its regime there. */
function annotatedMotion(arch: Architecture, theta: Float64Array, history: ArrayLike<number>[], data: Dataset): NetworkAnalysis['motion'] {
  const motion = motionShares(arch, history);
  if (!motion) return null;
  const ranges = preActivationRanges(arch, theta, data);
  return {
    change: motion.change,
    shares: motion.shares.map((share) => {
      if (share.part === 'output bias') return share;
      const preActivation = ranges[share.part.layer][share.part.neuron];
      const regime = neuronRegime(arch.activation, preActivation);
      return { ...share, preActivation, ...(regime ? { regime } : {}) };
    }),
  };
}

/** A network given as files (the engine's parameter-file and data-CSV formats), analysed. */
export interface FileAnalysis {
  /** e.g. "d=2 [4] softplus, biases" */
  network: string;
  hiddenLayers: number;
  samples: number;
  maxnorm: number;
  /** the maxnorm is the run's own (analyze --run without --maxnorm), not one given or defaulted */
  maxnormOfRun?: boolean;
  /** thresholds the user set in place of the defaults (analyze --thresholds) */
  thresholdOverrides?: ThresholdOverrides;
  analysis: NetworkAnalysis;
}

/** A file's name and text, wherever it was read (disk, or a browser's file picker). */
export interface NamedText {
  name: string;
  text: string;
}

/**
 * `channelscope analyze` on texts: the parameter file, the data CSV and, oldest first, earlier
 * parameter files of the same run (the history the verdict's subspace and sharpening tests read).
 * Malformed or inconsistent files throw InputError naming the file and the problem.
 */
export function analyzeNetworkFiles(params: NamedText, data: NamedText, maxnorm: number, previous: readonly NamedText[] = [], overrides: ThresholdOverrides = {}): FileAnalysis {
  const { arch, theta } = parseParameterFile(params.text, params.name);
  const dataset = parseDatasetCsv(data.text, data.name);
  if (dataset.inputDim !== arch.inputDim) {
    throw new InputError(`${data.name} has ${dataset.inputDim} input columns but the network's first layer takes ${arch.inputDim} inputs`);
  }
  const earlier = previous.map(({ name, text }) => {
    const parsed = parseParameterFile(text, name);
    if (describeArchitecture(parsed.arch) !== describeArchitecture(arch)) {
      throw new InputError(`${name}: an earlier parameter file must have the network's architecture (${describeArchitecture(arch)}), it has ${describeArchitecture(parsed.arch)}`);
    }
    return parsed.theta;
  });
  const analysis = analyzeNetwork(arch, theta, dataset, maxnorm, earlier.length > 0 ? [...earlier, theta] : undefined, { thresholds: overrides });
  return { network: describeArchitecture(arch), hiddenLayers: arch.hidden.length, samples: dataset.samples, maxnorm, thresholdOverrides: overrides, analysis };
}

/**
 * `channelscope analyze --run DIR --id RUN`: a run of a sweep, analysed where the report judged it
 * (after a polish, the polished network; else the run's end with its recent parameters as history),
 * on the dataset rebuilt from its configuration and seed, with its own norm barrier.
 */
export function analyzeRecord(record: RunRecord, maxnorm?: number, overrides: ThresholdOverrides = {}, dataOptions: DataSourceOptions = {}): FileAnalysis {
  const config = parseConfig(record.config, `run ${record.id}`);
  const judgement = record.stopReason === 'diverged' ? null : recordJudgement(record, overrides);
  if (!judgement || !Array.from(judgement.theta).every(Number.isFinite)) {
    // a diverged run keeps its last finite point (README, "diverged"): finite, but no trained network
    throw new InputError(
      record.stopReason === 'diverged'
        ? `run ${record.id} diverged: a value turned non-finite and the run stopped at its last finite point, which is no trained network to analyze`
        : `run ${record.id} (stopped by ${record.stopReason}) ended with parameters that are not finite: there is no network to analyze`,
    );
  }
  const { arch, theta, facts, thresholds } = judgement;
  const data = datasetFor(config, record.seed, dataOptions);
  const barrier = maxnorm ?? thresholds.maxnorm;
  const analysis = analyzeNetwork(arch, theta, data, barrier, undefined, { facts, thresholds });
  return { network: describeArchitecture(arch), hiddenLayers: arch.hidden.length, samples: data.samples, maxnorm: barrier, maxnormOfRun: maxnorm === undefined, thresholdOverrides: overrides, analysis };
}

const g = (x: number) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(5));

/** A threshold as one would write it for --thresholds: 0.01, 1e-6, Infinity. */
/** The analysis as `channelscope analyze` prints it, one line each (the page shows the same). */
export function formatNetworkAnalysis({ network, hiddenLayers, samples, maxnorm, maxnormOfRun, thresholdOverrides = {}, analysis: result }: FileAnalysis): string[] {
  const overridden = Object.entries(thresholdOverrides).filter(([, value]) => value !== undefined) as [keyof ThresholdOverrides, number][];
  const lines = [
    `network      ${network}, P=${result.parameters}, ${samples} samples`,
    `loss         ${g(result.loss)}   barrier ${g(result.barrier)}   ‖∇‖∞ ${g(result.gradInf)}   weight norm ${g(result.weightNorm)} (maxnorm ${g(maxnorm)})`,
    result.hessianEigenvalues
      ? `Hessian      λ_min ${g(result.hessianEigenvalues[0])}   λ_max ${g(result.hessianEigenvalues[result.hessianEigenvalues.length - 1])}`
      : `Hessian      spectrum omitted (more than ${FULL_SPECTRUM_MAX_PARAMETERS} parameters)`,
    ...result.closestPairs.map(
      (p) =>
        `layer ${p.layer + 1}      closest pair by cosine: ${p.cosine ? `${p.cosine.i},${p.cosine.j} at ${g(p.cosine.distance)}` : 'none'}; by L2: ${p.l2 ? `${p.l2.i},${p.l2.j} at ${g(p.l2.distance)}` : 'none'}` +
        // the verdict compares neurons flipped or reflected (the symmetry line): its pair may be another
        (result.symmetry ? ' (the neurons as they are; the verdict compares them up to σ\'s symmetry)' : ''),
    ),
    `verdict      ${result.verdict.outcome}${result.verdict.channelStrict ? ` (also by the strict ${thresholdText(result.verdict.evidence.thresholds.strictCosine)} criterion)` : ''}: ${result.verdict.reason}`,
  ];
  // the verdict was reached by other criteria than the report's: say which, beside it
  if (overridden.length > 0) {
    lines.push(`thresholds   ${overridden.map(([name, value]) => `${name}=${thresholdText(value)} (default ${thresholdText(DEFAULT_THRESHOLDS[name])})`).join(', ')}`);
  }
  if (result.verdict.evidence.beyondBarrier) {
    lines.push(
      maxnormOfRun
        ? `note         the weight norm lies beyond the run's own barrier maxnorm ${g(maxnorm)}: a discrete optimiser's step can overshoot it (the barrier is a penalty, not a wall), and the barrier term then dominates the loss and gradient`
        : `note         the weight norm lies beyond maxnorm ${g(maxnorm)}, so the barrier term dominates the loss and gradient: give --maxnorm the barrier the network was trained under (Infinity: none)`,
    );
  }
  if (result.motion) {
    const parts = result.motion.shares
      .slice(0, 8)
      .map((entry) => `${entry.part === 'output bias' ? 'output bias' : `neuron ${entry.part.neuron} of layer ${entry.part.layer + 1} (${entry.regime ? `${entry.regime}, ` : ''}z ∈ [${g(entry.preActivation!.min)}, ${g(entry.preActivation!.max)}])`} ${(100 * entry.share).toFixed(1)}%`);
    lines.push(`motion       ‖Δθ‖ ${g(result.motion.change)} over the recent history: ${parts.length > 0 ? parts.join(', ') : 'no part with 5% of it'} (each part's ‖Δθ‖ over the whole's: the squares of these shares sum to at most 1; a neuron's part is its input and outgoing weights; z its pre-activation on the data)`);
  }
  if (result.symmetry && result.symmetry.flipped.length > 0) {
    const { kind, flipped, residual } = result.symmetry;
    const which = flipped.map((f) => `${f.neurons.join(',')} of layer ${f.layer + 1}`).join('; ');
    lines.push(
      kind === 'odd'
        ? `symmetry     neurons ${which} compared flipped (σ(−z) = −σ(z): (ũ, o) and (−ũ, −o) compute the same)`
        : `symmetry     neurons ${which} compared reflected (softplus(z) = softplus(−z) + z: (ũ, o) is (−ũ, o) plus o·(w·x + b); their linear terms cancel to ${residual!.map((r) => `${(100 * r).toFixed(1)}%`).join(', ')})`,
    );
  }
  if (result.glu) {
    const u = result.glu;
    lines.push(
      `GLU limit    pair ${u.i},${u.j} of layer ${u.layer + 1}: ε ${g(u.epsilon)}, c ${u.c.map(g).join(',')}, a ${u.a.map(g).join(',')}`,
      `             w [${u.w.map(g).join(', ')}], Δ [${u.delta.map(g).join(', ')}]`,
      `             max |f − f_GLU| on the data ${g(u.maxDeviation)}; loss at infinity (output weights refit) ${u.lossAtInfinity === null ? `n/a (${u.layer < hiddenLayers - 1 ? 'pair not in the last hidden layer' : 'reflections in an earlier layer'})` : g(u.lossAtInfinity)}`,
    );
    for (const other of result.otherChannels) {
      lines.push(
        `also         a channel of neurons ${other.members.join(',')} of layer ${other.layer + 1}: closest at ${g(other.minCosine)}, outgoing weights ${other.outgoing.map(g).join(', ')} (the GLU above is of the channel with the largest outgoing weights)`,
      );
    }
  }
  if (result.channelLimit && result.channelLimit.members.length > 2) {
    const limit = result.channelLimit;
    const terms = ['c·σ(w̄·x̃)', '(v·x̃)·σ′(w̄·x̃)', '½(x̃ᵀMx̃)·σ″(w̄·x̃)', '⅙T₃[x̃,x̃,x̃]·σ‴(w̄·x̃)'].slice(0, limit.order + 1);
    const pairDeviation = limit.candidates[0].maxDeviation;
    lines.push(
      `channel      carried by ${limit.members.length} neurons, ${limit.members.join(',')} of layer ${limit.layer + 1}: limit of order ${limit.order}, ${terms.join(' + ')}`,
      `             w̄ [${limit.centre.map(g).join(', ')}]; ${limit.sizes
        .map((size, n) => `${n === 0 ? 'c' : `‖T${n}‖`} ${size.map(g).join(',')}`)
        .join(', ')} (T${limit.order + 1} is left out: it shrinks along the channel)`,
      ...(limit.secondMoment ? [`             M = T2 has eigenvalues ${limit.secondMoment.map((values) => values.map(g).join(', ')).join('; ')} (rank 1 when the carriers lie on a line)`] : []),
      `             max |f − f_limit| on the data ${g(limit.maxDeviation)} (the pair's GLU: ${g(pairDeviation)}); loss at infinity (output weights refit) ${limit.lossAtInfinity === null ? 'n/a' : g(limit.lossAtInfinity)}`,
    );
  }
  if (result.sharpening) {
    const limit = result.sharpening;
    const neurons = limit.neurons.map((n) => `${n.neuron} of layer ${n.layer + 1} (‖ũ‖ ${g(n.inputNorm)})`).join(', ');
    lines.push(
      `sharpening   neurons ${neurons} tend to a ${limit.shape}`,
      limit.lossAtInfinity === null
        ? '             loss at infinity (output weights refit) n/a (a neuron not in the last hidden layer)'
        : `             max |f − f_limit| on the data ${g(limit.maxDeviation!)}; loss at infinity (output weights refit) ${g(limit.lossAtInfinity)}`,
    );
  }
  return lines;
}
