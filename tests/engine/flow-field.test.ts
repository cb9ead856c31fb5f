// affineNetworkObjective (src/engine/cpu/flow-field.ts): L + R on the affine set θ = θ₀ + M·y, as a
// function of y. Its gradient Mᵀ∇ against finite differences of its value, its HVPs MᵀHMv and its
// dense MᵀHM against finite differences of its gradient.
import { describe, expect, it } from 'vitest';
import { affineNetworkObjective } from '../../src/engine/cpu/flow-field.js';
import { parameterCount, type Architecture } from '../../src/model/architecture.js';
import { makeRandom, normalArray, randomDataset } from '../helpers/random.js';

/**
 * Fourth-order central difference of a function of one variable at 0:
 * (−f(2h) + 8f(h) − 8f(−h) + f(−2h)) / 12h, truncation error h⁴|f⁽⁵⁾|/30.
 */
function derivative(f: (t: number) => number, h: number): number {
  return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h);
}

// h = 1e-3: the truncation h⁴|f⁽⁵⁾|/30 is ~3e-14·|f⁽⁵⁾|, the rounding ~1.5·u·|f|/h ≈ 2e-13·|f|.
// Each entry is checked against the largest entry of the exact vector (matrix) at 1e-8. Measured
// here: 1.6e-12 (gradient), 2.1e-11 (HVP), 6.2e-13 (dense); at other random points of the same
// networks up to 1.9e-9 (HVP, two-layer tanh, barrier active, where f⁽⁵⁾ is largest). A wrong
// projection (M for Mᵀ), a lost barrier term (7e-3 to 1.7e-2 of the gradient here) or an HVP along
// v instead of M·v is off by far more.
const H = 1e-3;
const TOLERANCE = 1e-8;

const ARCHITECTURES: Architecture[] = [
  { inputDim: 2, hidden: [4], activation: 'softplus', biases: true },
  { inputDim: 2, hidden: [3, 2], activation: 'tanh', biases: true },
];

function maxAbs(values: ArrayLike<number>): number {
  let largest = 0;
  for (let k = 0; k < values.length; k++) largest = Math.max(largest, Math.abs(values[k]));
  return largest;
}

describe('affineNetworkObjective', () => {
  for (const arch of ARCHITECTURES) {
    for (const barrier of [false, true]) {
      it(`gradient and HVPs are the derivatives of its value: hidden [${arch.hidden}], barrier ${barrier ? 'active' : 'off'}`, () => {
        const random = makeRandom(5);
        const P = parameterCount(arch);
        const Q = P - 2; // a proper subspace: the projection matters
        const data = randomDataset(random, arch.inputDim, 30);
        const theta0 = normalArray(random, P, 0.8);
        const basis = { matrix: normalArray(random, P * Q, 1 / Math.sqrt(P)), columns: Q };
        // barrier R = (wn − maxnorm)³/3 with wn = Σθ²/2P: a maxnorm at a quarter of θ₀'s wn makes it active throughout
        const wn = theta0.reduce((sum, t) => sum + t * t, 0) / (2 * P);
        const maxnorm = barrier ? 0.25 * wn : Infinity;
        const objective = affineNetworkObjective(arch, data, theta0, basis, { maxnorm });
        const y = normalArray(random, Q, 0.3);
        expect(Array.from(objective.theta(new Float64Array(Q)))).toEqual(Array.from(theta0));

        // value → gradient, coordinate by coordinate
        const gradient = objective.gradient(y);
        expect(gradient).toHaveLength(Q);
        const gradientScale = maxAbs(gradient);
        for (let q = 0; q < Q; q++) {
          const difference = derivative((t) => objective.value(y.map((value, k) => (k === q ? value + t : value))), H);
          expect(Math.abs(difference - gradient[q]), `∂/∂y${q}`).toBeLessThanOrEqual(TOLERANCE * gradientScale);
        }

        // gradient → HVP, along random directions
        for (let trial = 0; trial < 3; trial++) {
          const v = normalArray(random, Q);
          const hvp = objective.hvp(y, v);
          expect(hvp).toHaveLength(Q);
          const scale = maxAbs(hvp);
          for (let q = 0; q < Q; q++) {
            const difference = derivative((t) => objective.gradient(y.map((value, k) => value + t * v[k]))[q], H);
            expect(Math.abs(difference - hvp[q]), `(MᵀHMv)${q}, direction ${trial}`).toBeLessThanOrEqual(TOLERANCE * scale);
          }
        }

        // gradient → the dense MᵀHM, column by column
        const hessian = objective.hessian!(y);
        const hessianScale = maxAbs(hessian);
        for (let column = 0; column < Q; column++) {
          const difference = (row: number) => derivative((t) => objective.gradient(y.map((value, k) => (k === column ? value + t : value)))[row], H);
          for (let row = 0; row < Q; row++) {
            expect(Math.abs(difference(row) - hessian[row * Q + column]), `(MᵀHM)${row},${column}`).toBeLessThanOrEqual(TOLERANCE * hessianScale);
          }
        }
      });
    }
  }
});
