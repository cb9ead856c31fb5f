import { describe, expect, it } from 'vitest';
import {
  CUBE_HALF_WIDTH,
  generateInputs,
  gridInputs,
  gridSide,
  inputSampleCount,
  normalInputs,
  sobolInputs,
  sphereInputs,
  uniformInputs,
} from '../../src/data/inputs.js';
import { MAX_SOBOL_DIMENSION, sobolPoints } from '../../src/data/sobol.js';

const SQRT3 = Math.sqrt(3);

/** Per-coordinate mean and second moment of row-major points. */
function moments(x: Float64Array, d: number): { mean: number[]; square: number[] } {
  const n = x.length / d;
  const mean = new Array<number>(d).fill(0);
  const square = new Array<number>(d).fill(0);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < d; i++) {
      mean[i] += x[k * d + i] / n;
      square[i] += x[k * d + i] ** 2 / n;
    }
  }
  return { mean, square };
}

describe('normal and uniform inputs', () => {
  const n = 20000;
  it('standard normal: mean 0, second moment 1 per coordinate (5 standard errors)', () => {
    const { mean, square } = moments(normalInputs(n, 3, 11), 3);
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(mean[i])).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(square[i] - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    }
  });

  it('uniform on [−√3, √3]^d: inside the cube, mean 0, variance 1', () => {
    const x = uniformInputs(n, 4, 3);
    expect(x.length).toBe(n * 4);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-SQRT3);
    expect(Math.max(...x)).toBeLessThan(SQRT3);
    const { mean, square } = moments(x, 4);
    // a uniform coordinate has variance 1 and fourth moment 9/5, so sd(x²) = 2/√5
    for (let i = 0; i < 4; i++) {
      expect(Math.abs(mean[i])).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(square[i] - 1)).toBeLessThan((5 * (2 / Math.sqrt(5))) / Math.sqrt(n));
    }
  });

  it('is deterministic in (seed, run) and differs between them', () => {
    expect(uniformInputs(50, 2, 7)).toEqual(uniformInputs(50, 2, 7));
    expect(uniformInputs(50, 2, 7)).not.toEqual(uniformInputs(50, 2, 8));
    expect(uniformInputs(50, 2, 7, 1)).not.toEqual(uniformInputs(50, 2, 7, 0));
    expect(normalInputs(50, 2, 7, 3)).toEqual(normalInputs(50, 2, 7, 3));
  });
});

describe('Sobol points (Joe–Kuo new-joe-kuo-6.21201, first point skipped)', () => {
  // expected values: scipy.stats.qmc.Sobol(d, scramble=False, bits=32).random(n)[1:] (scipy 1.17)
  it('d = 2: the first points are (0.5,0.5), (0.75,0.25), (0.25,0.75), …', () => {
    const expected = [
      [0.5, 0.5],
      [0.75, 0.25],
      [0.25, 0.75],
      [0.375, 0.375],
      [0.875, 0.875],
      [0.625, 0.125],
      [0.125, 0.625],
      [0.1875, 0.3125],
    ];
    expect(Array.from(sobolPoints(8, 2))).toEqual(expected.flat());
    // mapped to the cube [−√3, √3]²: (0.5, 0.5) is the centre
    const x = sobolInputs(8, 2);
    expected.flat().forEach((u, k) => expect(x[k]).toBeCloseTo(-SQRT3 + 2 * SQRT3 * u, 15));
    expect(x[0]).toBe(0);
  });

  it('d = 16 and d = 32 agree with scipy at later points', () => {
    const points16 = sobolPoints(1024, 16);
    const row = (points: Float64Array, d: number, n: number) => Array.from(points.subarray(n * d, (n + 1) * d));
    // scipy index i is our row i − 1
    expect(row(points16, 16, 0)).toEqual(new Array(16).fill(0.5));
    expect(row(points16, 16, 1)).toEqual([0.75, 0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75, 0.75, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 0.25]);
    expect(row(points16, 16, 99)).toEqual([
      0.4140625, 0.2578125, 0.7734375, 0.7265625, 0.8828125, 0.7421875, 0.0234375, 0.4765625, 0.6328125, 0.6953125, 0.4609375, 0.6796875,
      0.4765625, 0.8515625, 0.3203125, 0.4921875,
    ]);
    expect(row(points16, 16, 999)).toEqual([
      0.2197265625, 0.0966796875, 0.5185546875, 0.6767578125, 0.2802734375, 0.9072265625, 0.0458984375, 0.8994140625, 0.5009765625,
      0.0693359375, 0.0849609375, 0.2548828125, 0.1611328125, 0.3837890625, 0.1435546875, 0.3701171875,
    ]);
    expect(row(points16, 16, 1023)).toEqual([
      0.00146484375, 0.37646484375, 0.44775390625, 0.48681640625, 0.55712890625, 0.84423828125, 0.24169921875, 0.58740234375, 0.69677734375,
      0.67138671875, 0.82177734375, 0.92138671875, 0.70654296875, 0.33837890625, 0.13232421875, 0.85693359375,
    ]);
    expect(row(sobolPoints(777, 32), 32, 776)).toEqual([
      0.6923828125, 0.9365234375, 0.1630859375, 0.2744140625, 0.6357421875, 0.3564453125, 0.1904296875, 0.7626953125, 0.3486328125,
      0.3232421875, 0.7451171875, 0.6962890625, 0.3837890625, 0.4736328125, 0.5693359375, 0.5146484375, 0.4033203125, 0.8642578125,
      0.3701171875, 0.7529296875, 0.2373046875, 0.2724609375, 0.9462890625, 0.4814453125, 0.3447265625, 0.1455078125, 0.0595703125,
      0.7802734375, 0.0634765625, 0.1103515625, 0.5419921875, 0.8994140625,
    ]);
  });

  it('stratifies: with the skipped zero point, the first 2^k points fill every 1-D dyadic cell once', () => {
    const d = 16;
    const k = 10;
    const points = sobolPoints(2 ** k - 1, d);
    for (let i = 0; i < d; i++) {
      const cells = new Set<number>([0]);
      for (let n = 0; n < 2 ** k - 1; n++) cells.add(Math.floor(points[n * d + i] * 2 ** k));
      expect(cells.size).toBe(2 ** k);
    }
  });

  it('ignores the seed, stays in the cube, and refuses unsupported dimensions', () => {
    expect(sobolInputs(100, 5, 1)).toEqual(sobolInputs(100, 5, 2));
    const x = sobolInputs(1000, 8);
    expect(Math.min(...x)).toBeGreaterThan(-SQRT3);
    expect(Math.max(...x)).toBeLessThan(SQRT3);
    expect(() => sobolPoints(10, MAX_SOBOL_DIMENSION + 1)).toThrow(/1 to 32 dimensions/);
    expect(() => sobolPoints(10, 0)).toThrow(RangeError);
  });
});

describe('2-D grid inputs', () => {
  it('has ⌈√N⌉² points with step 2√3/⌈√N⌉, cell-centred and symmetric', () => {
    for (const [requested, side] of [
      [1, 1],
      [4, 2],
      [10, 4],
      [16, 4],
      [17, 5],
      [10000, 100],
    ] as const) {
      expect(gridSide(requested)).toBe(side);
      expect(inputSampleCount('grid', requested)).toBe(side * side);
      const x = gridInputs(requested, 2);
      expect(x.length).toBe(side * side * 2);
      const step = (2 * SQRT3) / side;
      const coordinates = Array.from(new Set(Array.from(x).map((v) => v.toFixed(12)))).map(Number).sort((a, b) => a - b);
      expect(coordinates.length).toBe(side);
      expect(coordinates[0]).toBeCloseTo(-SQRT3 + step / 2, 12);
      expect(coordinates[side - 1]).toBeCloseTo(SQRT3 - step / 2, 12);
      for (let i = 1; i < side; i++) expect(coordinates[i] - coordinates[i - 1]).toBeCloseTo(step, 10);
      const { mean, square } = moments(x, 2);
      expect(Math.abs(mean[0])).toBeLessThan(1e-12);
      expect(square[1]).toBeCloseTo(1 - 1 / side ** 2, 12);
    }
    expect(Array.from(gridInputs(1, 2))).toEqual([0, 0]);
  });

  it('refuses any dimension but 2', () => {
    expect(() => gridInputs(9, 3)).toThrow(/input dimension must be 2, got 3/);
    expect(() => generateInputs('grid', 9, 1, 0)).toThrow(RangeError);
  });
});

describe('sphere inputs', () => {
  it('lie on the sphere of radius √d by default, with unit second moment per coordinate', () => {
    const d = 5;
    const n = 20000;
    const x = sphereInputs(n, d, 4);
    let worst = 0;
    for (let k = 0; k < n; k++) {
      let squared = 0;
      for (let i = 0; i < d; i++) squared += x[k * d + i] ** 2;
      worst = Math.max(worst, Math.abs(Math.sqrt(squared) - Math.sqrt(d)));
    }
    expect(worst).toBeLessThan(1e-12);
    const { mean, square } = moments(x, d);
    for (let i = 0; i < d; i++) {
      expect(Math.abs(mean[i])).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(square[i] - 1)).toBeLessThan(0.05);
    }
  });

  it('takes another radius and is deterministic', () => {
    const x = generateInputs('sphere', 10, 3, 1, 0, { radius: 2 });
    expect(Math.hypot(x[0], x[1], x[2])).toBeCloseTo(2, 12);
    expect(sphereInputs(10, 3, 1)).toEqual(sphereInputs(10, 3, 1));
    // d = 1: the "sphere" is {−1, +1}
    for (const v of sphereInputs(20, 1, 0)) expect(Math.abs(v)).toBeCloseTo(1, 15);
  });
});

describe('generateInputs', () => {
  it('dispatches every generated kind and reports the row count', () => {
    for (const kind of ['normal', 'uniform', 'sobol', 'grid', 'sphere'] as const) {
      const x = generateInputs(kind, 50, 2, 9);
      expect(x.length / 2).toBe(inputSampleCount(kind, 50));
      expect(x.every(Number.isFinite)).toBe(true);
    }
    expect(generateInputs('normal', 7, 2, 3, 1)).toEqual(normalInputs(7, 2, 3, 1));
    expect(CUBE_HALF_WIDTH).toBe(SQRT3);
  });
});
