// Minimal dense linear least squares for the closed-form output weights of glu.ts: Householder QR
// with column pivoting (no normal equations: they would square the condition number of design
// matrices whose columns — σ of nearly parallel neurons — are nearly collinear). k is tiny (a
// hidden width plus two), N up to ~10⁵: O(N·k²) work.
import { CompensatedSum } from '../numerics/compensated-sum.js';

export interface LeastSquaresSolution {
  /** coefficients minimising ‖A·x − y‖ (0 for columns found linearly dependent) */
  x: Float64Array;
  /** ‖A·x − y‖², summed with compensation from the residuals themselves */
  residualSumOfSquares: number;
  /** numerical rank of A (columns with |R_ss| ≤ rankTolerance·|R_00| are dropped) */
  rank: number;
}

/**
 * min_x ‖A·x − y‖ for A given as `columns` (k columns of length N). Householder QR with column
 * pivoting (largest remaining column norm first); a column whose remaining norm is at most
 * `rankTolerance`·|R_00| is treated as dependent and gets coefficient 0 (a basic solution).
 */
export function leastSquares(columns: Float64Array[], y: ArrayLike<number>, rankTolerance = 1e-12): LeastSquaresSolution {
  const k = columns.length;
  const N = y.length;
  for (const column of columns) if (column.length !== N) throw new RangeError(`a column has ${column.length} entries, expected ${N}`);
  const work = columns.map((column) => Float64Array.from(column));
  const rhs = Float64Array.from(y);
  const permutation = Array.from({ length: k }, (_, c) => c);
  const diagonal = new Float64Array(k);
  let rank = 0;
  const steps = Math.min(k, N);
  for (let s = 0; s < steps; s++) {
    // pivot: the remaining column with the largest norm over rows s..N−1 (recomputed, no downdating)
    let pivot = s;
    let best = -1;
    for (let c = s; c < k; c++) {
      let sum = 0;
      const column = work[c];
      for (let r = s; r < N; r++) sum += column[r] * column[r];
      if (sum > best) {
        best = sum;
        pivot = c;
      }
    }
    [work[s], work[pivot]] = [work[pivot], work[s]];
    [permutation[s], permutation[pivot]] = [permutation[pivot], permutation[s]];
    const columnNorm = Math.sqrt(best);
    if (columnNorm === 0 || (s > 0 && columnNorm <= rankTolerance * Math.abs(diagonal[0]))) break;
    // Householder reflector H = I − 2vvᵀ/(vᵀv) mapping column s (rows s..) to alpha·e_s
    const v = work[s];
    const alpha = v[s] > 0 ? -columnNorm : columnNorm;
    v[s] -= alpha;
    let vv = 0;
    for (let r = s; r < N; r++) vv += v[r] * v[r];
    const apply = (target: Float64Array) => {
      let projection = 0;
      for (let r = s; r < N; r++) projection += v[r] * target[r];
      const factor = (2 * projection) / vv;
      for (let r = s; r < N; r++) target[r] -= factor * v[r];
    };
    for (let c = s + 1; c < k; c++) apply(work[c]);
    apply(rhs);
    diagonal[s] = alpha;
    rank = s + 1;
  }
  // back substitution R[0:rank, 0:rank]·z = (Qᵀy)[0:rank]; R_sc (c > s) lives in work[c][s]
  const z = new Float64Array(k);
  for (let s = rank - 1; s >= 0; s--) {
    let value = rhs[s];
    for (let c = s + 1; c < rank; c++) value -= work[c][s] * z[c];
    z[s] = value / diagonal[s];
  }
  const x = new Float64Array(k);
  for (let s = 0; s < k; s++) x[permutation[s]] = z[s];
  const residual = new CompensatedSum();
  for (let r = 0; r < N; r++) {
    let fit = 0;
    for (let c = 0; c < k; c++) fit += columns[c][r] * x[c];
    const e = fit - y[r];
    residual.add(e * e);
  }
  return { x, residualSumOfSquares: residual.value, rank };
}
