// Where does a given network stand? Diagnostics, the verdict with its evidence and, for channels,
// the gated-linear-unit limit — for a network trained anywhere (`channelscope analyze`).
import { channelPairOf, closestPairs, reflectionOffset, symmetryOrientation } from '../analysis/channels.js';
import { classifyRun, evidenceFromNetwork, type Classification } from '../analysis/classify.js';
import { gluDeviation, gluParameters, lossAtInfinity } from '../analysis/glu.js';
import { sharpeningDeviation, sharpeningLossAtInfinity, sharpeningShape, type SharpeningShape } from '../analysis/sharpening.js';
import type { NeuronPair } from '../analysis/network.js';
import type { Dataset } from '../data/dataset.js';
import { evaluateNetwork } from '../engine/cpu/cpu-engine.js';
import { DEFAULT_MAXNORM } from '../engine/engine.js';
import { parameterCount, weightNorm, type Architecture } from '../model/architecture.js';
import { hessianMatrix, symmetricEigen } from '../optim/linalg.js';

/** Full Hessian spectra up to this many parameters (Jacobi on P×P); above it the spectrum is omitted. */
export const FULL_SPECTRUM_MAX_PARAMETERS = 128;

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
 * L∞ of a channel found among reflected softplus neurons (`reflected`: θ with `flips` applied): the
 * reflected network's limit with the reflections' leftover linear term held as an output offset, so
 * that at the current weights it is the network as trained; null when reflections sit in an earlier
 * layer.
 */
function reflectedLossAtInfinity(arch: Architecture, theta: Float64Array, reflected: Float64Array, flips: boolean[][], pair: NeuronPair, data: Dataset): number | null {
  const offset = reflectionOffset(arch, theta, flips);
  if (!offset) return null;
  return lossAtInfinity(arch, reflected, pair, data, 0, offset)?.loss ?? null;
}

/** `history`: parameter vectors of the run, oldest first, θ last (RunFacts.thetaHistory); without it the subspace criterion is unchecked. */
export function analyzeNetwork(arch: Architecture, theta: Float64Array, data: Dataset, maxnorm = DEFAULT_MAXNORM, history?: Float64Array[]): NetworkAnalysis {
  const P = parameterCount(arch);
  const at = evaluateNetwork(arch, data, 0, theta, { gradient: true, maxnorm });
  let gradInf = 0;
  for (const g of at.gradient!) gradInf = Math.max(gradInf, Math.abs(g));
  let eigenvalues: number[] | null = null;
  if (P <= FULL_SPECTRUM_MAX_PARAMETERS) {
    const hessian = hessianMatrix((v, out) => out.set(evaluateNetwork(arch, data, 0, theta, { direction: v, maxnorm }).hvp!), P);
    eigenvalues = Array.from(symmetricEigen(hessian, P).values);
  }
  const thresholds = { maxnorm };
  const evidence = evidenceFromNetwork(
    arch,
    theta,
    {
      loss: at.loss,
      gradInf,
      stoppedBy: 'analyze',
      ...(history ? { thetaHistory: history } : {}),
      ...(eigenvalues ? { hessianMinEigenvalue: eigenvalues[0], hessianMaxEigenvalue: eigenvalues[eigenvalues.length - 1] } : {}),
    },
    thresholds,
  );
  const verdict = classifyRun(evidence, thresholds);
  let glu: NetworkAnalysis['glu'] = null;
  const group = evidence.channelGroup;
  const pair = group ? channelPairOf(group) : null;
  // the pair was found up to the activation's symmetry (odd σ's sign flips, softplus's
  // reflections): its GLU limit is read in the same orientation
  const symmetry = symmetryOrientation(arch, theta);
  if (pair) {
    const oriented = symmetry ? symmetry.orient(theta) : theta;
    const parameters = gluParameters(arch, oriented, pair);
    glu = {
      ...pair,
      w: Array.from(parameters.w),
      delta: Array.from(parameters.delta),
      epsilon: parameters.epsilon,
      c: Array.from(parameters.c),
      a: Array.from(parameters.a),
      maxDeviation: gluDeviation(arch, oriented, pair, data).max,
      lossAtInfinity: (symmetry?.kind === 'reflection' ? reflectedLossAtInfinity(arch, theta, oriented, symmetry.flips, pair, data) : lossAtInfinity(arch, oriented, pair, data)?.loss) ?? null,
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
    sharpening,
  };
}
