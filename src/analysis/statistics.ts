// Fractions with Wilson score intervals, counts of outcomes per group, and clustering of converged
// losses into discrete levels (science.md: "Statistics are fractions with 95% Wilson intervals";
// "converged losses cluster at discrete values (relative tolerance 1e-3)").
import { normalCdf, normalDensity } from '../model/activations.js';

/** z_{0.975}: the two-sided 95% normal quantile. */
export const Z_95 = 1.959963984540054;

/** Standard normal quantile Φ⁻¹(p), 0 < p < 1: Halley iterations on the accurate Φ from a rational guess, ~1e-15 relative. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs 0 < p < 1, got ${p}`);
  if (p === 0.5) return 0;
  // work in the lower tail (Φ is accurate there), then reflect
  const lower = Math.min(p, 1 - p);
  // initial guess: the tail approximation t − (2.515517 + 0.802853t + 0.010328t²)/(1 + 1.432788t + 0.189269t² + 0.001308t³)
  const t = Math.sqrt(-2 * Math.log(lower));
  let x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let iteration = 0; iteration < 50; iteration++) {
    const density = normalDensity(x);
    if (density === 0) break;
    // Halley's step on Φ(x) − p
    const error = (normalCdf(x) - lower) / density;
    const step = error / (1 + (x * error) / 2);
    x -= step;
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(x))) break;
  }
  return p < 0.5 ? x : -x;
}

export interface Fraction {
  successes: number;
  n: number;
  /** successes/n (NaN for n = 0) */
  fraction: number;
  /** Wilson score interval at the requested confidence (0, 1 for n = 0) */
  low: number;
  high: number;
}

/**
 * Wilson score interval for a binomial fraction: with p̂ = s/n and z the two-sided normal quantile,
 *   centre = (p̂ + z²/2n)/(1 + z²/n), half-width = z/(1 + z²/n)·√(p̂(1 − p̂)/n + z²/4n²).
 * low = 0 exactly for s = 0 and high = 1 exactly for s = n. n = 0 gives [0, 1] and fraction NaN.
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Fraction {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) throw new RangeError(`successes must be an integer in [0, ${n}], got ${successes}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (n === 0) return { successes, n, fraction: NaN, low: 0, high: 1 };
  const z = confidence === 0.95 ? Z_95 : normalQuantile(0.5 + confidence / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const denominator = 1 + z2n;
  const centre = (p + z2n / 2) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  const low = successes === 0 ? 0 : Math.max(0, centre - half);
  const high = successes === n ? 1 : Math.min(1, centre + half);
  return { successes, n, fraction: p, low, high };
}

export interface Difference {
  /** first.fraction − second.fraction (NaN where a group is empty) */
  difference: number;
  low: number;
  high: number;
}

/**
 * Newcombe's hybrid score interval for the difference p₁ − p₂ of two independent binomial fractions
 * (Newcombe 1998, Stat. Med. 17:873, method 10), from their Wilson intervals [l₁, u₁], [l₂, u₂]:
 *   low = d − √((p₁ − l₁)² + (u₂ − p₂)²),  high = d + √((u₁ − p₁)² + (p₂ − l₂)²).
 * Unlike the Wald interval it stays inside [−1, 1] and keeps its coverage at 0 or n successes.
 * Both fractions at one confidence (wilsonInterval's); an empty group gives NaN throughout (no
 * difference to state, rather than an interval that looks computed).
 */
export function newcombeDifference(first: Fraction, second: Fraction): Difference {
  if (first.n === 0 || second.n === 0) return { difference: NaN, low: NaN, high: NaN };
  const difference = first.fraction - second.fraction;
  const low = difference - Math.hypot(first.fraction - first.low, second.high - second.fraction);
  const high = difference + Math.hypot(first.high - first.fraction, second.fraction - second.low);
  return { difference, low: Math.max(-1, low), high: Math.min(1, high) };
}

/** Pairs of binary outcomes (a run and its twin): in how many both sides had the outcome, the first only, the second only, neither. */
export interface PairedCounts {
  both: number;
  firstOnly: number;
  secondOnly: number;
  neither: number;
}

/**
 * Newcombe's square-and-add interval for the difference p₁ − p₂ of two fractions measured on the same
 * pairs (Newcombe 1998, Stat. Med. 17:2635; as Fagerland, Lydersen & Laake, Statistical Analysis of
 * Contingency Tables, ch. 8, give it): the independent interval's two Wilson legs, less twice their
 * product times φ, the correlation of the two sides' outcomes,
 *   low = d − √((p₁ − l₁)² − 2φ(p₁ − l₁)(u₂ − p₂) + (u₂ − p₂)²),
 *   high = d + √((u₁ − p₁)² − 2φ(u₁ − p₁)(p₂ − l₂) + (p₂ − l₂)²),
 * with φ = (ad − bc)/√(margins) corrected towards 0 (0 for 0 ≤ ad − bc ≤ n/2, ad − bc − n/2 above;
 * 0 where a margin is empty). Twins that tend to end alike (φ > 0) narrow it: the pairing is used, as
 * McNemar's test uses it. No pairs: NaN throughout.
 */
export function newcombePairedDifference({ both: a, firstOnly: b, secondOnly: c, neither: d }: PairedCounts): Difference {
  for (const count of [a, b, c, d]) {
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`paired counts must be non-negative integers, got ${a}, ${b}, ${c}, ${d}`);
  }
  const n = a + b + c + d;
  if (n === 0) return { difference: NaN, low: NaN, high: NaN };
  const first = wilsonInterval(a + b, n);
  const second = wilsonInterval(a + c, n);
  const margins = (a + b) * (c + d) * (a + c) * (b + d);
  const cross = a * d - b * c;
  const phi = margins === 0 ? 0 : cross > n / 2 ? (cross - n / 2) / Math.sqrt(margins) : cross >= 0 ? 0 : cross / Math.sqrt(margins);
  const leg = (x: number, y: number) => Math.sqrt(Math.max(0, x * x - 2 * phi * x * y + y * y));
  const difference = (b - c) / n;
  const low = difference - leg(first.fraction - first.low, second.high - second.fraction);
  const high = difference + leg(first.high - first.fraction, second.fraction - second.low);
  return { difference, low: Math.max(-1, low), high: Math.min(1, high) };
}

/**
 * McNemar's exact test for paired binary outcomes (runs paired with their twins): of the discordant
 * pairs, `onlyFirst` have the outcome on the first side alone and `onlySecond` on the second alone;
 * under no difference each discordant pair goes either way with probability ½, so the two-sided
 * p-value is min(1, 2·P(X ≤ min(onlyFirst, onlySecond))), X ~ Binomial(onlyFirst + onlySecond, ½).
 * Beyond 1,000 discordant pairs summed in logarithms, so that 2⁻ⁿ does not underflow. 1 where no
 * pair is discordant.
 */
export function mcnemarExact(onlyFirst: number, onlySecond: number): number {
  if (!(Number.isInteger(onlyFirst) && onlyFirst >= 0 && Number.isInteger(onlySecond) && onlySecond >= 0)) {
    throw new RangeError(`McNemar's test needs counts of discordant pairs, got ${onlyFirst} and ${onlySecond}`);
  }
  const n = onlyFirst + onlySecond;
  const smaller = Math.min(onlyFirst, onlySecond);
  if (n <= 1000) {
    // C(n, k)·2⁻ⁿ term by term from 2⁻ⁿ (a normal double for n ≤ 1022): exact for small counts
    let term = 2 ** -n;
    let tail = 0;
    for (let k = 0; k <= smaller; k++) {
      tail += term;
      term *= (n - k) / (k + 1);
    }
    return Math.min(1, 2 * tail);
  }
  // log of C(n, k)·2⁻ⁿ for k = 0 … smaller, summed as exp(terms − largest)
  const logTerms: number[] = [];
  let logTerm = -n * Math.LN2;
  for (let k = 0; k <= smaller; k++) {
    logTerms.push(logTerm);
    logTerm += Math.log(n - k) - Math.log(k + 1);
  }
  const largest = Math.max(...logTerms);
  const tail = Math.exp(largest) * logTerms.reduce((sum, t) => sum + Math.exp(t - largest), 0);
  return Math.min(1, 2 * tail);
}

export interface Trend {
  /** the standardised trend statistic: positive where the fraction rises with the score */
  z: number;
  /** two-sided p-value, 2Φ(−|z|) */
  p: number;
}

/**
 * The Cochran–Armitage test for a linear trend of binomial fractions over ordered groups with scores
 * tᵢ (Agresti, Categorical Data Analysis, §5.3.5): with K = Σkᵢ successes of N = Σnᵢ and p̄ = K/N,
 *   T = Σ tᵢ(kᵢ − nᵢp̄),  Var T = p̄(1 − p̄)·(Σ nᵢtᵢ² − (Σ nᵢtᵢ)²/N),  z = T/√Var T.
 * Groups in several strata (e.g. network sizes whose fractions differ in level): T and Var T per
 * stratum, each with its own p̄, summed before z (the stratified, Mantel-extension form), so a
 * stratum's level does not pass for a trend. NaN where there is nothing to test: no stratum with
 * successes and failures and two scores.
 */
export function cochranArmitageTrend(groups: readonly { successes: number; n: number; score: number; stratum?: string }[]): Trend {
  for (const g of groups) {
    if (!(Number.isInteger(g.n) && g.n >= 0 && Number.isInteger(g.successes) && g.successes >= 0 && g.successes <= g.n) || !Number.isFinite(g.score)) {
      throw new RangeError(`a trend group needs 0 ≤ successes ≤ n, integers, and a finite score; got ${g.successes} of ${g.n} at ${g.score}`);
    }
  }
  const strata = new Map<string | undefined, (typeof groups)[number][]>();
  for (const g of groups) {
    const members = strata.get(g.stratum);
    if (members) members.push(g);
    else strata.set(g.stratum, [g]);
  }
  let T = 0;
  let variance = 0;
  for (const members of strata.values()) {
    const N = members.reduce((sum, g) => sum + g.n, 0);
    if (N === 0) continue;
    const pBar = members.reduce((sum, g) => sum + g.successes, 0) / N;
    const meanScore = members.reduce((sum, g) => sum + g.n * g.score, 0) / N;
    // scores centred on their mean: the same T and variance, without cancelling large sums
    T += members.reduce((sum, g) => sum + (g.score - meanScore) * (g.successes - g.n * pBar), 0);
    variance += pBar * (1 - pBar) * members.reduce((sum, g) => sum + g.n * (g.score - meanScore) ** 2, 0);
  }
  if (!(variance > 0)) return { z: NaN, p: NaN };
  const z = T / Math.sqrt(variance);
  return { z, p: 2 * normalCdf(-Math.abs(z)) };
}

export interface GroupCounts<O extends string = string> {
  key: string;
  /** records in the group */
  n: number;
  /** for every outcome (all outcomes seen anywhere, or options.outcomes): count and Wilson interval */
  outcomes: Record<O, Fraction>;
}

/**
 * Counts of outcomes per group, each with its Wilson interval. Groups appear in the order their
 * first record appears. Every group lists the same outcomes (zeros included): options.outcomes
 * when given (an outcome outside that list throws), else every outcome seen, in order of first
 * appearance.
 */
export function groupCounts<R, O extends string = string>(
  records: Iterable<R>,
  keyOf: (record: R) => string,
  outcomeOf: (record: R) => O,
  options: { outcomes?: readonly O[]; confidence?: number } = {},
): GroupCounts<O>[] {
  const outcomes: O[] = options.outcomes ? [...options.outcomes] : [];
  const fixed = options.outcomes !== undefined;
  const groups = new Map<string, Map<O, number>>();
  for (const record of records) {
    const key = keyOf(record);
    const outcome = outcomeOf(record);
    if (!outcomes.includes(outcome)) {
      if (fixed) throw new RangeError(`outcome "${outcome}" is not one of ${outcomes.join(', ')}`);
      outcomes.push(outcome);
    }
    let counts = groups.get(key);
    if (!counts) {
      counts = new Map();
      groups.set(key, counts);
    }
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  const result: GroupCounts<O>[] = [];
  for (const [key, counts] of groups) {
    let n = 0;
    for (const count of counts.values()) n += count;
    const table = {} as Record<O, Fraction>;
    for (const outcome of outcomes) table[outcome] = wilsonInterval(counts.get(outcome) ?? 0, n, options.confidence);
    result.push({ key, n, outcomes: table });
  }
  return result;
}

export interface LossLevel {
  /** the level's first (smallest) loss */
  loss: number;
  /** largest loss in the level */
  max: number;
  mean: number;
  count: number;
  /** indices into the input array of the losses in this level, ascending by loss */
  indices: number[];
}

export interface LossLevels {
  /** levels in ascending order of loss */
  levels: LossLevel[];
  /** indices of NaN/±Infinity losses (not clustered) */
  nonFinite: number[];
}

/**
 * Clusters losses into discrete levels: sorted ascending, a loss starts a new level when it
 * exceeds the current level's FIRST (smallest) value ℓ by more than max(relTol·|ℓ|, absTol). The
 * reference is the first value, not the previous one, so a slow drift cannot chain into one level.
 * absTol (default 0) is for losses near 0, where a relative tolerance separates every value.
 */
export function lossLevels(losses: ArrayLike<number>, relTol = 1e-3, absTol = 0): LossLevels {
  if (!(relTol >= 0)) throw new RangeError(`relTol must be non-negative, got ${relTol}`);
  if (!(absTol >= 0)) throw new RangeError(`absTol must be non-negative, got ${absTol}`);
  const nonFinite: number[] = [];
  const order: number[] = [];
  for (let k = 0; k < losses.length; k++) (Number.isFinite(losses[k]) ? order : nonFinite).push(k);
  order.sort((p, q) => losses[p] - losses[q] || p - q);
  const levels: LossLevel[] = [];
  let current: LossLevel | null = null;
  let sum = 0;
  const close = () => {
    if (current) current.mean = sum / current.count;
  };
  for (const k of order) {
    const value = losses[k];
    if (!current || value - current.loss > Math.max(relTol * Math.abs(current.loss), absTol)) {
      close();
      current = { loss: value, max: value, mean: value, count: 0, indices: [] };
      levels.push(current);
      sum = 0;
    }
    current.max = value;
    current.count++;
    current.indices.push(k);
    sum += value;
  }
  close();
  return { levels, nonFinite };
}

export interface Quartiles {
  /** finite values counted */
  n: number;
  low: number;
  median: number;
  high: number;
}

/** Lower quartile, median and upper quartile (linear interpolation between order statistics) of the finite values; NaN when none. */
export function quartiles(values: Iterable<number>): Quartiles {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  const at = (q: number): number => {
    if (sorted.length === 0) return NaN;
    const position = q * (sorted.length - 1);
    const below = Math.floor(position);
    const above = Math.min(sorted.length - 1, below + 1);
    return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
  };
  return { n: sorted.length, low: at(0.25), median: at(0.5), high: at(0.75) };
}
