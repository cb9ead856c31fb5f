// Sobol low-discrepancy points (Bratley–Fox, Antonov–Saleev Gray-code order) with the Joe–Kuo
// direction numbers "new-joe-kuo-6.21201" (S. Joe and F. Y. Kuo, SIAM J. Sci. Comput. 30, 2008),
// the same table scipy.stats.qmc.Sobol uses: unscrambled, our points equal scipy's
// `Sobol(d, scramble=False).random(N + 1)[1:]` (the first, all-zero point is skipped because it
// sits on the corner of the cube and would map to the corner of [−√3, √3]^d).
//
// Points are exact dyadic fractions with 32 bits: at most 2³² − 1 points per sequence.

/**
 * Joe–Kuo direction numbers for dimensions 2..MAX_SOBOL_DIMENSION: [s, a, [m₁ … m_s]], where s is
 * the degree of the primitive polynomial, a encodes its inner coefficients (bit s−2 is the
 * coefficient of x^{s−1}, …, bit 0 that of x) and the mᵢ are the initial odd direction integers.
 * Dimension 1 is the van der Corput sequence (all mᵢ = 1) and has no entry.
 */
const JOE_KUO: ReadonlyArray<readonly [number, number, readonly number[]]> = [
  [1, 0, [1]], // d=2
  [2, 1, [1, 3]], // d=3
  [3, 1, [1, 3, 1]], // d=4
  [3, 2, [1, 1, 1]], // d=5
  [4, 1, [1, 1, 3, 3]], // d=6
  [4, 4, [1, 3, 5, 13]], // d=7
  [5, 2, [1, 1, 5, 5, 17]], // d=8
  [5, 4, [1, 1, 5, 5, 5]], // d=9
  [5, 7, [1, 1, 7, 11, 19]], // d=10
  [5, 11, [1, 1, 5, 1, 1]], // d=11
  [5, 13, [1, 1, 1, 3, 11]], // d=12
  [5, 14, [1, 3, 5, 5, 31]], // d=13
  [6, 1, [1, 3, 3, 9, 7, 49]], // d=14
  [6, 13, [1, 1, 1, 15, 21, 21]], // d=15
  [6, 16, [1, 3, 1, 13, 27, 49]], // d=16
  [6, 19, [1, 1, 1, 15, 7, 5]], // d=17
  [6, 22, [1, 3, 1, 15, 13, 25]], // d=18
  [6, 25, [1, 1, 5, 5, 19, 61]], // d=19
  [7, 1, [1, 3, 7, 11, 23, 15, 103]], // d=20
  [7, 4, [1, 3, 7, 13, 13, 15, 69]], // d=21
  [7, 7, [1, 1, 3, 13, 7, 35, 63]], // d=22
  [7, 8, [1, 3, 5, 9, 1, 25, 53]], // d=23
  [7, 14, [1, 3, 1, 13, 9, 35, 107]], // d=24
  [7, 19, [1, 3, 1, 5, 27, 61, 31]], // d=25
  [7, 21, [1, 1, 5, 11, 19, 41, 61]], // d=26
  [7, 28, [1, 3, 5, 3, 3, 13, 69]], // d=27
  [7, 31, [1, 1, 7, 13, 1, 19, 1]], // d=28
  [7, 32, [1, 3, 7, 5, 13, 19, 59]], // d=29
  [7, 37, [1, 1, 3, 9, 25, 29, 41]], // d=30
  [7, 41, [1, 3, 5, 13, 23, 1, 55]], // d=31
  [7, 42, [1, 3, 7, 3, 13, 59, 17]], // d=32
];

export const MAX_SOBOL_DIMENSION = JOE_KUO.length + 1;
export const MAX_SOBOL_POINTS = 2 ** 32 - 1;

const BITS = 32;

/** The 32 direction numbers V_k = v_k·2³² of one dimension (0-based). */
function directionNumbers(dimension: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (dimension === 0) {
    for (let k = 0; k < BITS; k++) v[k] = (1 << (BITS - 1 - k)) >>> 0;
    return v;
  }
  const [s, a, m] = JOE_KUO[dimension - 1];
  for (let k = 0; k < s; k++) v[k] = (m[k] << (BITS - 1 - k)) >>> 0;
  // v_k = a₁v_{k−1} ⊕ … ⊕ a_{s−1}v_{k−s+1} ⊕ v_{k−s} ⊕ (v_{k−s} ≫ s)
  for (let k = s; k < BITS; k++) {
    let value = v[k - s] ^ (v[k - s] >>> s);
    for (let j = 1; j < s; j++) {
      if ((a >>> (s - 1 - j)) & 1) value ^= v[k - j];
    }
    v[k] = value >>> 0;
  }
  return v;
}

/** Index of the lowest zero bit of n (0 ≤ n < 2³² − 1, so some bit below 32 is zero). */
function lowestZeroBit(n: number): number {
  let bit = 0;
  while (((n >>> bit) & 1) === 1) bit++;
  return bit;
}

/**
 * The first `samples` Sobol points in [0, 1)^d after the all-zero point, row-major
 * (samples × inputDim). Deterministic: there is no seed.
 */
export function sobolPoints(samples: number, inputDim: number): Float64Array {
  if (!Number.isInteger(inputDim) || inputDim < 1 || inputDim > MAX_SOBOL_DIMENSION) {
    throw new RangeError(`Sobol points are available for 1 to ${MAX_SOBOL_DIMENSION} dimensions, got ${inputDim}`);
  }
  if (!Number.isInteger(samples) || samples < 0 || samples > MAX_SOBOL_POINTS) {
    throw new RangeError(`Sobol sample count must be an integer from 0 to ${MAX_SOBOL_POINTS}, got ${samples}`);
  }
  const directions = Array.from({ length: inputDim }, (_, dimension) => directionNumbers(dimension));
  const state = new Uint32Array(inputDim); // point n in Gray-code order, as 32-bit integers
  const out = new Float64Array(samples * inputDim);
  const scale = 2 ** -BITS;
  // point n+1 = point n ⊕ V_{c(n)}, c(n) the lowest zero bit of n; point 0 (all zero) is skipped
  for (let n = 0; n < samples; n++) {
    const bit = lowestZeroBit(n);
    for (let i = 0; i < inputDim; i++) {
      state[i] ^= directions[i][bit];
      out[n * inputDim + i] = state[i] * scale;
    }
  }
  return out;
}
