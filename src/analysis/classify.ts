// Where a run ended (science.md, "Classifying where a run ended"): a verdict from a few numbers,
// with the numbers it was decided on and a readable reason. classifyRun is a pure function of the
// evidence; evidenceFromNetwork computes the evidence from a network's parameters.
//
// The rules, checked in this order (thresholds in ClassificationThresholds):
//   diverged        finite = false, stoppedBy = 'diverged', or a non-finite loss, norm or gradient.
//   channel         weightNorm > maxnorm·(1 − barrierTolerance) (at the norm barrier) AND minCosine < cosine (1e-2),
//                   over pairs whose input vectors are EQUAL, not merely parallel (relative L2 distance
//                   < equalInputs, 0.5: a channel's wᵢ − wⱼ → 0, while a neuron sharpening towards a
//                   kink lies parallel to any smaller neuron of its direction at cosine ~1e-3), AND
//                   the close group's outgoing weights have opposite signs AND the last updates lie
//                   in the channel subspace (of every close group with mixed signs: several pairs can
//                   run out at once): channelFraction > subspace (0.9; a null fraction — no
//                   parameter history — leaves this criterion unchecked, said so in the reason, as is
//                   a gradient that fails the test below: the shape is a channel's, the rest unknown).
//                   Never for relu (σ″ = 0: two relu neurons with equal input vectors are exactly
//                   one neuron, there is no GLU limit). channelStrict: also channelCosine < strictCosine (the
//                   channel's own pair of opposite outgoing weights, not a same-sign duplicate elsewhere).
//   global-minimum  loss ≤ globalLossTol (about relative to the targets' variance: Rosenbrock's are
//                   standardised, a GP draw has prior variance 1) unless realisable = false. Checked after channel: a channel whose loss
//                   reaches 0 is reported as a channel (its minimum lies at infinity).
//   not-converged   at the barrier without the channel signature, by the other roads to infinity
//                   when more than `subspace` of ‖Δθ‖ lies along them and any channel group:
//                   'sharpening' when neurons' input vectors grow (each by ≥ sharpeningGrowth, 10%,
//                   of ‖Δθ‖; channels.ts sharpeningNeurons: σ(λz) tends to a kink or a step),
//                   'exponential-tail' when instead neurons in their activation's exponential tail
//                   trade bias for outgoing weight (channels.ts tailNeurons, each ≥ tailShare of
//                   ‖Δθ‖); then 'channel-opening' when two to four neurons' outgoing weights
//                   grow apart while their sum stands still (channels.ts openingGroups: a channel
//                   the barrier stopped before its input vectors came within `cosine`) and they,
//                   with any closed channel and the roads above, carry more than `subspace`;
//                   otherwise 'barrier-without-channel' (the reason names what is missing;
//                   relu: "relu has no channels"). Or the gradient criterion fails.
//   (converged)     stoppedBy = 'converged' or gradInf ≤ gradTol·max(1, thetaInf), thetaInf
//                   defaulting to √(2·weightNorm), the RMS of θ (a scaled criterion: float32
//                   rounding alone leaves ‖∇‖∞ ~ 1e-3 where the weights are ±150) — unless the
//                   weight norm was still moving: |normDrift| > stationaryTol over the last recorded
//                   interval. A run drifting into a channel has a gradient of ~ε³, small long before
//                   the barrier, and would otherwise pass for a finite minimum; the reason says
//                   "still moving" (and "on its way along a channel" or "to a kink" when a close
//                   opposite pair or sharpening neurons carry the motion). Not applied to polished
//                   runs (Newton ended at a critical point).
//   plateau-saddle  converged at finite norm with two neurons of one layer whose input vectors are
//                   numerically identical: the pair with the smallest relative L2 distance
//                   ‖ũ_i − ũ_j‖/max(‖ũ_i‖, ‖ũ_j‖) has it below duplicateL2 (1e-2) AND its cosine
//                   distance below strictCosine (1e-3). Any split of the outgoing weight (same signs,
//                   γ ∈ [0, 1], or opposite signs, γ outside) and any Hessian spectrum: every point of
//                   a Fukumizu–Amari saddle line is a critical point, the stable segments have
//                   λ_min ≈ 0, and the line is a saddle of the network as a whole either way.
//   not-converged   converged, no duplicate pair, but the Hessian (when known) has negative
//                   curvature: λ_min < −negativeCurvatureTol·max(1, λ_max). A strict saddle, which a
//                   longer run would leave; the reason says "saddle".
//   finite-minimum  otherwise: finite norm, small gradient, no negative curvature beyond tolerance
//                   (unchecked when the spectrum is not known, said so in the reason).
import { weightNorm as weightNormOf, type Activation, type Architecture } from '../model/architecture.js';
import {
  channelSubspaceFraction,
  closestEqualPair,
  closestPairs,
  cosineDistance,
  hasScalarInputs,
  neuronGroups,
  openingGroups,
  relativeL2Distance,
  sharpeningNeurons,
  symmetryOrientation,
  tailCoordinates,
  tailNeurons,
  type NeuronGroup,
  type OpeningGroup,
  type SharpeningNeuron,
  type SubspaceOptions,
  type TailNeuron,
} from './channels.js';
import { checkTheta, layerInputVectors } from './network.js';
import { sharpeningShape } from './sharpening.js';

export const OUTCOMES = ['channel', 'finite-minimum', 'plateau-saddle', 'global-minimum', 'not-converged', 'diverged'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Why a run is 'not-converged', for summaries (the reason text has the numbers):
 *   sharpening               at the norm barrier, moving (> subspace of ‖Δθ‖) along neurons whose
 *                            input vectors grow along themselves — towards a kink (softplus) or a
 *                            step (erf) — and along any channel beside them
 *   exponential-tail         at the norm barrier, moving along neurons in their activation's
 *                            exponential tail (σ(z) ≈ e^z: outgoing weight up, bias down, at no cost)
 *   channel-opening          at the norm barrier, moving along two to four neurons whose outgoing
 *                            weights grow apart while their sum stays put (channels.ts openingGroups)
 *                            but whose input vectors are not yet within the channel criterion's
 *                            cosine distance: a channel the barrier stopped before it closed
 *   barrier-without-channel  at the norm barrier without the channel signature or another road (or relu)
 *   kink-rest                relu short of the barrier whose loss did not descend (fell by at most
 *                            kinkRest, or rose) over its last recorded interval, or that patience
 *                            stopped (no improvement by minImprovement ≤ kinkRest over its window):
 *                            at rest on a kink, where the gradient does not vanish and the stiff flow
 *                            chatters across it
 *   still-moving             the weight norm was still changing over the last recorded interval,
 *                            whatever the gradient (a small one would otherwise pass for converged)
 *   gradient-not-small       the gradient test fails, the weight norm at rest (budget, patience or
 *                            time ended the run)
 *   saddle                   converged at a point with negative curvature, not on a saddle line
 */
export const NOT_CONVERGED_CAUSES = ['sharpening', 'exponential-tail', 'channel-opening', 'barrier-without-channel', 'kink-rest', 'still-moving', 'gradient-not-small', 'saddle'] as const;
export type NotConvergedCause = (typeof NOT_CONVERGED_CAUSES)[number];

export interface RunEvidence {
  /**
   * the channel group's neurons compared in the symmetry's orientation (symmetryOrientation): odd σ's
   * flip (ũ, o) → (−ũ, −o), softplus/gelu's reflection (ũ, o) → (−ũ, o); absent where none was turned
   */
  orientedNeurons?: { kind: 'odd' | 'reflection'; layer: number; neurons: number[] };
  /** Σθ²/(2P) */
  weightNorm: number;
  /** ‖∇(L + R)‖∞ */
  gradInf: number;
  /** ‖θ‖∞, scale of the gradient criterion; default √(2·weightNorm) */
  thetaInf?: number;
  /** final MSE (no ½, no barrier) */
  loss: number;
  /** every parameter, the loss and the gradient are finite */
  finite: boolean;
  /**
   * smallest cosine distance of input vectors (bias included) over pairs of one hidden layer whose
   * input vectors are equal to within ClassificationThresholds.equalInputs (relative L2); Infinity
   * when there is no such pair
   */
  minCosine: number;
  /**
   * that pair's input vectors are scalars (a layer with one input and no biases, e.g. the first
   * hidden layer of a d = 1 network; channels.ts hasScalarInputs): minCosine is then the cosine
   * distance's L2 counterpart, ((wᵢ − wⱼ)/max(|wᵢ|, |wⱼ|))²/2 (channels.ts closenessDistance), every
   * cosine distance there being 0
   */
  scalarInputs?: boolean;
  /** the smallest cosine distance over ALL pairs, parallel or equal (the paper's number), and that pair's relative L2 distance */
  parallelPair?: { cosine: number; relativeL2: number };
  /**
   * the roads to infinity other than channels over the recent history: neurons sharpening
   * (channels.ts sharpeningNeurons) and neurons in an exponential tail (tailNeurons), members of
   * channel groups excluded, and the fraction of ‖Δθ‖ in the span of their subspaces and those of
   * the channel groups (null without such neurons); absent without a history
   */
  roads?: { sharpening: SharpeningNeuron[]; tails: TailNeuron[]; fraction: number | null };
  /**
   * channels still closing over the recent history (channels.ts openingGroups; members of closed
   * channel groups excluded) and the fraction of ‖Δθ‖ in the span of their neurons' subspaces, the
   * closed channel groups' and the other roads' (null without opening groups); absent without a history
   */
  opening?: { groups: OpeningGroup[]; fraction: number | null };
  /** the close group (cosine < threshold) carrying the channel has outgoing weights of both signs */
  pairSignsOpposite: boolean;
  /**
   * the channel's closeness: in the channel group (the close group with both signs and the largest
   * Σ|s_j|), the smallest distance (as minCosine measures it) between two equal neurons of opposite
   * outgoing signs (NeuronGroup.mixedCosine); Infinity where no group has both signs. The strict
   * criterion reads it, not minCosine: a same-sign near-duplicate pair elsewhere is no closer channel
   */
  channelCosine: number;
  /** fraction ‖PΔθ‖/‖Δθ‖ of the last updates in the channel subspace; null without a parameter history */
  channelFraction: number | null;
  /** the run's stop reason ('converged', 'patience', 'max-steps', 'diverged', …) */
  stoppedBy: string;
  /**
   * Relative change of the weight norm over the last recorded interval, (wn − wn_before)/wn (the
   * record's last two parameter vectors); null or absent when unknown (no history, or polished).
   */
  normDrift?: number | null;
  /**
   * The loss's relative change (loss − before)/before over the last recorded interval, steps `from`
   * to `to` (the record's last two trajectory points); null or absent when unknown.
   */
  lossDrift?: { relative: number; from: number; to: number } | null;
  /**
   * The loss's relative change over at least the stop rule's checkEvery steps back from the last
   * recorded point, for a float64 run (the scheduler's level-objective test, LEVEL_OBJECTIVE_CHANGE:
   * along a channel the loss still falls by more); null or absent when unknown or float32.
   */
  levelDrift?: { relative: number; from: number; to: number } | null;
  /**
   * The run stopped by patience: its objective did not improve by minImprovement (relative) over
   * its last `steps` steps (the scheduler's rule, checked at its events); absent otherwise.
   */
  patience?: { steps: number; minImprovement: number } | null;
  hessianMinEigenvalue?: number;
  hessianMaxEigenvalue?: number;
  activation: Activation;
  /** whether the teacher can be fitted exactly by this architecture; false disables global-minimum */
  realisable?: boolean;
  /** the pair with the smallest relative L2 distance of input vectors (any layer): that distance… (Infinity when no layer has two neurons) */
  duplicateL2: number;
  /** …and that pair's cosine distance */
  duplicateCosine: number;
}

export interface ClassificationThresholds {
  /** the norm barrier: weightNorm above maxnorm·(1 − barrierTolerance) counts as "at the barrier" */
  maxnorm: number;
  /**
   * A flow stopped by a (scaled) gradient tolerance comes to rest a hair below the barrier: the
   * gradient along a channel is ~ε³ and vanishes before the barrier term engages (runs end at
   * weight norms 999.4–1000.0 for maxnorm 1000). Relative slack of the barrier criterion.
   */
  barrierTolerance: number;
  /** closeness of a channel pair (cosine distance) */
  cosine: number;
  /**
   * a channel pair's input vectors are equal, not merely parallel: relative L2 distance below this.
   * Measured on the float64 flow sweep (benchmarks/results/flow-cpu-subset, r = 4 and 8): channel
   * pairs at the barrier 0.001–0.085, a pair with large opposite output weights beside a channel
   * 0.35; the closest pairs by cosine of the five runs the cosine criterion alone took for channels,
   * a sharpening neuron with a smaller neuron of its direction, 0.80–0.98 (at cosine distance
   * 1.8e-3–6.4e-3; tests/experiment/flow-sweep-verdicts.test.ts).
   */
  equalInputs: number;
  /** a neuron is sharpening when ‖ũ‖ grows by at least this fraction of ‖Δθ‖ over the history (measured on the flow sweep: 0.10–1.0 for sharpening neurons, |growth| ≤ 0.08 for all others) */
  sharpeningGrowth: number;
  /** a neuron is in an exponential tail when its outgoing weights and bias carry at least this fraction of ‖Δθ‖ (and trade as the tail's symmetry says) */
  tailShare: number;
  /**
   * a channel opening (openingGroups): each member's outgoing weights change by at least openingShare
   * of ‖Δθ‖, the changes cancel to openingImbalance of their size, and the members' incoming weights lie
   * along one line to openingParallel (cosine distance up to sign). Measured on the GP r = 8 runs at
   * the barrier (benchmarks/results/barrier-without-channel-2026-12-06.md): members' shares 0.26–0.67,
   * imbalances 0.0006–0.057, spreads up to 0.01.
   */
  openingShare: number;
  openingImbalance: number;
  openingParallel: number;
  /** the stricter channel criterion, also the plateau-saddle cosine criterion */
  strictCosine: number;
  /** minimal channelFraction */
  subspace: number;
  /** converged when gradInf ≤ gradTol·max(1, thetaInf)… */
  gradTol: number;
  /** …and |normDrift| ≤ stationaryTol (the scheduler's stop rule uses the same default) */
  stationaryTol: number;
  /** negative curvature when λ_min < −negativeCurvatureTol·max(1, λ_max) */
  negativeCurvatureTol: number;
  /** global minimum when loss ≤ globalLossTol */
  globalLossTol: number;
  /** plateau saddle: relative L2 distance of the duplicate pair below this */
  duplicateL2: number;
  /** relu at rest on a kink: lossDrift ≥ −kinkRest (no descent to speak of) */
  kinkRest: number;
}

/**
 * Whether a run of this backend is held to float32's floors (FLOAT32_GRAD_TOL, FLOAT32_STATIONARY_TOL):
 * every GPU run. Double-float runs too: their θ, gradient and Hessian are double-float, but their
 * stage vectors and step-size control stay float32, and no measurement yet shows them resting below
 * float32's floors on a GPU. One rule for the scheduler's stop and the verdict (summary.ts
 * recordJudgement), so a run is never judged by tighter tolerances than it was stopped by.
 */
export function heldToFloat32Floors(backend: string): boolean {
  return backend === 'gpu';
}

/**
 * The smallest gradient tolerance (relative, as gradTol) a float32 run is held to. At a finite
 * minimum float32 leaves ‖∇‖∞ of order u·λ_max·|θ| from rounding θ alone: measured on SwiftShader,
 * the flow sweep's r = 4 runs at their finite minimum (λ_max 2.6e3, wn 52.5) end with ‖∇‖∞ from
 * 2.4e-6 to 7.9e-5, below 1e-5·‖θ‖∞ but never below a spec's 1e-7·‖θ‖∞, so such runs flowed on
 * until their step size collapsed and were judged "not converged" where float64 converged.
 */
export const FLOAT32_GRAD_TOL = 1e-5;

/** The gradient tolerance a run is held to: float32 runs never below FLOAT32_GRAD_TOL (0 stays off). */
export function gradTolFor(gradTol: number, float32: boolean): number {
  return float32 && gradTol > 0 ? Math.max(gradTol, FLOAT32_GRAD_TOL) : gradTol;
}

/**
 * The smallest weight-norm stationarity tolerance (relative change per check) a float32 run is held
 * to. At a minimum with nearly flat directions (λ_min ~1e-6 against λ_max ~1e3) the float32
 * gradient's noise moves a stiff solver's θ along them: measured on SwiftShader, the flow sweep's
 * r = 4 runs at their finite minimum drift by 2e-5 to 8.4e-5 per check where float64 rests, while
 * a channel entrance grows by 1e-3 to 1e-1 per check (benchmarks/results/cpu-stiff-flow-2026-11-23.md).
 */
export const FLOAT32_STATIONARY_TOL = 1e-4;

/** The stationarity tolerance a run is held to: float32 runs never below FLOAT32_STATIONARY_TOL. */
export function stationaryTolFor(stationaryTol: number, float32: boolean): number {
  return float32 ? Math.max(stationaryTol, FLOAT32_STATIONARY_TOL) : stationaryTol;
}

/**
 * A float64 gradient at or below this, relative to max(1, ‖θ‖∞), is rounding. On a manifold of
 * critical points (a saddle line, a plateau) a stiff solver's step size grows without bound, and its
 * steps of h times the rounding of ∇ move θ along the flat directions: the weight norm wanders with no
 * trend (on saddle-perturbation's saddle line, at ‖∇‖∞ ~1e-15, by ~1e-3 per 50 steps) and never looks
 * stationary. With huge steps the solver also arrives at an isolated minimum in Newton-like jumps, its
 * norm changing by tens of percent over the last interval (the flow sweep's r = 4 minima, ‖∇‖∞ 1e-14
 * to 3e-13). A gradient this small alone does not tell rest from a channel, whose gradient can dip as
 * low (r = 8 seed 58: 3e-11 at wn 677, ‖θ‖∞ in the hundreds): see LEVEL_OBJECTIVE_CHANGE.
 */
export const ROUNDING_GRADIENT = 1e-12;

/**
 * …so the scheduler also asks the objective L + R to be that flat (relative change over checkEvery
 * steps): along a channel it still descends, by at least 4e-10 per 100 steps in the flow sweep's
 * records before the barrier.
 */
export const LEVEL_OBJECTIVE_CHANGE = 1e-12;

export const DEFAULT_THRESHOLDS: Readonly<ClassificationThresholds> = Object.freeze({
  maxnorm: 1e3,
  barrierTolerance: 1e-2,
  cosine: 1e-2,
  equalInputs: 0.5,
  sharpeningGrowth: 0.1,
  tailShare: 0.1,
  openingShare: 0.1,
  openingImbalance: 0.25,
  openingParallel: 0.05,
  strictCosine: 1e-3,
  subspace: 0.9,
  gradTol: 1e-5,
  stationaryTol: 1e-5,
  negativeCurvatureTol: 1e-6,
  globalLossTol: 1e-8,
  duplicateL2: 1e-2,
  // float32's loss moves by ~1e-7 relative from its roundings alone; measured at rest, float64: 4e-9
  kinkRest: 1e-6,
});

export interface Classification {
  outcome: Outcome;
  /** set exactly when outcome is 'not-converged' */
  cause?: NotConvergedCause;
  /** a channel whose own pair also meets the strict cosine criterion (channelCosine < strictCosine; minCosine may belong to a closer same-sign pair) */
  channelStrict: boolean;
  reason: string;
  /** the evidence as given, plus what the verdict derived from it */
  evidence: RunEvidence & {
    thresholds: ClassificationThresholds;
    /** gradTol·max(1, thetaInf) */
    gradientTolerance: number;
    converged: boolean;
    atBarrier: boolean;
    /** weight norm above maxnorm·(1 + barrierTolerance): trained under another barrier, or none, than the one judged by */
    beyondBarrier: boolean;
    duplicatePair: boolean;
    /** null when the spectrum is not known */
    negativeCurvature: boolean | null;
  };
}

const fmt = (value: number): string => (Number.isFinite(value) ? value.toPrecision(3) : String(value));

/**
 * "At the norm barrier": weight norm above maxnorm·(1 − barrierTolerance). One definition for the
 * verdict, the scheduler's barrier stop and compare's "barrier reached".
 */
export function isAtBarrier(weightNorm: number, maxnorm: number, barrierTolerance: number = DEFAULT_THRESHOLDS.barrierTolerance): boolean {
  return weightNorm > maxnorm * (1 - barrierTolerance);
}

/** Whether sharpening or tail neurons (with any channel) carry more than `subspace` of the motion. */
function roadsCarry(roads: RunEvidence['roads'], t: ClassificationThresholds): boolean {
  return !!roads && roads.sharpening.length + roads.tails.length > 0 && roads.fraction !== null && roads.fraction > t.subspace;
}

/** Whether channels still opening (with any closed channel and other roads) carry more than `subspace` of the motion. */
function openingCarries(opening: RunEvidence['opening'], t: ClassificationThresholds): boolean {
  return !!opening && opening.groups.length > 0 && opening.fraction !== null && opening.fraction > t.subspace;
}

function describeSharpening(neurons: readonly SharpeningNeuron[]): string {
  return neurons
    .map((n) => `neuron ${n.neuron} of hidden layer ${n.layer + 1}: ‖ũ‖ ${fmt(n.inputNorm)}, outgoing ${n.outgoing.length === 1 ? fmt(n.outgoing[0]) : `‖·‖ ${fmt(Math.hypot(...n.outgoing))}`}, growth ${fmt(100 * n.growth)}% of ‖Δθ‖`)
    .join('; ');
}

function describeTails(neurons: readonly TailNeuron[]): string {
  return neurons
    .map((n) => `neuron ${n.neuron} of hidden layer ${n.layer + 1}: outgoing ‖o‖ ${fmt(n.outgoingNorm)}, Δlog‖o‖ ${fmt(n.logGrowth)} against bias change ${fmt(n.biasShift)}, ${fmt(100 * n.share)}% of ‖Δθ‖`)
    .join('; ');
}

/** How the reasons name closenessDistance for scalar input vectors (channels.ts). */
const SCALAR_CLOSENESS = 'distance ((wᵢ − wⱼ)/max|w|)²/2 (one input, no biases: every cosine distance is 0)';

function describeOpening(groups: readonly OpeningGroup[], t: ClassificationThresholds): string {
  const list = (values: readonly number[]) => values.map(fmt).join(', ');
  return groups
    .map(
      (g) =>
        `neurons ${g.members.join(', ')} of hidden layer ${g.layer + 1}: outgoing ${list(g.outgoing)} changing by ${list(g.outgoingChange)} (their sum by ${fmt(100 * g.imbalance)}% of that), ` +
        `closest input vectors at ${g.scalarInputs ? SCALAR_CLOSENESS : 'cosine distance'} ${fmt(g.closest)}${g.closestReflected ? ' with one reflected (ũ → −ũ)' : ''} ` +
        (g.closest >= t.cosine
          ? `(≥ ${fmt(t.cosine)})`
          : g.closestReflected
            ? `(< ${fmt(t.cosine)}, but the reflections' linear terms do not cancel among themselves)`
            : `(< ${fmt(t.cosine)}, but not equal: relative L2 distance ≥ ${fmt(t.equalInputs)})`),
    )
    .join('; ');
}

/** What a sharpening neuron tends to, in words (sharpening.ts sharpeningShape). */
function sharpeningLimit(activation: Activation): string {
  const shape = sharpeningShape(activation);
  return shape === 'kink+step' ? 'kink and a step' : (shape ?? 'kink');
}

export function classifyRun(evidence: RunEvidence, thresholds: Partial<ClassificationThresholds> = {}): Classification {
  const t: ClassificationThresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const scale = Math.max(1, evidence.thetaInf ?? Math.sqrt(2 * Math.max(0, evidence.weightNorm)));
  const gradientTolerance = t.gradTol * scale;
  // a run at a rounding-level gradient is at rest whatever its weight norm's last recorded interval
  // did (a wander along flat directions, or the Newton-like arrival of huge steps) where the
  // scheduler stopped it as converged, or where its loss was as level as the scheduler asks
  // (LEVEL_OBJECTIVE_CHANGE over at least checkEvery steps, float64): a run whose stop rule never
  // asks (gradTol 0, a fixed budget) wanders on a saddle line to the end, while along a channel the
  // loss still falls
  const levelLoss = evidence.levelDrift != null && Math.abs(evidence.levelDrift.relative) <= LEVEL_OBJECTIVE_CHANGE;
  const atRoundingRest = (evidence.stoppedBy === 'converged' || levelLoss) && evidence.gradInf <= ROUNDING_GRADIENT * scale;
  const stillMoving = evidence.normDrift != null && Math.abs(evidence.normDrift) > t.stationaryTol && !atRoundingRest;
  const converged = (evidence.stoppedBy === 'converged' || evidence.gradInf <= gradientTolerance) && !stillMoving;
  const atBarrier = isAtBarrier(evidence.weightNorm, t.maxnorm, t.barrierTolerance);
  const duplicatePair = evidence.duplicateCosine < t.strictCosine && evidence.duplicateL2 < t.duplicateL2;
  const lambdaMin = evidence.hessianMinEigenvalue;
  const negativeCurvature = lambdaMin === undefined ? null : lambdaMin < -t.negativeCurvatureTol * Math.max(1, Math.abs(evidence.hessianMaxEigenvalue ?? 1));
  const beyondBarrier = evidence.weightNorm > t.maxnorm * (1 + t.barrierTolerance);
  const derived = { ...evidence, thresholds: t, gradientTolerance, converged, atBarrier, beyondBarrier, duplicatePair, negativeCurvature };
  const verdict = (outcome: Outcome, reason: string, channelStrict = false): Classification => ({ outcome, channelStrict, reason, evidence: derived });
  const notConverged = (cause: NotConvergedCause, reason: string): Classification => ({ ...verdict('not-converged', reason), cause });
  const norm = `weightnorm ${fmt(evidence.weightNorm)}`;
  // the close pair's distance as the criterion measured it (scalar input vectors: by L2)
  const closeness = evidence.scalarInputs ? SCALAR_CLOSENESS : 'cosine distance';
  const barrier = beyondBarrier ? `${norm} beyond the barrier (maxnorm ${fmt(t.maxnorm)})` : `${norm} at the barrier (> ${fmt(t.maxnorm * (1 - t.barrierTolerance))})`;

  if (!evidence.finite || evidence.stoppedBy === 'diverged' || ![evidence.loss, evidence.weightNorm, evidence.gradInf].every(Number.isFinite)) {
    return verdict('diverged', `non-finite values (loss ${fmt(evidence.loss)}, ${norm}, ‖∇‖∞ ${fmt(evidence.gradInf)}; stopped by ${evidence.stoppedBy})`);
  }

  const closePair = evidence.minCosine < t.cosine;
  const inSubspace = evidence.channelFraction === null || evidence.channelFraction > t.subspace;
  if (atBarrier && evidence.activation !== 'relu' && closePair && evidence.pairSignsOpposite && inSubspace) {
    // (the channel's own pair: a closer pair of same-sign outgoing weights elsewhere is a duplicate, not the channel)
    const strict = evidence.channelCosine < t.strictCosine;
    // without a history only the gradient says whether the network rests where it is (an analytic
    // channel does not, nor a network checked on data it was not trained on): said, not decided on
    const restless = evidence.channelFraction === null && !converged ? `; not at rest: ‖∇‖∞ ${fmt(evidence.gradInf)} > ${fmt(gradientTolerance)} (gradTol·max(1, ‖θ‖∞)), so these data are not where it was trained to the barrier, or it was caught in flight` : '';
    const subspace =
      evidence.channelFraction === null ? `subspace criterion unchecked (no parameter history)${restless}` : `${fmt(100 * evidence.channelFraction)}% of ‖Δθ‖ along the channel`;
    const turned = evidence.orientedNeurons;
    const orientation = turned
      ? ` (neuron${turned.neurons.length > 1 ? 's' : ''} ${turned.neurons.join(', ')}${turned.layer > 0 ? ` of layer ${turned.layer + 1}` : ''} compared ${turned.kind === 'odd' ? `flipped, (ũ, o) → (−ũ, −o), the same neuron for the odd ${evidence.activation}` : `reflected, (ũ, o) → (−ũ, o), whose linear terms cancel for ${evidence.activation}`})`
      : '';
    return verdict(
      'channel',
      `${barrier}, its closest pair of opposite output weights at ${closeness} ${fmt(evidence.channelCosine)} < ${fmt(t.cosine)}` +
        `${strict ? ` (also < ${fmt(t.strictCosine)})` : ` (not < ${fmt(t.strictCosine)})`}${orientation}, ${subspace}`,
      strict,
    );
  }

  if (evidence.loss <= t.globalLossTol && evidence.realisable !== false) {
    return verdict('global-minimum', `loss ${fmt(evidence.loss)} ≤ ${fmt(t.globalLossTol)}${atBarrier ? ` (at ${norm})` : ''}`);
  }

  if (atBarrier) {
    if (evidence.activation === 'relu') {
      return notConverged('barrier-without-channel', `relu has no channels: large norm (${barrier}) without a finite limit`);
    }
    const roads = evidence.roads;
    if (roadsCarry(roads, t)) {
      const beside = closePair && evidence.pairSignsOpposite ? `, with a channel beside (its closest pair of opposite output weights at ${closeness} ${fmt(evidence.channelCosine)})` : '';
      const along = `${fmt(100 * roads!.fraction!)}% of ‖Δθ‖ along them${beside}`;
      if (roads!.sharpening.length > 0) {
        const tails = roads!.tails.length > 0 ? `; in an exponential tail: ${describeTails(roads!.tails)}` : '';
        return notConverged('sharpening', `${barrier}, sharpening towards a ${sharpeningLimit(evidence.activation)} rather than running along a channel: ${describeSharpening(roads!.sharpening)}${tails}; ${along}`);
      }
      return notConverged('exponential-tail', `${barrier}, moving along the exponential tail of ${evidence.activation} rather than a channel: ${describeTails(roads!.tails)}; ${along}`);
    }
    const opening = evidence.opening;
    if (openingCarries(opening, t)) {
      const closed = closePair && evidence.pairSignsOpposite ? `, a closed channel (its closest pair of opposite output weights at ${closeness} ${fmt(evidence.channelCosine)})` : '';
      const others = roads && roads.sharpening.length + roads.tails.length > 0 ? `, ${roads.sharpening.length} neuron(s) sharpening and ${roads.tails.length} in an exponential tail` : '';
      return notConverged(
        'channel-opening',
        `${barrier} on its way into a channel that has not closed: ${describeOpening(opening!.groups, t)}; ${fmt(100 * opening!.fraction!)}% of ‖Δθ‖ along them${closed}${others}; ` +
          'the barrier stopped it first (a higher maxnorm shows whether it closes)',
      );
    }
    const missing: string[] = [];
    const parallel = evidence.parallelPair;
    if (!closePair && parallel && parallel.cosine < t.cosine && parallel.relativeL2 >= t.equalInputs) {
      missing.push(`no close pair of equal neurons: the closest pair by cosine (${fmt(parallel.cosine)}) is parallel but not equal (relative L2 distance ${fmt(parallel.relativeL2)} ≥ ${fmt(t.equalInputs)})`);
    } else if (!closePair && Number.isFinite(evidence.minCosine)) {
      missing.push(`no close pair (the closest pair of equal neurons at ${closeness} ${fmt(evidence.minCosine)} ≥ ${fmt(t.cosine)})`);
    } else if (!closePair) missing.push(`no close pair (min cosine distance ${fmt(parallel?.cosine ?? evidence.minCosine)} ≥ ${fmt(t.cosine)})`);
    else if (!evidence.pairSignsOpposite) missing.push('the close neurons\' output weights have the same sign');
    if (!inSubspace) missing.push(`only ${fmt(100 * (evidence.channelFraction ?? 0))}% of ‖Δθ‖ along the channel (≤ ${fmt(100 * t.subspace)}%)`);
    if (roads && roads.fraction !== null) {
      missing.push(
        `${roads.sharpening.length} neuron(s) sharpening and ${roads.tails.length} in an exponential tail, but only ${fmt(100 * roads.fraction)}% of ‖Δθ‖ along them` +
          `${closePair && evidence.pairSignsOpposite ? ' and the channel' : ''} (≤ ${fmt(100 * t.subspace)}%)`,
      );
    }
    if (opening && opening.groups.length > 0 && opening.fraction !== null) {
      const groups = opening.groups.map((g) => `neurons ${g.members.join(', ')}`).join('; ');
      missing.push(`a channel opening (${groups} of their layer: outgoing weights growing apart), but only ${fmt(100 * opening.fraction)}% of ‖Δθ‖ along it and the roads above (≤ ${fmt(100 * t.subspace)}%)`);
    }
    return notConverged('barrier-without-channel', `${barrier} without the channel signature: ${missing.join('; ')}`);
  }

  const channelAhead = closePair && evidence.pairSignsOpposite && evidence.activation !== 'relu';
  const entrance = channelAhead
    ? `; a close pair (${closeness} ${fmt(evidence.channelCosine)}) with opposite output weights at finite norm: possibly a channel entrance where the optimiser stalled`
    : '';
  const roadAhead = evidence.activation !== 'relu' && roadsCarry(evidence.roads, t) ? evidence.roads! : null;
  const openingAhead = evidence.activation !== 'relu' && openingCarries(evidence.opening, t) ? evidence.opening! : null;
  const drift = evidence.lossDrift;
  const patience = evidence.patience;
  // gradient flow only descends: a loss that fell by no more than kinkRest, or rose (the solver
  // chattering across the kink), is a loss at rest; so is one that patience found not improving by
  // as much over its window (the window can be longer than the last recorded interval, which a
  // log-spaced trajectory makes long late in a run)
  const restingByPatience = patience && evidence.stoppedBy === 'patience' && patience.minImprovement <= t.kinkRest;
  if (!converged && evidence.activation === 'relu' && ((drift && drift.relative >= -t.kinkRest) || restingByPatience)) {
    const rest = restingByPatience
      ? `the loss (with the barrier) did not improve by ${fmt(patience.minImprovement)} (relative, ≤ ${fmt(t.kinkRest)}) over its last ${patience.steps} steps`
      : `the loss ${drift!.relative > 0 ? `rose by ${fmt(drift!.relative)} (relative; the flow only descends: the solver chatters across the kink)` : `fell by ${fmt(-drift!.relative)} (relative, ≤ ${fmt(t.kinkRest)})`} from step ${drift!.from} to ${drift!.to}`;
    return notConverged(
      'kink-rest',
      `relu at rest on a kink: ${rest}, ` +
        `while ‖∇‖∞ ${fmt(evidence.gradInf)} > ${fmt(gradientTolerance)} (at a kink the gradient does not vanish), stopped by ${evidence.stoppedBy}, ${norm}`,
    );
  }
  if (!converged && stillMoving) {
    return notConverged(
      'still-moving',
      `still moving: the weight norm changed by ${fmt(100 * evidence.normDrift!)}% over the last recorded interval (by more than ${fmt(100 * t.stationaryTol)}% either way), ` +
        `‖∇‖∞ ${fmt(evidence.gradInf)}, stopped by ${evidence.stoppedBy}, ${norm}` +
        (channelAhead ? `; a close pair (${closeness} ${fmt(evidence.channelCosine)}) with opposite output weights: on its way along a channel` : '') +
        (!channelAhead && openingAhead ? `; ${describeOpening(openingAhead.groups, t)} (${fmt(100 * openingAhead.fraction!)}% of ‖Δθ‖ along them): on its way into a channel` : '') +
        (!roadAhead
          ? ''
          : roadAhead.sharpening.length > 0
            ? `; ${roadAhead.sharpening.length} neuron(s) sharpening (${fmt(100 * roadAhead.fraction!)}% of ‖Δθ‖ along them): on its way to a ${sharpeningLimit(evidence.activation)}`
            : `; ${roadAhead.tails.length} neuron(s) in an exponential tail (${fmt(100 * roadAhead.fraction!)}% of ‖Δθ‖ along them): on its way out along the tail`),
    );
  }
  if (!converged) {
    return notConverged(
      'gradient-not-small',
      `‖∇‖∞ ${fmt(evidence.gradInf)} > ${fmt(gradientTolerance)} (gradTol·max(1, ‖θ‖∞)), stopped by ${evidence.stoppedBy}, ${norm}${entrance}`,
    );
  }
  if (duplicatePair) {
    return verdict(
      'plateau-saddle',
      `two neurons with identical input vectors (relative L2 ${fmt(evidence.duplicateL2)} < ${fmt(t.duplicateL2)}, cosine ${fmt(evidence.duplicateCosine)} < ${fmt(t.strictCosine)}) at finite ${norm}, converged`,
    );
  }
  if (negativeCurvature) {
    return notConverged(
      'saddle',
      `saddle: gradient ≈ 0 but λ_min ${fmt(lambdaMin!)} < −${fmt(t.negativeCurvatureTol)}·max(1, λ_max ${fmt(evidence.hessianMaxEigenvalue ?? NaN)}); not on a saddle line (no duplicate pair)`,
    );
  }
  const spectrum = negativeCurvature === null ? 'Hessian spectrum unknown' : `λ_min ${fmt(lambdaMin!)} ≥ −tolerance`;
  return verdict('finite-minimum', `${norm} ≤ ${fmt(t.maxnorm * (1 - t.barrierTolerance))} (short of the barrier), ‖∇‖∞ ${fmt(evidence.gradInf)} ≤ ${fmt(gradientTolerance)}, ${spectrum}${entrance}`);
}

export interface RunFacts {
  loss: number;
  gradInf: number;
  stoppedBy: string;
  /** default: every θ entry, the loss and gradInf are finite */
  finite?: boolean;
  /** recent parameter vectors (oldest first) for the subspace criterion and the weight norm's drift */
  thetaHistory?: ArrayLike<number>[];
  /** the step of each of thetaHistory, and the run's check interval: the drift is then measured over at least one check (weightNormDrift) */
  historySteps?: readonly number[];
  checkEvery?: number;
  /** overrides the drift computed from thetaHistory (null: unknown, e.g. after a polish) */
  normDrift?: number | null;
  /** the loss's change over the last recorded interval (RunEvidence.lossDrift) */
  lossDrift?: RunEvidence['lossDrift'];
  /** the loss's change over at least checkEvery steps, float64 runs (RunEvidence.levelDrift) */
  levelDrift?: RunEvidence['levelDrift'];
  /** the patience rule that stopped the run (RunEvidence.patience) */
  patience?: RunEvidence['patience'];
  subspaceOptions?: SubspaceOptions;
  hessianMinEigenvalue?: number;
  hessianMaxEigenvalue?: number;
  realisable?: boolean;
}

/**
 * The evidence for classifyRun from a network's final parameters and its run facts.
 *   minCosine: smallest cosine distance over all hidden layers (closestPairs).
 *   channel group: among neuronGroups(θ, thresholds.cosine) (all layers), the group with outgoing
 *     weights of both signs and the largest Σ|s_j|; if no group has mixed signs, the one with the
 *     largest Σ|s_j| (pairSignsOpposite = false). channelFraction: in the span of the subspaces of
 *     every mixed-sign group (several channels at once share the motion), else of that group.
 *   duplicate pair: over all layers, the pair with the smallest relative L2 distance.
 *   odd activations (erf, tanh): neurons are first oriented up to the sign symmetry σ(−z) = −σ(z)
 *     (oddSymmetryFlips), so a pair with ũᵢ ≈ −ũⱼ and equal large output weights counts as the
 *     channel it is.
 */
export function evidenceFromNetwork(
  arch: Architecture,
  theta: ArrayLike<number>,
  facts: RunFacts,
  thresholds: Partial<ClassificationThresholds> = {},
): RunEvidence & { channelGroup: NeuronGroup | null } {
  checkTheta(arch, theta);
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  let thetaInf = 0;
  let thetaFinite = true;
  for (let k = 0; k < theta.length; k++) {
    if (!Number.isFinite(theta[k])) thetaFinite = false;
    thetaInf = Math.max(thetaInf, Math.abs(theta[k]));
  }
  const finite = facts.finite ?? (thetaFinite && Number.isFinite(facts.loss) && Number.isFinite(facts.gradInf));
  const base = {
    weightNorm: weightNormOf(theta),
    gradInf: facts.gradInf,
    thetaInf,
    loss: facts.loss,
    finite,
    stoppedBy: facts.stoppedBy,
    normDrift: facts.normDrift !== undefined ? facts.normDrift : weightNormDrift(facts.thetaHistory, facts.historySteps, facts.checkEvery),
    ...(facts.lossDrift !== undefined ? { lossDrift: facts.lossDrift } : {}),
    ...(facts.levelDrift !== undefined ? { levelDrift: facts.levelDrift } : {}),
    ...(facts.patience !== undefined ? { patience: facts.patience } : {}),
    activation: arch.activation,
    ...(facts.hessianMinEigenvalue !== undefined ? { hessianMinEigenvalue: facts.hessianMinEigenvalue } : {}),
    ...(facts.hessianMaxEigenvalue !== undefined ? { hessianMaxEigenvalue: facts.hessianMaxEigenvalue } : {}),
    ...(facts.realisable !== undefined ? { realisable: facts.realisable } : {}),
  };
  if (!thetaFinite) {
    return { ...base, minCosine: NaN, pairSignsOpposite: false, channelCosine: NaN, channelFraction: null, duplicateL2: NaN, duplicateCosine: NaN, channelGroup: null };
  }
  // neurons are compared up to the activation's symmetry: odd σ's (ũ, o) → (−ũ, −o), which leaves f
  // unchanged, or softplus/gelu's reflection (ũ, o) → (−ũ, o) where the reflected neurons' linear
  // terms cancel (symmetryOrientation)
  const symmetry = symmetryOrientation(arch, theta);
  const oriented = symmetry ? symmetry.orient(theta) : theta;
  const history = symmetry ? facts.thetaHistory?.map((past) => symmetry.orient(past)) : facts.thetaHistory;
  const pair = pairEvidence(arch, oriented, history, facts.subspaceOptions, t);
  // the channel's neurons compared flipped or reflected: said in its verdict, since the raw θ shows
  // them antiparallel (with same-sign output weights, for an odd σ)
  const turned = symmetry && pair.channelGroup ? pair.channelGroup.members.filter((member) => symmetry.flips[pair.channelGroup!.layer]?.[member]) : [];
  return { ...base, ...pair, ...(turned.length > 0 ? { orientedNeurons: { kind: symmetry!.kind, layer: pair.channelGroup!.layer, neurons: turned } } : {}) };
}

/**
 * (wn − wn_before)/wn from a history's earlier vector to its last; null with fewer than two. The
 * earlier one is the one before the last, or, where the steps of the vectors are known, the latest
 * at least `checkEvery` steps before the last (else the oldest), as the scheduler's stop rule looks
 * back: the history also keeps the parameters at trajectory points, which can fall a few steps
 * before a check, and a drift over a few steps reads as rest where the run still moves.
 */
export function weightNormDrift(history: ArrayLike<number>[] | undefined, steps?: readonly number[], checkEvery?: number): number | null {
  if (!history || history.length < 2) return null;
  const last = history.length - 1;
  let from = last - 1;
  // (a final θ recorded again at its own step: the scheduler's word that the run rested there, a
  // float32 flow at its gradient floor; its drift is that rest's, 0)
  if (steps && steps.length === history.length && checkEvery !== undefined && checkEvery > 1 && steps[last] !== steps[last - 1]) {
    from = 0;
    for (let k = last - 1; k > 0; k--) {
      if (steps[last] - steps[k] >= checkEvery) {
        from = k;
        break;
      }
    }
  }
  const now = weightNormOf(history[last]);
  const before = weightNormOf(history[from]);
  return now > 0 ? (now - before) / now : null;
}

function pairEvidence(
  arch: Architecture,
  theta: ArrayLike<number>,
  thetaHistory: ArrayLike<number>[] | undefined,
  subspaceOptions: SubspaceOptions | undefined,
  t: ClassificationThresholds,
): Pick<RunEvidence, 'minCosine' | 'scalarInputs' | 'parallelPair' | 'roads' | 'opening' | 'pairSignsOpposite' | 'channelCosine' | 'channelFraction' | 'duplicateL2' | 'duplicateCosine'> & { channelGroup: NeuronGroup | null } {
  const equalPair = closestEqualPair(arch, theta, t.equalInputs);
  const minCosine = equalPair?.distance ?? Infinity;
  const scalarInputs = equalPair !== null && hasScalarInputs(arch, equalPair.layer);
  let parallelPair: RunEvidence['parallelPair'];
  let duplicateL2 = Infinity;
  let duplicateCosine = Infinity;
  for (const entry of closestPairs(arch, theta)) {
    if (entry.cosine && (!parallelPair || entry.cosine.distance < parallelPair.cosine)) {
      const vectors = layerInputVectors(arch, theta, entry.layer);
      parallelPair = { cosine: entry.cosine.distance, relativeL2: relativeL2Distance(vectors[entry.cosine.i], vectors[entry.cosine.j]) };
    }
    if (entry.relativeL2 && entry.relativeL2.distance < duplicateL2) {
      duplicateL2 = entry.relativeL2.distance;
      const vectors = layerInputVectors(arch, theta, entry.layer);
      duplicateCosine = cosineDistance(vectors[entry.relativeL2.i], vectors[entry.relativeL2.j]);
    }
  }
  let channelGroup: NeuronGroup | null = null;
  const groups = neuronGroups(arch, theta, t.cosine, { relativeL2: t.equalInputs });
  for (const group of groups) {
    const better =
      !channelGroup ||
      (group.mixedSigns && !channelGroup.mixedSigns) ||
      (group.mixedSigns === channelGroup.mixedSigns && group.sumAbsOutgoing > channelGroup.sumAbsOutgoing);
    if (better) channelGroup = group;
  }
  // several pairs can run out along their channels at once, sharing the motion: measure it in the
  // span of every mixed-sign group's subspace
  const channelGroups = channelGroup?.mixedSigns ? groups.filter((group) => group.mixedSigns) : channelGroup ? [channelGroup] : [];
  const channelFraction =
    channelGroups.length > 0 && thetaHistory && thetaHistory.length >= 2 ? channelSubspaceFraction(arch, thetaHistory, channelGroups, subspaceOptions) : null;
  let roads: RunEvidence['roads'];
  let opening: RunEvidence['opening'];
  if (thetaHistory && thetaHistory.length >= 2) {
    const mixedGroups = channelGroups.filter((group) => group.mixedSigns);
    const inChannel = (layer: number, neuron: number) => mixedGroups.some((group) => group.layer === layer && group.members.includes(neuron));
    const sharpening = sharpeningNeurons(arch, thetaHistory, t.sharpeningGrowth, subspaceOptions ?? {}).filter((n) => !inChannel(n.layer, n.neuron));
    const sharpens = (layer: number, neuron: number) => sharpening.some((n) => n.layer === layer && n.neuron === neuron);
    const tails = tailNeurons(arch, thetaHistory, t.tailShare, undefined, subspaceOptions ?? {}).filter((n) => !inChannel(n.layer, n.neuron) && !sharpens(n.layer, n.neuron));
    const spans = [...mixedGroups, ...sharpening.map((n) => ({ layer: n.layer, members: [n.neuron] }))];
    const coordinates = tails.flatMap((n) => tailCoordinates(arch, n));
    const fraction = sharpening.length + tails.length > 0 ? channelSubspaceFraction(arch, thetaHistory, spans, { ...subspaceOptions, coordinates }) : null;
    roads = { sharpening, tails, fraction };
    const groups = openingGroups(arch, thetaHistory, { minShare: t.openingShare, imbalance: t.openingImbalance, parallel: t.openingParallel, exclude: inChannel, ...subspaceOptions });
    // each member on its own: a reflected pair's input vectors point opposite ways, and their mean has no direction
    const members = groups.flatMap((group) => group.members.map((neuron) => ({ layer: group.layer, members: [neuron] })));
    opening = { groups, fraction: groups.length > 0 ? channelSubspaceFraction(arch, thetaHistory, [...spans, ...members], { ...subspaceOptions, coordinates }) : null };
  }
  return {
    minCosine,
    ...(scalarInputs ? { scalarInputs } : {}),
    ...(parallelPair ? { parallelPair } : {}),
    ...(roads ? { roads } : {}),
    ...(opening ? { opening } : {}),
    pairSignsOpposite: channelGroup?.mixedSigns ?? false,
    // the channel group's own (the pair its GLU and reach are measured on); its smallest distance where no edge joins opposite signs
    channelCosine: channelGroup?.mixedSigns ? (Number.isFinite(channelGroup.mixedCosine) ? channelGroup.mixedCosine : channelGroup.minCosine) : Infinity,
    channelFraction,
    duplicateL2,
    duplicateCosine,
    channelGroup,
  };
}
