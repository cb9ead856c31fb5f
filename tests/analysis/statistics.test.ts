// Wilson intervals against published values, the normal quantile, outcome tables and loss levels.
import { describe, expect, it } from 'vitest';
import { normalCdf } from '../../src/model/activations.js';
import { cochranArmitageTrend, groupCounts, lossLevels, mcnemarExact, newcombeDifference, newcombePairedDifference, normalQuantile, wilsonInterval, Z_95 } from '../../src/analysis/statistics.js';

describe('wilsonInterval', () => {
  it('matches known 95% intervals', () => {
    const cases: [number, number, number, number][] = [
      [5, 10, 0.2366, 0.7634],
      [0, 20, 0, 0.1611],
      [1, 10, 0.0179, 0.4042],
      [10, 10, 0.7225, 1],
      [50, 100, 0.4038, 0.5962],
    ];
    for (const [s, n, low, high] of cases) {
      const interval = wilsonInterval(s, n);
      expect(interval.fraction).toBe(s / n);
      expect(interval.low).toBeCloseTo(low, 4);
      expect(interval.high).toBeCloseTo(high, 4);
    }
    expect(wilsonInterval(0, 20).low).toBe(0);
    expect(wilsonInterval(20, 20).high).toBe(1);
  });

  it('other confidence levels, n = 0, invalid input', () => {
    // 90%: z = 1.6448536269514722; 5/10 → 0.5 ± z/(1 + z²/10)·√(0.025 + z²/400)
    const z = 1.6448536269514722;
    const half = (z / (1 + (z * z) / 10)) * Math.sqrt(0.025 + (z * z) / 400);
    const interval = wilsonInterval(5, 10, 0.9);
    expect(interval.low).toBeCloseTo(0.5 - half, 13);
    expect(interval.high).toBeCloseTo(0.5 + half, 13);
    const empty = wilsonInterval(0, 0);
    expect([empty.low, empty.high]).toEqual([0, 1]);
    expect(Number.isNaN(empty.fraction)).toBe(true);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 2, 1)).toThrow(RangeError);
  });

  it('normalQuantile inverts Φ', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(Z_95, 14);
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 14);
    expect(normalQuantile(0.5)).toBe(0);
    for (const p of [1e-300, 1e-10, 0.001, 0.3, 0.7, 0.999]) {
      expect(Math.abs(normalCdf(normalQuantile(p)) - p) / p).toBeLessThan(1e-13);
    }
  });
});

describe('newcombeDifference', () => {
  it("reproduces Newcombe's (1998) table II, method 10, to its four decimals", () => {
    // (successes₁, n₁, successes₂, n₂) → [low, high] of p₁ − p₂: the paper's examples (a)–(h)
    const table: [number, number, number, number, number, number][] = [
      [56, 70, 48, 80, 0.0524, 0.3339],
      [9, 10, 3, 10, 0.1705, 0.809],
      [6, 7, 2, 7, 0.0582, 0.8062],
      [5, 56, 0, 29, -0.0381, 0.1926],
      [0, 10, 0, 20, -0.1611, 0.2775],
      [0, 10, 0, 10, -0.2775, 0.2775],
      [10, 10, 0, 20, 0.6791, 1],
      [10, 10, 0, 10, 0.6075, 1],
    ];
    for (const [k1, n1, k2, n2, low, high] of table) {
      const d = newcombeDifference(wilsonInterval(k1, n1), wilsonInterval(k2, n2));
      expect(d.difference, `${k1}/${n1} − ${k2}/${n2}`).toBeCloseTo(k1 / n1 - k2 / n2, 12);
      expect(d.low, `${k1}/${n1} − ${k2}/${n2}`).toBeCloseTo(low, 4);
      expect(d.high, `${k1}/${n1} − ${k2}/${n2}`).toBeCloseTo(high, 4);
    }
  });

  it('is antisymmetric, stays in [−1, 1], and says nothing of an empty group', () => {
    const [a, b] = [wilsonInterval(3, 40), wilsonInterval(31, 40)];
    const ab = newcombeDifference(a, b);
    const ba = newcombeDifference(b, a);
    expect(ab.difference).toBeCloseTo(-ba.difference, 15);
    expect(ab.low).toBeCloseTo(-ba.high, 15);
    expect(ab.high).toBeCloseTo(-ba.low, 15);
    expect(newcombeDifference(wilsonInterval(0, 3), wilsonInterval(3, 3)).low).toBeGreaterThanOrEqual(-1);
    expect(newcombeDifference(wilsonInterval(0, 0), b)).toEqual({ difference: NaN, low: NaN, high: NaN });
  });
});

describe('newcombePairedDifference', () => {
  it("reproduces Fagerland, Lydersen & Laake's example: complete response before and after consolidation therapy (Cavo et al. 2012)", () => {
    // 59 responded before and after, 6 before only, 16 after only, 80 neither: −0.0621 [−0.1186, −0.0046]
    const d = newcombePairedDifference({ both: 59, firstOnly: 6, secondOnly: 16, neither: 80 });
    expect(d.difference).toBeCloseTo(-10 / 161, 12);
    expect(d.low).toBeCloseTo(-0.1186, 4);
    expect(d.high).toBeCloseTo(-0.0046, 4);
  });

  it('is the independent interval where the sides are uncorrelated, narrower where twins end alike, antisymmetric, inside [−1, 1]', () => {
    // φ = 0 (ad − bc = 0): the paired interval is the independent one on the margins
    const uncorrelated = newcombePairedDifference({ both: 4, firstOnly: 4, secondOnly: 6, neither: 6 });
    const independent = newcombeDifference(wilsonInterval(8, 20), wilsonInterval(10, 20));
    expect(uncorrelated.low).toBeCloseTo(independent.low, 14);
    expect(uncorrelated.high).toBeCloseTo(independent.high, 14);
    // the same margins, twins mostly alike (φ > 0): narrower about the same difference
    const alike = newcombePairedDifference({ both: 8, firstOnly: 0, secondOnly: 2, neither: 10 });
    expect(alike.difference).toBeCloseTo(uncorrelated.difference, 14);
    expect(alike.high - alike.low).toBeLessThan(uncorrelated.high - uncorrelated.low);
    const swapped = newcombePairedDifference({ both: 8, firstOnly: 2, secondOnly: 0, neither: 10 });
    expect(swapped.low).toBeCloseTo(-alike.high, 14);
    expect(swapped.high).toBeCloseTo(-alike.low, 14);
    const extreme = newcombePairedDifference({ both: 0, firstOnly: 0, secondOnly: 5, neither: 0 });
    expect([extreme.difference, extreme.low >= -1, extreme.high <= 1]).toEqual([-1, true, true]);
    expect(newcombePairedDifference({ both: 0, firstOnly: 0, secondOnly: 0, neither: 0 })).toEqual({ difference: NaN, low: NaN, high: NaN });
    expect(() => newcombePairedDifference({ both: 1, firstOnly: -1, secondOnly: 0, neither: 0 })).toThrow(RangeError);
  });

  it('covers the true difference about 95% of the time for correlated twins (Monte Carlo, 4,000 tables of 40 pairs)', () => {
    // pairs (first, second) drawn with P(both) = 0.3, P(first only) = 0.1, P(second only) = 0.25: true difference −0.15
    let state = 12345;
    const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let covered = 0;
    const tables = 4000;
    for (let t = 0; t < tables; t++) {
      const counts = { both: 0, firstOnly: 0, secondOnly: 0, neither: 0 };
      for (let k = 0; k < 40; k++) {
        const u = uniform();
        if (u < 0.3) counts.both++;
        else if (u < 0.4) counts.firstOnly++;
        else if (u < 0.65) counts.secondOnly++;
        else counts.neither++;
      }
      const { low, high } = newcombePairedDifference(counts);
      if (low <= -0.15 && -0.15 <= high) covered++;
    }
    // Newcombe's method holds its nominal coverage closely; the binomial spread of 4,000 tables is ±0.7%
    expect(covered / tables).toBeGreaterThan(0.93);
    expect(covered / tables).toBeLessThan(0.975);
  });
});

describe('mcnemarExact', () => {
  it('is twice the binomial(n, ½) tail of the smaller discordant count, at most 1', () => {
    // by hand: 0 of 6 one way, 2·(1/2)⁶; 1 of 10, 2·(1 + 10)/2¹⁰; 2 of 12, 2·(1 + 12 + 66)/2¹²
    expect(mcnemarExact(0, 6)).toBeCloseTo(2 / 64, 15);
    expect(mcnemarExact(9, 1)).toBeCloseTo((2 * 11) / 1024, 15);
    expect(mcnemarExact(2, 10)).toBeCloseTo((2 * 79) / 4096, 15);
    expect(mcnemarExact(5, 5)).toBe(1);
    expect(mcnemarExact(0, 0)).toBe(1);
    expect(mcnemarExact(3, 4)).toBe(1);
    // Fagerland, Lydersen & Laake's example (Cavo et al. 2012): 6 and 16 discordant pairs, P = 0.052479
    expect(mcnemarExact(6, 16)).toBeCloseTo(0.052479, 6);
    // thousands of pairs (a full optimizer-comparison): no underflow, near the continuity-corrected normal tail
    const corrected = 2 * normalCdf(-(100 - 1) / Math.sqrt(2100));
    expect(mcnemarExact(1000, 1100)).toBeCloseTo(corrected, 3);
    // either side of 1,000 pairs (term by term below, in logarithms above): the same tail
    expect(mcnemarExact(460, 540)).toBeCloseTo(2 * normalCdf(-(80 - 1) / Math.sqrt(1000)), 3);
    expect(mcnemarExact(460, 541) / mcnemarExact(460, 540)).toBeGreaterThan(0.8);
    expect(mcnemarExact(460, 541) / mcnemarExact(460, 540)).toBeLessThan(1);
    expect(() => mcnemarExact(-1, 2)).toThrow(RangeError);
  });
});

describe('cochranArmitageTrend', () => {
  it("reproduces Agresti's example: infant malformation by maternal alcohol consumption, z² = 6.57, P = 0.01", () => {
    // Agresti, Categorical Data Analysis: malformed of all infants at 0, <1, 1–2, 3–5, ≥6 drinks a day, scores 0, 0.5, 1.5, 4, 7
    const groups = [[48, 17114, 0], [38, 14502, 0.5], [5, 793, 1.5], [1, 127, 4], [1, 38, 7]].map(([successes, n, score]) => ({ successes, n, score }));
    const { z, p } = cochranArmitageTrend(groups);
    // Agresti's M² = (N − 1)r² = 6.57 is this z² times (N − 1)/N
    expect(z).toBeGreaterThan(0);
    expect((z * z * (32574 - 1)) / 32574).toBeCloseTo(6.57, 2);
    expect(p).toBeCloseTo(0.0104, 4);
  });

  it('changes sign with the order of the scores, not with their scale or shift; nothing to test gives NaN', () => {
    const groups = [[2, 20, 0], [5, 20, 1], [9, 20, 2]].map(([successes, n, score]) => ({ successes, n, score }));
    const rising = cochranArmitageTrend(groups);
    expect(rising.z).toBeGreaterThan(2);
    const reversed = cochranArmitageTrend(groups.map((g) => ({ ...g, score: -g.score })));
    expect(reversed.z).toBeCloseTo(-rising.z, 12);
    expect(reversed.p).toBeCloseTo(rising.p, 12);
    expect(cochranArmitageTrend(groups.map((g) => ({ ...g, score: 10 + 3 * g.score }))).z).toBeCloseTo(rising.z, 12);
    expect(cochranArmitageTrend(groups.map((g) => ({ ...g, successes: 0 }))).z).toBeNaN();
    expect(cochranArmitageTrend(groups.map((g) => ({ ...g, successes: g.n }))).z).toBeNaN();
    expect(cochranArmitageTrend(groups.map((g) => ({ ...g, score: 1 }))).z).toBeNaN();
    expect(cochranArmitageTrend([]).z).toBeNaN();
    expect(() => cochranArmitageTrend([{ successes: 3, n: 2, score: 0 }])).toThrow(RangeError);
  });

  it('stratified: sums each stratum\'s statistic and variance, so strata that differ only in level show no trend', () => {
    const table = [[2, 20, 0], [5, 20, 1], [9, 20, 2]].map(([successes, n, score]) => ({ successes, n, score }));
    const plain = cochranArmitageTrend(table);
    expect(cochranArmitageTrend(table.map((g) => ({ ...g, stratum: 'one' }))).z).toBeCloseTo(plain.z, 12);
    // two identical strata: T and Var T double, z grows by √2
    const twice = cochranArmitageTrend([...table.map((g) => ({ ...g, stratum: 'a' })), ...table.map((g) => ({ ...g, stratum: 'b' }))]);
    expect(twice.z).toBeCloseTo(Math.SQRT2 * plain.z, 12);
    // no trend within either stratum, but the stratum with many successes has the high scores: pooled,
    // that passes for a trend; stratified, it does not
    const level = [
      { successes: 2, n: 20, score: 0, stratum: 'small' },
      { successes: 2, n: 20, score: 1, stratum: 'small' },
      { successes: 15, n: 20, score: 1, stratum: 'large' },
      { successes: 15, n: 20, score: 2, stratum: 'large' },
    ];
    expect(cochranArmitageTrend(level.map(({ stratum: _, ...g }) => g)).z).toBeGreaterThan(4);
    expect(cochranArmitageTrend(level).z).toBeCloseTo(0, 12);
  });
});

describe('groupCounts', () => {
  const records = [
    { r: 2, outcome: 'channel' },
    { r: 2, outcome: 'finite-minimum' },
    { r: 4, outcome: 'channel' },
    { r: 2, outcome: 'channel' },
    { r: 4, outcome: 'diverged' },
  ];

  it('counts outcomes per group with Wilson intervals, zeros included', () => {
    const table = groupCounts(records, (x) => `r=${x.r}`, (x) => x.outcome);
    expect(table.map((g) => [g.key, g.n])).toEqual([
      ['r=2', 3],
      ['r=4', 2],
    ]);
    expect(Object.keys(table[0].outcomes)).toEqual(['channel', 'finite-minimum', 'diverged']);
    expect(table[0].outcomes.channel.successes).toBe(2);
    expect(table[0].outcomes.channel).toEqual(wilsonInterval(2, 3));
    expect(table[0].outcomes.diverged.successes).toBe(0);
    expect(table[1].outcomes['finite-minimum']).toEqual(wilsonInterval(0, 2));
  });

  it('a fixed outcome list orders the columns and rejects strays', () => {
    const outcomes = ['diverged', 'channel', 'finite-minimum', 'plateau-saddle'] as const;
    const table = groupCounts(records, () => 'all', (x) => x.outcome as (typeof outcomes)[number], { outcomes });
    expect(Object.keys(table[0].outcomes)).toEqual([...outcomes]);
    expect(table[0].outcomes['plateau-saddle'].successes).toBe(0);
    expect(() => groupCounts(records, () => 'all', (x) => x.outcome, { outcomes: ['channel'] })).toThrow(RangeError);
  });
});

describe('lossLevels', () => {
  it('clusters sorted losses by relative distance to the level’s first value', () => {
    const losses = [0.2001, 0.1, 0.10005, NaN, 0.2, 0.10009, 0.3, 0.1002, Infinity];
    const { levels, nonFinite } = lossLevels(losses);
    expect(nonFinite).toEqual([3, 8]);
    expect(levels.map((l) => l.count)).toEqual([3, 1, 2, 1]);
    expect(levels[0]).toMatchObject({ loss: 0.1, max: 0.10009, indices: [1, 2, 5] });
    expect(levels[0].mean).toBeCloseTo((0.1 + 0.10005 + 0.10009) / 3, 15);
    expect(levels[1]).toMatchObject({ loss: 0.1002, indices: [7] });
    expect(levels[2]).toMatchObject({ loss: 0.2, max: 0.2001, indices: [4, 0] });
    expect(levels[3].loss).toBe(0.3);
  });

  it('does not chain a slow drift into one level; absTol merges values near 0', () => {
    const drift = Array.from({ length: 30 }, (_, k) => 1 + k * 2e-4);
    expect(lossLevels(drift).levels.length).toBeGreaterThanOrEqual(5); // spans 5.8e-3: ≥ 5 levels of width 1e-3, not one
    expect(lossLevels([1e-14, 3e-13, 2e-12]).levels).toHaveLength(3);
    expect(lossLevels([1e-14, 3e-13, 2e-12], 1e-3, 1e-10).levels).toHaveLength(1);
    expect(lossLevels([]).levels).toEqual([]);
  });
});
