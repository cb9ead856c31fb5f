// Compensated (Neumaier) summation: sums over 10⁴ samples keep ~1 ulp of accuracy instead of
// losing about log₁₀(N) digits, and stay exact when large terms cancel (Kahan's variant does not).

/**
 * A running sum with its compensation. A sum that overflowed stays ±Infinity: its compensation is
 * then ∞ − ∞ = NaN, which added would make a NaN of a sum of squares that is plainly infinite.
 */
function withCompensation(sum: number, compensation: number): number {
  return Number.isFinite(sum) ? sum + compensation : sum;
}

/** One running compensated sum. */
export class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(value: number): void {
    const total = this.sum + value;
    // whichever operand is smaller in magnitude lost its low-order bits in `total`: recover them
    if (Math.abs(this.sum) >= Math.abs(value)) this.compensation += this.sum - total + value;
    else this.compensation += value - total + this.sum;
    this.sum = total;
  }

  get value(): number {
    return withCompensation(this.sum, this.compensation);
  }

  reset(): void {
    this.sum = 0;
    this.compensation = 0;
  }
}

/** `length` independent compensated sums (e.g. one per parameter), stored in two flat arrays. */
export class CompensatedSums {
  private readonly sums: Float64Array;
  private readonly compensations: Float64Array;

  constructor(readonly length: number) {
    this.sums = new Float64Array(length);
    this.compensations = new Float64Array(length);
  }

  add(index: number, value: number): void {
    const sum = this.sums[index];
    const total = sum + value;
    if (Math.abs(sum) >= Math.abs(value)) this.compensations[index] += sum - total + value;
    else this.compensations[index] += value - total + sum;
    this.sums[index] = total;
  }

  /**
   * add(index, terms[from]), …, add(index, terms[from + count − 1]) with the running sum held in
   * locals: the same arithmetic, so the same bits, at a fraction of the memory traffic of `count`
   * add() calls.
   */
  addAll(index: number, terms: Float64Array, from: number, count: number): void {
    let sum = this.sums[index];
    let compensation = this.compensations[index];
    for (let t = from; t < from + count; t++) {
      const value = terms[t];
      const total = sum + value;
      if (Math.abs(sum) >= Math.abs(value)) compensation += sum - total + value;
      else compensation += value - total + sum;
      sum = total;
    }
    this.sums[index] = sum;
    this.compensations[index] = compensation;
  }

  /**
   * add(index, a[aFrom + t]·b[bFrom + t]) for t = 0, …, count − 1: addAll of the products without
   * writing them out first, the same arithmetic and so the same bits. (The Neumaier step is written out
   * here as in add and addAll on purpose: in the gradients' inner loops a shared function returning
   * the sum and its compensation would cost more than the step itself.)
   */
  addProducts(index: number, a: Float64Array, aFrom: number, b: Float64Array, bFrom: number, count: number): void {
    let sum = this.sums[index];
    let compensation = this.compensations[index];
    for (let t = 0; t < count; t++) {
      const value = a[aFrom + t] * b[bFrom + t];
      const total = sum + value;
      if (Math.abs(sum) >= Math.abs(value)) compensation += sum - total + value;
      else compensation += value - total + sum;
      sum = total;
    }
    this.sums[index] = sum;
    this.compensations[index] = compensation;
  }

  /** The compensated totals, each multiplied by `scale`, into `out`. */
  totals(scale = 1, out: Float64Array = new Float64Array(this.length)): Float64Array {
    for (let k = 0; k < this.length; k++) out[k] = scale * withCompensation(this.sums[k], this.compensations[k]);
    return out;
  }

  reset(): void {
    this.sums.fill(0);
    this.compensations.fill(0);
  }
}

/** Compensated sum of `count` values starting at `offset`. */
export function compensatedSum(values: ArrayLike<number>, offset = 0, count = values.length - offset): number {
  const sum = new CompensatedSum();
  for (let k = 0; k < count; k++) sum.add(values[offset + k]);
  return sum.value;
}

/** Compensated dot product Σ a[k]·b[k] (the products themselves are rounded once each). */
export function compensatedDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`dot product of vectors of lengths ${a.length} and ${b.length}`);
  const sum = new CompensatedSum();
  for (let k = 0; k < a.length; k++) sum.add(a[k] * b[k]);
  return sum.value;
}
