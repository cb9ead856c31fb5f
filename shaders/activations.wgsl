// Activations in f32: value, first and second derivative, as vec3(σ, σ', σ'').
// Near a channel the output weights are ±150 or more and cancel, so every rounding error in σ is
// amplified a few hundred times: these are written to stay accurate to ~1e-7 relative and never
// overflow (no crude approximations, no exp of a large positive argument).
// The activation is chosen at pipeline creation: exactly one ACT_* flag is true.

const SQRT_HALF: f32 = 0.70710678118654752;
const SQRT_2_OVER_PI: f32 = 0.79788456080286536;
const INV_SQRT_2PI: f32 = 0.39894228040143268;
const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;
const INV_SQRT_PI: f32 = 0.56418958354775629;

// log(1 + t) for t ≥ 0 without losing t when it is tiny (Kahan's trick; WGSL has no log1p).
fn log1p_nonneg(t: f32) -> f32 {
  let u = 1.0 + t;
  if (u == 1.0) {
    return t;
  }
  return log(u) * (t / (u - 1.0));
}

fn sigmoid_stable(x: f32) -> f32 {
  let e = exp(-abs(x));
  let s = 1.0 / (1.0 + e);
  return select(e * s, s, x >= 0.0);
}

// σ(x)(1 − σ(x)) = e/(1+e)² with e = exp(−|x|): exact in the tails, where 1 − σ would cancel.
fn sigmoid_slope(x: f32) -> f32 {
  let e = exp(-abs(x));
  let q = 1.0 + e;
  return e / (q * q);
}

fn softplus_stable(x: f32) -> f32 {
  return max(x, 0.0) + log1p_nonneg(exp(-abs(x)));
}

// erf in f32 to ~1e-7 relative: a Taylor series near 0 (relative accuracy where erf ≈ x), the
// positive-term series erf(x) = (2/√π) e^{−x²} Σ 2ⁿx^{2n+1}/(2n+1)!! in the middle (no
// cancellation), and erfc's continued fraction in the tail.
fn erf_f32(x: f32) -> f32 {
  let ax = abs(x);
  let x2 = x * x;
  if (ax < 0.5) {
    // 2/√π Σ (−1)ⁿ x^{2n+1} / (n! (2n+1)), n = 0..6
    let p = 1.0 + x2 * (-0.33333333333 + x2 * (0.1 + x2 * (-0.023809523810 + x2 * (0.0046296296296
      + x2 * (-0.00075757575758 + x2 * 0.00010683760684)))));
    return TWO_OVER_SQRT_PI * x * p;
  }
  if (ax < 2.5) {
    var term = ax;
    var sum = ax;
    let twice_x2 = 2.0 * x2;
    for (var n = 1; n < 48; n++) {
      term *= twice_x2 / f32(2 * n + 1);
      sum += term;
      if (term < 1e-9 * sum) {
        break;
      }
    }
    return sign(x) * TWO_OVER_SQRT_PI * exp(-x2) * sum;
  }
  if (ax > 6.0) {
    return sign(x);
  }
  // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail
  var fraction = ax;
  for (var k = 14; k >= 1; k--) {
    fraction = ax + (0.5 * f32(k)) / fraction;
  }
  let erfc_ax = INV_SQRT_PI * exp(-x2) / fraction;
  return sign(x) * (1.0 - erfc_ax);
}

// tanh accurate near 0 (odd Taylor series) and in the tails (via exp(−2|x|)).
fn tanh_stable(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 0.3) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-0.33333333333 + x2 * (0.13333333333 + x2 * (-0.053968253968 + x2 * 0.021869488536))));
  }
  let e = exp(-2.0 * ax);
  return sign(x) * (1.0 - e) / (1.0 + e);
}

fn activate(x: f32) -> vec3<f32> {
#if ${ACT_SOFTPLUS}
  let s = sigmoid_stable(x);
  return vec3<f32>(softplus_stable(x), s, sigmoid_slope(x));
#elif ${ACT_G}
  // g(x) = sigmoid(4x) + softplus(x)
  let s4 = sigmoid_stable(4.0 * x);
  let ds4 = sigmoid_slope(4.0 * x);
  return vec3<f32>(s4 + softplus_stable(x), 4.0 * ds4 + sigmoid_stable(x), 16.0 * ds4 * (1.0 - 2.0 * s4) + sigmoid_slope(x));
#elif ${ACT_ERF}
  // erf(x/√2): σ' = √(2/π) e^{−x²/2}, σ'' = −x σ'
  let d1 = SQRT_2_OVER_PI * exp(-0.5 * x * x);
  return vec3<f32>(erf_f32(x * SQRT_HALF), d1, -x * d1);
#elif ${ACT_SIGMOID}
  let s = sigmoid_stable(x);
  let ds = sigmoid_slope(x);
  return vec3<f32>(s, ds, ds * (1.0 - 2.0 * s));
#elif ${ACT_TANH}
  let t = tanh_stable(x);
  let e = exp(-2.0 * abs(x));
  let sech2 = 4.0 * e / ((1.0 + e) * (1.0 + e));
  return vec3<f32>(t, sech2, -2.0 * t * sech2);
#elif ${ACT_RELU}
  return vec3<f32>(max(x, 0.0), select(0.0, 1.0, x > 0.0), 0.0);
#elif ${ACT_GELU}
  // x·Φ(x) with the exact erf
  let phi = INV_SQRT_2PI * exp(-0.5 * x * x);
  let cdf = 0.5 * (1.0 + erf_f32(x * SQRT_HALF));
  return vec3<f32>(x * cdf, cdf + x * phi, phi * (2.0 - x * x));
#endif
}
