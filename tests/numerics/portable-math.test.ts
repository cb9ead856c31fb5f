// The engine-independent log, exp, pow, sin and cos (src/numerics/portable-math.ts) against the
// engine's own Math functions, in units in the last place of the result. Math's are within ~1 ulp
// of the truth in V8, so a difference of at most 3 ulp keeps ours within ~4.
import { describe, expect, it } from 'vitest';
import { portableCosTwoPi, portableExp, portableLog, portablePow, portableSinCos } from '../../src/numerics/portable-math.js';

/** |a − b| in ulps of b. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const ulp = Math.max(Number.MIN_VALUE, Math.abs(b) * Number.EPSILON);
  return Math.abs(a - b) / ulp;
}

/** The largest difference in ulps over the arguments. */
function worst(values: readonly number[], ours: (x: number) => number, reference: (x: number) => number): number {
  return Math.max(...values.map((x) => ulps(ours(x), reference(x))));
}

// a spread of arguments without Math in their making (pure arithmetic)
const spread = (count: number, low: number, high: number) => Array.from({ length: count }, (_, i) => low + ((high - low) * ((i * 0.61803398875) % 1)));

describe('portable math', () => {
  it('log: within 3 ulp of Math.log from subnormals to the largest double, exact at the ends', () => {
    const values = [...spread(5000, 1e-6, 3), ...spread(2000, 0.5, 2), ...spread(1000, 1, 1e300), 2.9802322387695312e-8, 5e-324, 1e-310, 1.7976931348623157e308];
    expect(worst(values, portableLog, Math.log)).toBeLessThanOrEqual(3);
    expect(portableLog(1)).toBe(0);
    expect(portableLog(0)).toBe(-Infinity);
    expect(portableLog(Infinity)).toBe(Infinity);
    expect(portableLog(-1)).toBeNaN();
    expect(portableLog(NaN)).toBeNaN();
  });

  it('exp: within 3 ulp of Math.exp over the normal range (and subnormal results to 1e-320), 0 and Infinity beyond', () => {
    expect(worst(spread(5000, -700, 700), portableExp, Math.exp)).toBeLessThanOrEqual(3);
    expect(worst(spread(2000, -1, 1), portableExp, Math.exp)).toBeLessThanOrEqual(3);
    expect(Math.abs(portableExp(-736) - Math.exp(-736))).toBeLessThanOrEqual(1e-320);
    expect(portableExp(0)).toBe(1);
    expect(portableExp(710)).toBe(Infinity);
    expect(portableExp(-746)).toBe(0);
    expect(portableExp(NaN)).toBeNaN();
  });

  it('pow: as exp(y log x), within (1 + |y log x|)·3 ulp of Math.pow; exact at 0; a negative base is refused', () => {
    for (const [x, y] of [[0.9, 17], [0.999, 100000], [1e-3, -1 / 3], [2.5e-7, -0.2], [123.4, 0.25], [0.5, 3]] as const) {
      expect(ulps(portablePow(x, y), Math.pow(x, y)), `${x}^${y}`).toBeLessThanOrEqual(3 * (1 + Math.abs(y * Math.log(x))));
    }
    expect([portablePow(0, 2), portablePow(0, -1), portablePow(0, 0), portablePow(3, 0)]).toEqual([0, Infinity, 1, 1]);
    expect(() => portablePow(-2, 2)).toThrow(/a base of at least 0, got -2/);
  });

  it('sin and cos: within 4·2⁻⁵² of Math.sin and Math.cos up to |x| = 10⁵ (both are at most 1), the engine beyond 2²⁰·π/2', () => {
    for (const values of [spread(5000, -10, 10), spread(5000, -1e5, 1e5), spread(200, -1e-8, 1e-8)]) {
      const error = Math.max(...values.map((x) => Math.max(Math.abs(portableSinCos(x)[0] - Math.sin(x)), Math.abs(portableSinCos(x)[1] - Math.cos(x)))));
      expect(error).toBeLessThanOrEqual(4 * Number.EPSILON);
    }
    // near 0, relative to sin x itself
    expect(worst(spread(200, 1e-12, 1e-3), (x) => portableSinCos(x)[0], Math.sin)).toBeLessThanOrEqual(3);
    expect(Array.from(portableSinCos(0))).toEqual([0, 1]);
    expect(Array.from(portableSinCos(1e7))).toEqual([Math.sin(1e7), Math.cos(1e7)]);
    expect(portableSinCos(Infinity).every(Number.isNaN)).toBe(true);
  });

  it('cos(2πu): within 3·2⁻⁵² of Math.cos(2πu) on [0, 1), exact at the quadrants', () => {
    const values = spread(20000, 0, 1);
    expect(Math.max(...values.map((u) => Math.abs(portableCosTwoPi(u) - Math.cos(2 * Math.PI * u))))).toBeLessThanOrEqual(3 * Number.EPSILON);
    expect([0, 0.25, 0.5, 0.75].map((u) => portableCosTwoPi(u) + 0)).toEqual([1, 0, -1, 0]);
  });
});
