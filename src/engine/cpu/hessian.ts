// The exact Hessian of L + R for a one-hidden-layer network in ONE pass over the samples, float64.
// The stiff solver needs the whole matrix every step; assembling it from P Hessian-vector products
// repeats the forward pass and the activations P times and costs ~P·(10P) flops per sample, while
// the closed form below costs ~P²/2: for the paper's d = 2, r = 4…8 networks about 10× less.
//
// f(x) = Σⱼ aⱼσ(zⱼ) + c, zⱼ = uⱼ·x̃ with uⱼ = (wⱼ, bⱼ) and x̃ = (x, 1) (no 1 without biases).
// L = (1/N)Σₙ rₙ², rₙ = f(xₙ) − yₙ, so ∇²L = (2/N)Σₙ (JₙJₙᵀ + rₙ∇²fₙ) with
//   ∂f/∂uⱼ = aⱼσ′(zⱼ)x̃,  ∂f/∂aⱼ = σ(zⱼ),  ∂f/∂c = 1,
//   ∂²f/∂uⱼ∂uⱼ = aⱼσ″(zⱼ)x̃x̃ᵀ,  ∂²f/∂uⱼ∂aⱼ = σ′(zⱼ)x̃  (every other second derivative is 0).
// The barrier R = (wn − maxnorm)³/3, wn = Σθ²/(2P), adds R″/P²·θθᵀ + R′/P·I.
// Plain float64 sums: the matrix is the solver's Jacobian, whose rounding only perturbs the step
// (the loss and gradient, which decide where a run goes, keep their compensated sums).
import type { Dataset } from '../../data/dataset.js';
import { activationFunctions } from '../../model/activations.js';
import { parameterLayout, type Architecture } from '../../model/architecture.js';
import { barrierTerms } from '../engine.js';

/** Whether networkHessian handles this architecture (one hidden layer); deeper nets assemble P HVPs. */
export function hasClosedFormHessian(arch: Architecture): boolean {
  return arch.hidden.length === 1;
}

/**
 * Writes ∇²(L + R) at θ (row-major P×P, symmetric) into `out` for dataset `datasetIndex` of `data`.
 * One hidden layer only (hasClosedFormHessian).
 */
export function networkHessian(arch: Architecture, data: Dataset, datasetIndex: number, theta: Float64Array, maxnorm: number, out: Float64Array): void {
  if (!hasClosedFormHessian(arch)) throw new RangeError('the closed-form Hessian handles one hidden layer; use Hessian-vector products');
  const layout = parameterLayout(arch);
  const P = layout.count;
  if (theta.length !== P || out.length !== P * P) throw new RangeError(`expected ${P} parameters and a ${P}×${P} matrix`);
  const [hidden, output] = layout.layers;
  const d = arch.inputDim;
  const r = hidden.fanOut;
  const inputLength = d + (arch.biases ? 1 : 0);
  const activation = activationFunctions(arch.activation);
  const derivatives = new Float64Array(4);

  // index of entry t of neuron j's input vector ũⱼ = (wⱼ, bⱼ) in θ
  const inputIndex = new Int32Array(r * inputLength);
  for (let j = 0; j < r; j++) {
    for (let t = 0; t < d; t++) inputIndex[j * inputLength + t] = hidden.weightOffset + j * d + t;
    if (arch.biases) inputIndex[j * inputLength + d] = hidden.biasOffset + j;
  }
  const outputIndex = (j: number) => output.weightOffset + j;

  const jacobian = new Float64Array(P);
  const xTilde = new Float64Array(inputLength);
  const slope = new Float64Array(r);
  const curvature = new Float64Array(r);
  out.fill(0);
  const N = data.samples;
  for (let n = 0; n < N; n++) {
    const sample = datasetIndex * N + n;
    for (let t = 0; t < d; t++) xTilde[t] = data.x[sample * d + t];
    if (arch.biases) xTilde[d] = 1;
    let f = arch.biases ? theta[output.biasOffset] : 0;
    for (let j = 0; j < r; j++) {
      let z = 0;
      for (let t = 0; t < inputLength; t++) z += theta[inputIndex[j * inputLength + t]] * xTilde[t];
      activation.evaluate(z, derivatives);
      const a = theta[outputIndex(j)];
      f += a * derivatives[0];
      slope[j] = derivatives[1];
      curvature[j] = derivatives[2];
      jacobian[outputIndex(j)] = derivatives[0];
      for (let t = 0; t < inputLength; t++) jacobian[inputIndex[j * inputLength + t]] = a * derivatives[1] * xTilde[t];
    }
    if (arch.biases) jacobian[output.biasOffset] = 1;
    const residual = f - data.y[sample];

    // Gauss–Newton part JJᵀ (upper triangle; mirrored at the end)
    for (let k = 0; k < P; k++) {
      const jk = jacobian[k];
      if (jk === 0) continue;
      const row = k * P;
      for (let l = k; l < P; l++) out[row + l] += jk * jacobian[l];
    }
    // residual times f's own second derivatives: per neuron, the ũũ block and the ũ–a column
    for (let j = 0; j < r; j++) {
      const a = theta[outputIndex(j)];
      const blockScale = residual * a * curvature[j];
      const crossScale = residual * slope[j];
      const aIndex = outputIndex(j);
      for (let s = 0; s < inputLength; s++) {
        const ks = inputIndex[j * inputLength + s];
        for (let t = 0; t < inputLength; t++) {
          const kt = inputIndex[j * inputLength + t];
          if (kt >= ks) out[ks * P + kt] += blockScale * xTilde[s] * xTilde[t];
        }
        // ũ entries precede the output weights in the layout, so (ks, aIndex) is in the upper triangle
        out[ks * P + aIndex] += crossScale * xTilde[s];
      }
    }
  }

  let squares = 0;
  for (let k = 0; k < P; k++) squares += theta[k] * theta[k];
  const barrier = barrierTerms(squares / (2 * P), maxnorm);
  const scale = 2 / N;
  for (let k = 0; k < P; k++) {
    for (let l = k; l < P; l++) {
      let value = scale * out[k * P + l] + (barrier.curvature / (P * P)) * theta[k] * theta[l];
      if (k === l) value += barrier.slope / P;
      out[k * P + l] = value;
      out[l * P + k] = value;
    }
  }
}
