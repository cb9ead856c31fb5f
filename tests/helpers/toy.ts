// The paper's 1-D toy problem for channels (science.md, "Data" and "Why gradient flow needs a
// stiff integrator"): two erf neurons without biases, f(x) = a₁·erf(w₁x/√2) + a₂·erf(w₂x/√2), fitted
// to the teacher y = erf((5x−2.5)/√2) + erf((5x+2.5)/√2) on x ~ N(0, 1). Gradient flow from near the
// channel entrance drives w₁ − w₂ → 0 with a₁ → +∞, a₂ → −∞ (or the reverse), out to the barrier;
// an explicit integrator stalls near the entrance.
//
// Parameter layout (parameterLayout of TOY_ARCHITECTURE): θ = [w₁, w₂, a₁, a₂]. A fixture of the
// stiff-integrator tests; the toy-1d preset builds the same problem from its spec (data/teachers.ts toy1d).
import type { Dataset } from '../../src/data/dataset.js';
import { RandomStream, STREAMS } from '../../src/numerics/rng.js';
import { toy1d } from '../../src/data/teachers.js';
import type { Architecture } from '../../src/model/architecture.js';

export const TOY_ARCHITECTURE: Architecture = { inputDim: 1, hidden: [2], activation: 'erf', biases: false };
export const TOY_SAMPLES = 4096;

/**
 * The toy dataset: N standard-normal inputs from the Philox stream (seed, run 0, STREAMS.inputs)
 * — the same draws as normalInputs(N, 1, seed) — and the toy teacher's targets.
 */
export function toyDataset(samples = TOY_SAMPLES, seed = 1): Dataset {
  const x = new RandomStream(seed, 0, STREAMS.inputs).fillNormal(new Float64Array(samples));
  const y = Float64Array.from(x, toy1d);
  return { inputDim: 1, samples, count: 1, x, y };
}

/**
 * A starting point near the channel entrance: θ = [2.25, 0.75, 3, −2], i.e. w₁,₂ = w·(1 ± ½) with
 * w = 1.5 (ε = 0.75, 1/ε ≈ 1.33), output weights of opposite sign and moderate size (c = 1,
 * a = 3.75); loss 0.276 (the targets' mean square is 2.16).
 *
 * How it was chosen: by hand, as the configuration of a pair at a channel's entrance — input weights
 * of the same sign and order 1, output weights of opposite signs — then checked by integrating the
 * flow (N = 4096, seed 1, rtol 1e-3, atol 1e-6). The flow relaxes the fast directions by t ≈ 20
 * (loss 0.0436, 1/ε ≈ 2.8, λ_max(H) ≈ 4.5) and then follows the channel: the pair tends to the
 * gated linear unit c·σ(wx) + a·x·σ′(wx) with w ≈ 0.858, c ≈ 1.658, a ≈ 1.51 while the loss creeps
 * down to 0.04273, ε shrinks, a₁ − a₂ = a/ε grows and λ_max grows like 1/ε² (≈ 2.5e3 at 1/ε ≈ 82).
 * The norm barrier ends it where weightnorm ≈ (a/ε)²/16 reaches maxnorm: 1/ε ≈ 84–89 for the
 * default maxnorm 1e3, ≈ 280 for 1e4. An explicit integrator is held at h ≈ 3.3/λ_max from the
 * entrance on, and stays at 1/ε ≈ 3 for any affordable budget.
 */
export function toyStart(): Float64Array {
  const w = 1.5;
  const s = 0.5;
  return Float64Array.from([w * (1 + s), w * (1 - s), 3, -2]);
}

/** The toy pair in channel coordinates (science.md, "The phenomenon"); 1/ε says how far a run got. */
export interface ToyPairCoordinates {
  /** mean input weight (w₁ + w₂)/2 */
  w: number;
  /** half the distance |w₁ − w₂|/2 */
  epsilon: number;
  /** 1/ε: how far along the channel (Infinity at ε = 0) */
  inverseEpsilon: number;
  /** Δ = sign(w₁ − w₂) (±1; +1 when equal) */
  delta: number;
  /** c = a₁ + a₂ */
  c: number;
  /** a = ε·(a₁ − a₂)·Δ: with w₁,₂ = w ± εΔ the pair computes ≈ c·σ(wx) + a·(Δx)·σ′(wx) */
  a: number;
}

/**
 * Channel coordinates of the toy's pair from θ = [w₁, w₂, a₁, a₂]: w = (w₁+w₂)/2, ε = |w₁−w₂|/2,
 * c = a₁+a₂, a = ε(a₁−a₂) (with the sign convention that neuron 1 sits at w + εΔ).
 */
export function toyPairCoordinates(theta: ArrayLike<number>): ToyPairCoordinates {
  if (theta.length !== 4) throw new RangeError(`the toy network has 4 parameters, got ${theta.length}`);
  const [w1, w2, a1, a2] = [theta[0], theta[1], theta[2], theta[3]];
  const epsilon = Math.abs(w1 - w2) / 2;
  const delta = w1 >= w2 ? 1 : -1;
  return { w: (w1 + w2) / 2, epsilon, inverseEpsilon: 1 / epsilon, delta, c: a1 + a2, a: epsilon * (a1 - a2) };
}
