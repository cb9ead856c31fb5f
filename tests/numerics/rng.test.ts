import { describe, expect, it } from 'vitest';
import { philox4x32, RandomStream, STREAMS, toUniform } from '../../src/numerics/rng.js';

describe('Philox4x32-10', () => {
  // known-answer vectors of the Random123 distribution (kat_vectors, philox4x32 10 rounds)
  it('matches the Random123 known-answer tests', () => {
    expect(philox4x32(0, 0, 0, 0, 0, 0)).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    const ones = 0xffffffff;
    expect(philox4x32(ones, ones, ones, ones, ones, ones)).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0)).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
  });

  it('depends only on (seed, run, stream, counter)', () => {
    const a = new RandomStream(42, 3, STREAMS.init);
    const b = new RandomStream(42, 3, STREAMS.init);
    const drawsA = Array.from({ length: 10 }, () => a.normal());
    expect(Array.from({ length: 10 }, () => b.normal())).toEqual(drawsA);
    const otherRun = new RandomStream(42, 4, STREAMS.init);
    expect(otherRun.normal()).not.toEqual(drawsA[0]);
  });

  it('gives uniforms in [0, 1) with the right moments', () => {
    expect(toUniform(0)).toBe(0);
    expect(toUniform(0xffffffff)).toBeLessThan(1);
    const s = new RandomStream(1, 0, STREAMS.verify);
    let mean = 0, square = 0;
    const n = 20000;
    for (let k = 0; k < n; k++) {
      const z = s.normal();
      mean += z / n;
      square += (z * z) / n;
    }
    // 5 standard errors
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(square - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });
});
