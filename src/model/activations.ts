// Activations in float64 with value and derivatives up to third order (the channel analysis needs
// σ″ and σ‴ for the gated-linear-unit terms). Near a channel the pair's output weights are large
// and cancel, so every rounding error in σ is amplified: everything here keeps ~1e-14 relative
// accuracy, including the tails, and never overflows for large |x|.
import { ACTIVATIONS, type Activation } from './architecture.js';

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = 0.7978845608028654;
const INV_SQRT_2PI = 0.3989422804014327;
/** Veltkamp splitting constant 2²⁷ + 1: splits a double into two 26-bit halves */
const SPLITTER = 134217729;

/**
 * exp(−c·x²) for c a power of two (1 or ½ here). x² is split exactly into hi + lo (Dekker) so the
 * rounding of x² — which exp would amplify by c·x², i.e. by hundreds in the tails — is corrected.
 */
function expNegScaledSquare(x: number, c: number): number {
  const hi = x * x;
  if (c * hi > 746) return 0; // exp underflows (also keeps the splitting below from overflowing)
  const scaled = SPLITTER * x;
  const xh = scaled - (scaled - x);
  const xl = x - xh;
  const lo = xh * xh - hi + 2 * xh * xl + xl * xl;
  return Math.exp(-c * hi) * (1 - c * lo);
}

/**
 * 1/(z + 1 − 1·2/(z + 5 − 3·4/(z + 9 − …))), the even contraction of Laplace's continued fraction
 * for the Mills ratio: (1 − Φ(t))/φ(t) = t·millsFraction(t²). Modified Lentz; converges in about
 * 100 terms at z = 2 and faster beyond, so callers use it only for z ≥ 2.
 */
function millsFraction(z: number): number {
  const TINY = 1e-300;
  let f = z + 1;
  let c = f;
  let d = 0;
  for (let k = 1; k < 1000; k++) {
    const a = -(2 * k - 1) * (2 * k);
    const b = z + 1 + 4 * k;
    d = b + a * d;
    if (d === 0) d = TINY;
    c = b + a / c;
    if (c === 0) c = TINY;
    d = 1 / d;
    const step = c * d;
    f *= step;
    if (Math.abs(step - 1) <= Number.EPSILON) break;
  }
  return 1 / f;
}

// W. J. Cody's rational Chebyshev approximations (Math. Comp. 23 (1969) 631–637; SPECFUN's CALERF):
// erf(x) = x·A(x²)/B(x²) for |x| ≤ 0.46875, erfc(x) = e^{−x²}·C(x)/D(x) for 0.46875 < x ≤ 4 and
// erfc(x) = e^{−x²}/x·(1/√π + E(1/x²)/(x²F(1/x²))) beyond; each ~1e-16 relative in exact arithmetic,
// ~4e-16 as evaluated (measured against mpmath in the tests). A rational function and one exp: ~8×
// faster than the series and continued fraction this replaced, which the CPU engine felt in every
// erf network (the toy-1d preset, a third of channel-frequency). e^{−x²} is expNegScaledSquare's.
const ERF_A = [3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1];
const ERF_B = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];
const ERFC_C = [
  5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2,
  1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8,
];
const ERFC_D = [
  1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3,
  4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3,
];
const ERFC_P = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
const ERFC_Q = [2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];
const INV_SQRT_PI = 0.5641895835477563;
/** Where Cody's first interval (erf directly) ends. */
const ERF_DIRECT_LIMIT = 0.46875;

/**
 * Cody's rational form in y with n = q.length − 1: (p[n+1]yⁿ⁺¹ + p[0]yⁿ + … + p[n]) /
 * (yⁿ⁺¹ + q[0]yⁿ + … + q[n]), by Horner's rule as CALERF evaluates it.
 */
function codyRational(p: readonly number[], q: readonly number[], y: number): number {
  const n = q.length - 1;
  let numerator = p[n + 1] * y;
  let denominator = y;
  for (let i = 0; i < n; i++) {
    numerator = (numerator + p[i]) * y;
    denominator = (denominator + q[i]) * y;
  }
  return (numerator + p[n]) / (denominator + q[n]);
}

/** erf(x) for |x| ≤ ERF_DIRECT_LIMIT: Cody's first interval. */
function erfNearZero(x: number): number {
  return x * codyRational(ERF_A, ERF_B, x * x);
}

/** erfc(y) for y > ERF_DIRECT_LIMIT: Cody's second and third intervals, no cancellation. */
function erfcTail(y: number): number {
  const gauss = expNegScaledSquare(y, 1);
  if (gauss === 0) return 0;
  if (y <= 4) return gauss * codyRational(ERFC_C, ERFC_D, y);
  const t = 1 / (y * y);
  return (gauss * (INV_SQRT_PI - t * codyRational(ERFC_P, ERFC_Q, t))) / y;
}

/** The error function in float64, ~4e-16 relative everywhere (JavaScript has no Math.erf). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax <= ERF_DIRECT_LIMIT) return erfNearZero(x);
  const tail = erfcTail(ax);
  return x > 0 ? 1 - tail : tail - 1;
}

/** The complementary error function 1 − erf(x), with full relative accuracy in the right tail. */
export function erfc(x: number): number {
  if (x > ERF_DIRECT_LIMIT) return erfcTail(x);
  if (x >= -ERF_DIRECT_LIMIT) return 1 - erfNearZero(x);
  return 2 - erfcTail(-x);
}

/** Standard normal density φ(x) = e^{−x²/2}/√(2π). */
export function normalDensity(x: number): number {
  return INV_SQRT_2PI * expNegScaledSquare(x, 0.5);
}

/** Standard normal distribution function Φ(x), with full relative accuracy in the left tail. */
export function normalCdf(x: number): number {
  if (x < -Math.SQRT2) {
    // Φ(x) = φ(|x|)·|x|·millsFraction(x²): computed from x directly, no x/√2 rounding amplified by the tail
    const density = normalDensity(x);
    return density === 0 ? 0 : density * -x * millsFraction(x * x);
  }
  return 0.5 * (1 + erf(x * SQRT_HALF));
}

export function sigmoid(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/** σ(x)(1 − σ(x)) = e/(1+e)² with e = e^{−|x|}: exact in the tails, where 1 − σ would cancel. */
function sigmoidSlope(x: number): number {
  const e = Math.exp(-Math.abs(x));
  const q = 1 + e;
  return e / (q * q);
}

/** log(1 + eˣ); equal to x in float64 for x ≥ 34 (the correction is below half an ulp). */
export function softplus(x: number): number {
  if (x >= 34) return x;
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** σ(x), σ′, σ″, σ‴ of the logistic sigmoid into out[offset..offset+3]. */
function sigmoidDerivatives(x: number, out: Float64Array, offset: number): void {
  const q = sigmoidSlope(x);
  out[offset] = sigmoid(x);
  out[offset + 1] = q;
  // 1 − 2σ = −tanh(x/2): no cancellation near 0
  out[offset + 2] = -q * Math.tanh(0.5 * x);
  // d/dx [q(1 − 2σ)] = q(1 − 2σ)² − 2q² = q(1 − 6q)
  out[offset + 3] = q * (1 - 6 * q);
}

export interface ActivationFunctions {
  readonly name: Activation;
  value(x: number): number;
  d1(x: number): number;
  d2(x: number): number;
  d3(x: number): number;
  /** σ(x), σ′(x), σ″(x), σ‴(x) into out[0..3] (one call instead of four) */
  evaluate(x: number, out: Float64Array): void;
  /**
   * σ and σ′ of x[from..from+count) into values and slopes at the same indices, the bits of
   * evaluate()'s first two entries: all a gradient needs, cheaper where the higher orders cost extra,
   * one call per tile of samples, whose loop the compiler can inline the activation into
   */
  valuesAndSlopes(x: Float64Array, from: number, count: number, values: Float64Array, slopes: Float64Array): void;
}

interface Implementation {
  value(x: number): number;
  evaluate(x: number, out: Float64Array): void;
  /** default: evaluate per value, keeping the first two entries */
  valuesAndSlopes?(x: Float64Array, from: number, count: number, values: Float64Array, slopes: Float64Array): void;
}

const sigmoidScratch = new Float64Array(8);

const IMPLEMENTATIONS: Record<Activation, Implementation> = {
  softplus: {
    value: softplus,
    // softplus′ = σ, so its derivatives are the sigmoid's shifted by one order; all of them from one
    // e = e^{−|x|}: σ = 1/(1+e) or e/(1+e), σ′ = e/(1+e)², σ″ = σ′(1 − 2σ) = −σ′·sign(x)(1 − e)/(1 + e)
    evaluate(x, out) {
      const e = Math.exp(-Math.abs(x));
      const q = 1 + e;
      const slope = e / (q * q);
      out[0] = x >= 34 ? x : Math.max(x, 0) + Math.log1p(e);
      out[1] = x >= 0 ? 1 / q : e / q;
      out[2] = slope;
      // 1 − 2σ(|x|) = (1 − e)/(1 + e); expm1 only where 1 − e would cancel (e > ½), the rest exact enough
      const oneMinusE = e > 0.5 ? -Math.expm1(-Math.abs(x)) : 1 - e;
      out[3] = (slope * oneMinusE * (x >= 0 ? -1 : 1)) / q;
    },
    valuesAndSlopes(xs, from, count, values, slopes) {
      for (let k = from; k < from + count; k++) {
        const x = xs[k];
        const e = Math.exp(-Math.abs(x));
        const q = 1 + e;
        values[k] = x >= 34 ? x : Math.max(x, 0) + Math.log1p(e);
        slopes[k] = x >= 0 ? 1 / q : e / q;
      }
    },
  },
  g: {
    // g(x) = sigmoid(4x) + softplus(x)
    value: (x) => sigmoid(4 * x) + softplus(x),
    evaluate(x, out) {
      sigmoidDerivatives(4 * x, sigmoidScratch, 0);
      sigmoidDerivatives(x, sigmoidScratch, 4);
      out[0] = sigmoidScratch[0] + softplus(x);
      out[1] = 4 * sigmoidScratch[1] + sigmoidScratch[4];
      out[2] = 16 * sigmoidScratch[2] + sigmoidScratch[5];
      out[3] = 64 * sigmoidScratch[3] + sigmoidScratch[6];
    },
  },
  erf: {
    // erf(x/√2): σ′ = √(2/π)e^{−x²/2}, σ″ = −xσ′, σ‴ = (x² − 1)σ′
    value: (x) => erf(x * SQRT_HALF),
    evaluate(x, out) {
      const slope = SQRT_2_OVER_PI * expNegScaledSquare(x, 0.5);
      out[0] = erf(x * SQRT_HALF);
      out[1] = slope;
      out[2] = -x * slope;
      out[3] = (x * x - 1) * slope;
    },
    valuesAndSlopes(xs, from, count, values, slopes) {
      for (let k = from; k < from + count; k++) {
        const x = xs[k];
        values[k] = erf(x * SQRT_HALF);
        slopes[k] = SQRT_2_OVER_PI * expNegScaledSquare(x, 0.5);
      }
    },
  },
  sigmoid: {
    value: sigmoid,
    evaluate: (x, out) => sigmoidDerivatives(x, out, 0),
  },
  tanh: {
    value: Math.tanh,
    evaluate(x, out) {
      const t = Math.tanh(x);
      // sech² = 4e/(1+e)² with e = e^{−2|x|}: 1 − t² would cancel in the tails
      const e = Math.exp(-2 * Math.abs(x));
      const q = 1 + e;
      const sech2 = (4 * e) / (q * q);
      out[0] = t;
      out[1] = sech2;
      out[2] = -2 * t * sech2;
      // d/dx(−2t·sech²) = −2sech⁴ + 4t²sech²
      out[3] = sech2 * (4 * t * t - 2 * sech2);
    },
  },
  relu: {
    value: (x) => Math.max(x, 0),
    evaluate(x, out) {
      out[0] = Math.max(x, 0);
      out[1] = x > 0 ? 1 : 0;
      out[2] = 0;
      out[3] = 0;
    },
  },
  gelu: {
    // x·Φ(x): σ′ = Φ + xφ, σ″ = φ(2 − x²), σ‴ = xφ(x² − 4)
    value: (x) => x * normalCdf(x),
    evaluate(x, out) {
      const density = normalDensity(x);
      const cdf = normalCdf(x);
      out[0] = x * cdf;
      out[1] = cdf + x * density;
      out[2] = density * (2 - x * x);
      out[3] = x * density * (x * x - 4);
    },
  },
};

function implementation(name: Activation): Implementation {
  const impl = (IMPLEMENTATIONS as Record<string, Implementation | undefined>)[name];
  if (!impl) throw new RangeError(`unknown activation "${String(name)}"; allowed: ${ACTIVATIONS.join(', ')}`);
  return impl;
}

export function activationFunctions(name: Activation): ActivationFunctions {
  const impl = implementation(name);
  const scratch = new Float64Array(4);
  const derivative = (order: number) => (x: number) => {
    impl.evaluate(x, scratch);
    return scratch[order];
  };
  const valuesAndSlopes =
    impl.valuesAndSlopes ??
    ((x: Float64Array, from: number, count: number, values: Float64Array, slopes: Float64Array) => {
      for (let k = from; k < from + count; k++) {
        impl.evaluate(x[k], scratch);
        values[k] = scratch[0];
        slopes[k] = scratch[1];
      }
    });
  return { name, value: impl.value, d1: derivative(1), d2: derivative(2), d3: derivative(3), evaluate: impl.evaluate, valuesAndSlopes };
}

/** σ(x), σ′(x), σ″(x), σ‴(x) of activation `name`, written into (and returned as) `out`. */
export function evalActivation(name: Activation, x: number, out: Float64Array = new Float64Array(4)): Float64Array {
  implementation(name).evaluate(x, out);
  return out;
}

/** σ⁽ᵏ⁾(ζ + η) + σ⁽ᵏ⁾(ζ − η) and σ⁽ᵏ⁾(ζ + η) − σ⁽ᵏ⁾(ζ − η) for k = 0, 1, 2 */
export interface PairActivation {
  sum: [number, number, number];
  difference: [number, number, number];
}

// Gauss–Legendre on [−1, 1], five nodes: 0, ±GAUSS5_NODES[1..2]
const GAUSS5_NODES = [0, 0.5384693101056831, 0.906179845938664];
const GAUSS5_WEIGHTS = [0.5688888888888889, 0.4786286704993665, 0.2369268850561891];

/**
 * The float64 reference of shaders/activations.wgsl's pair_activate: a pair of neurons with
 * pre-activations ζ ± η (pair coordinates). The odd differences are accurate relative to themselves
 * for any |η|: up to the kernel's quadrature limit (1/8; 1/32 for g, whose sigmoid(4x) varies 4× faster)
 * they are ∫ σ⁽ᵏ⁺¹⁾ over [ζ − η, ζ + η] by five-point Gauss–Legendre (error ~(2|η|)¹¹·4e-13·|σ⁽ᵏ⁺¹¹⁾|),
 * above it the plain difference. relu (a kink, no channels) always takes the plain difference.
 */
export function pairActivation(name: Activation, zeta: number, eta: number): PairActivation {
  const impl = implementation(name);
  const plus = new Float64Array(4);
  const minus = new Float64Array(4);
  impl.evaluate(zeta + eta, plus);
  impl.evaluate(zeta - eta, minus);
  const sum: PairActivation['sum'] = [plus[0] + minus[0], plus[1] + minus[1], plus[2] + minus[2]];
  const difference: PairActivation['difference'] = [plus[0] - minus[0], plus[1] - minus[1], plus[2] - minus[2]];
  const limit = name === 'relu' ? -1 : name === 'g' ? 1 / 32 : 1 / 8;
  if (Math.abs(eta) <= limit) {
    const at = new Float64Array(4);
    difference.fill(0);
    for (let node = -2; node <= 2; node++) {
      impl.evaluate(zeta + eta * Math.sign(node) * GAUSS5_NODES[Math.abs(node)], at);
      const weight = eta * GAUSS5_WEIGHTS[Math.abs(node)];
      for (let k = 0; k < 3; k++) difference[k] += weight * at[k + 1];
    }
  }
  return { sum, difference };
}
