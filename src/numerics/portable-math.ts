// log, exp, pow, sin and cos from + − × ÷ alone, so they give the same bits in every JavaScript
// engine: the same spec and seed must give the same data, initial parameters and step sizes in Node
// and in a browser. Math.sin, Math.cos and Math.pow do not: Node 20's V8 and Chromium 147's differ
// in the last bit of ~3% of sin and cos values and ~10% of pow values (measured 2026-12-07), and
// engines outside V8 bring their own libm. IEEE arithmetic is exact-rounded everywhere and
// JavaScript never fuses a multiply and an add, so these are reproducible to the bit; they are
// accurate to about 2 ulp (tests/numerics/portable-math.test.ts against Math), which their users —
// Box–Muller draws, Fourier features, step-size control — never notice.

const SQRT2 = Math.SQRT2;
/** ln 2 in two parts (fdlibm's): the first with 32 trailing zero bits, so k·LN2_HI is exact for |k| < 2²⁰ */
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;
/** π/2 in three parts (fdlibm's pio2_1, pio2_2, pio2_3 and the last tail): k·part is exact for |k| < 2²⁰ */
const PIO2_1 = 1.57079632673412561417;
const PIO2_2 = 6.07710050630396597660e-11;
const PIO2_3 = 2.02226624871116645580e-21;
const PIO2_3T = 8.47842766036889956997e-32;
const TWO_OVER_PI = 0.63661977236758134308;
const PI_OVER_2 = 1.5707963267948966;

// Series coefficients, each the double nearest the fraction: 1/k for log's atanh series, 1/n! for
// exp's, ±1/n! for sin's and cos's.
const L3 = 1 / 3, L5 = 1 / 5, L7 = 1 / 7, L9 = 1 / 9, L11 = 1 / 11, L13 = 1 / 13, L15 = 1 / 15, L17 = 1 / 17, L19 = 1 / 19, L21 = 1 / 21;
const inverseFactorial = (n: number): number => {
  let product = 1;
  for (let k = 2; k <= n; k++) product *= k; // exact: 18! < 2⁵³
  return 1 / product;
};
const [E2, E3, E4, E5, E6, E7, E8, E9, E10, E11, E12, E13] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map(inverseFactorial);
const [S3, S5, S7, S9, S11, S13, S15, S17] = [3, 5, 7, 9, 11, 13, 15, 17].map((n, k) => (k % 2 === 0 ? -1 : 1) * inverseFactorial(n));
const [C2, C4, C6, C8, C10, C12, C14, C16, C18] = [2, 4, 6, 8, 10, 12, 14, 16, 18].map((n, k) => (k % 2 === 0 ? -1 : 1) * inverseFactorial(n));

const bits = new DataView(new ArrayBuffer(8));

/** 2^k for an integer k in [−1074, 1023], built from its bits. */
function powerOfTwo(k: number): number {
  if (k >= -1022) {
    bits.setUint32(0, (k + 1023) << 20);
    bits.setUint32(4, 0);
    return bits.getFloat64(0);
  }
  return powerOfTwo(k + 1022) * powerOfTwo(-1022); // subnormal: exact, one factor is a normal power
}

/** The natural logarithm, ~2 ulp; NaN below 0, −Infinity at 0. */
export function portableLog(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return x;
  let scaled = x;
  let exponent = 0;
  if (scaled < 2.2250738585072014e-308) {
    scaled *= 18014398509481984; // 2⁵⁴: a subnormal becomes normal
    exponent = -54;
  }
  bits.setFloat64(0, scaled);
  const high = bits.getUint32(0);
  exponent += (high >>> 20) - 1023;
  // the mantissa m in [1, 2), then in [√½, √2)
  bits.setUint32(0, (high & 0x000fffff) | 0x3ff00000);
  let m = bits.getFloat64(0);
  if (m > SQRT2) {
    m *= 0.5;
    exponent += 1;
  }
  // log m = 2 atanh s with s = (m − 1)/(m + 1), |s| ≤ 0.1716: the series to s²¹ leaves < 1e-19
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  const series = L3 + s2 * (L5 + s2 * (L7 + s2 * (L9 + s2 * (L11 + s2 * (L13 + s2 * (L15 + s2 * (L17 + s2 * (L19 + s2 * L21))))))));
  const logM = 2 * s + 2 * s * s2 * series;
  return exponent * LN2_HI + (logM + exponent * LN2_LO);
}

/** eˣ, ~2 ulp; 0 below the subnormal range, Infinity above 709.78. */
export function portableExp(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 709.782712893384) return Infinity;
  if (x < -745.1332191019412) return 0;
  const k = Math.round(x * INV_LN2);
  // r = x − k ln 2 in [−0.347, 0.347]; the Taylor series to r¹³ leaves < 1e-17
  const r = x - k * LN2_HI - k * LN2_LO;
  const series = 1 + r * (1 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * (E8 + r * (E9 + r * (E10 + r * (E11 + r * (E12 + r * E13))))))))))));
  // 2^k in two factors where k leaves the normal range at either end
  if (k > 1023) return series * powerOfTwo(1023) * powerOfTwo(k - 1023);
  if (k < -1022) return series * powerOfTwo(-1022) * powerOfTwo(k + 1022);
  return series * powerOfTwo(k);
}

/** xʸ for x ≥ 0 as exp(y·log x): relative error ~(1 + |y log x|)·2⁻⁵², for step-size factors and Adam's βᵗ. */
export function portablePow(x: number, y: number): number {
  if (!(x >= 0)) throw new RangeError(`portablePow takes a base of at least 0, got ${x}`);
  if (y === 0) return 1;
  if (x === 0) return y > 0 ? 0 : Infinity;
  return portableExp(y * portableLog(x));
}

/** [sin x, cos x] of the reduced angle r + k·π/2 (|r| ≤ π/4 plus rounding) into out[0], out[1]. */
function rotate(r: number, k: number, out: Float64Array): void {
  // Taylor series to r¹⁷ and r¹⁸: < 1e-19 left at π/4
  const r2 = r * r;
  const sine = r + r * r2 * (S3 + r2 * (S5 + r2 * (S7 + r2 * (S9 + r2 * (S11 + r2 * (S13 + r2 * (S15 + r2 * S17)))))));
  const cosine = 1 + r2 * (C2 + r2 * (C4 + r2 * (C6 + r2 * (C8 + r2 * (C10 + r2 * (C12 + r2 * (C14 + r2 * (C16 + r2 * C18))))))));
  switch (k & 3) {
    case 0:
      out[0] = sine;
      out[1] = cosine;
      return;
    case 1:
      out[0] = cosine;
      out[1] = -sine;
      return;
    case 2:
      out[0] = -sine;
      out[1] = -cosine;
      return;
    default:
      out[0] = -cosine;
      out[1] = sine;
  }
}

/**
 * sin x and cos x into out[0] and out[1] (and returned), ~2 ulp for |x| < 2²⁰·π/2 (three-part
 * Cody–Waite reduction). Beyond, where the reduction would lose bits, the engine's own Math.sin
 * and Math.cos: correct, not portable.
 */
export function portableSinCos(x: number, out: Float64Array = new Float64Array(2)): Float64Array {
  if (!(Math.abs(x) < 1647099.3291652855)) {
    out[0] = Math.sin(x);
    out[1] = Math.cos(x);
    return out;
  }
  const k = Math.round(x * TWO_OVER_PI);
  rotate(x - k * PIO2_1 - k * PIO2_2 - k * PIO2_3 - k * PIO2_3T, k, out);
  return out;
}

const cosTwoPiScratch = new Float64Array(2);
/** cos(2πu) for a uniform u in [0, 1): the reduction to a quadrant is exact on u (4u − k), then one rounding of ·π/2. */
export function portableCosTwoPi(u: number): number {
  const quarter = 4 * u;
  const k = Math.round(quarter);
  rotate((quarter - k) * PI_OVER_2, k, cosTwoPiScratch);
  return cosTwoPiScratch[1];
}
