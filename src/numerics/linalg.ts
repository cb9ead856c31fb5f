// Small dense linear algebra in float64 for the stiff integrator, the second-order polish and the
// analysis: symmetric P×P matrices (P ≤ a few hundred) stored row-major in a Float64Array, entry
// (i, j) at i·P + j. Cholesky (with an explicit failure result: the stiff solvers reject a step whose
// matrix is not positive definite rather than factor an indefinite one), triangular solves, a cyclic
// Jacobi eigen-solver for spectra, and the exact Hessian assembled column by column from
// Hessian-vector products.

/** A Cholesky factorisation A = L·Lᵀ, or why it failed. */
export type CholeskyResult =
  | {
      ok: true;
      /** L, lower triangular, row-major n×n (the strict upper triangle is zero) */
      factor: Float64Array;
      n: number;
    }
  | {
      ok: false;
      /** index k of the first pivot A_kk − Σ L_kj² that was not positive (or not finite) */
      pivot: number;
      /** that pivot's value (≤ 0, or NaN/±Infinity when A held non-finite entries) */
      value: number;
    };

function checkSquare(a: Float64Array, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what}: size must be a positive integer, got ${n}`);
  if (a.length !== n * n) throw new RangeError(`${what}: matrix holds ${a.length} values, expected ${n}×${n}`);
}

/**
 * Cholesky factorisation of a symmetric matrix (only the lower triangle is read). Fails, with the
 * pivot index, when A is not (numerically) positive definite: a pivot ≤ 0 or not finite. There is
 * no tolerance: a pivot of 1e-300 passes, and the caller judges conditioning if it must.
 */
export function cholesky(a: Float64Array, n: number): CholeskyResult {
  checkSquare(a, n, 'cholesky');
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let pivot = a[rowJ + j];
    for (let k = 0; k < j; k++) pivot -= l[rowJ + k] * l[rowJ + k];
    if (!(pivot > 0) || !Number.isFinite(pivot)) return { ok: false, pivot: j, value: pivot };
    const diagonal = Math.sqrt(pivot);
    l[rowJ + j] = diagonal;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j];
      for (let k = 0; k < j; k++) s -= l[rowI + k] * l[rowJ + k];
      l[rowI + j] = s / diagonal;
    }
  }
  return { ok: true, factor: l, n };
}

/** Solves L·y = b (L lower triangular, row-major n×n); `out` may be `b`. */
export function forwardSubstitution(l: Float64Array, n: number, b: Float64Array, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[row + k] * out[k];
    out[i] = s / l[row + i];
  }
  return out;
}

/** Solves Lᵀ·x = y (L lower triangular, row-major n×n); `out` may be `y`. */
export function backSubstitutionTransposed(l: Float64Array, n: number, y: Float64Array, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * out[k];
    out[i] = s / l[i * n + i];
  }
  return out;
}

/** Solves A·x = b from A's Cholesky factor L (A = L·Lᵀ); `out` may be `b`. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, out: Float64Array = new Float64Array(n)): Float64Array {
  if (b.length !== n || out.length !== n) throw new RangeError(`choleskySolve: vectors must hold ${n} values`);
  forwardSubstitution(l, n, b, out);
  return backSubstitutionTransposed(l, n, out, out);
}

/** y = A·x for a row-major n×n matrix. */
export function matVec(a: Float64Array, n: number, x: Float64Array, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) s += a[row + j] * x[j];
    out[i] = s;
  }
  return out;
}

/** Replaces A by (A + Aᵀ)/2 in place and returns the largest |A_ij − A_ji| seen before. */
export function symmetrize(a: Float64Array, n: number): number {
  checkSquare(a, n, 'symmetrize');
  let asymmetry = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const upper = a[i * n + j];
      const lower = a[j * n + i];
      asymmetry = Math.max(asymmetry, Math.abs(upper - lower));
      const mean = 0.5 * (upper + lower);
      a[i * n + j] = mean;
      a[j * n + i] = mean;
    }
  }
  return asymmetry;
}

/** Hessian-vector product v ↦ H·v written into out (out is zeroed or overwritten by the callee). */
export type HessianVectorProduct = (v: Float64Array, out: Float64Array) => void;

/**
 * The exact Hessian, column j = H·e_j from P Hessian-vector products, then symmetrised
 * ((H + Hᵀ)/2: the HVPs are exact up to rounding, so this only removes rounding noise).
 * Costs P HVPs.
 */
export function hessianMatrix(hvp: HessianVectorProduct, P: number, out: Float64Array = new Float64Array(P * P)): Float64Array {
  if (!Number.isInteger(P) || P < 1) throw new RangeError(`hessianMatrix: P must be a positive integer, got ${P}`);
  if (out.length !== P * P) throw new RangeError(`hessianMatrix: out holds ${out.length} values, expected ${P}×${P}`);
  const unit = new Float64Array(P);
  const column = new Float64Array(P);
  for (let j = 0; j < P; j++) {
    unit.fill(0);
    unit[j] = 1;
    column.fill(0);
    hvp(unit, column);
    for (let i = 0; i < P; i++) out[i * P + j] = column[i];
  }
  symmetrize(out, P);
  return out;
}

export interface SymmetricEigen {
  /** eigenvalues in ascending order */
  values: Float64Array;
  /** the matching unit eigenvectors as columns of a row-major n×n matrix (vector k: entries i·n + k), when requested */
  vectors?: Float64Array;
  /** Jacobi sweeps used */
  sweeps: number;
}

/**
 * Eigenvalues (and optionally eigenvectors) of a symmetric matrix by the cyclic Jacobi method with
 * threshold (Rutishauser's rotations). Accurate to a few ulps of max|λ| — small eigenvalues are
 * found with absolute, not relative, accuracy of about 1e-16·max|λ|. O(n³) per sweep and usually
 * 6–10 sweeps: fine for n ≤ 128, slow beyond a few hundred. Only the upper triangle is read.
 */
export function symmetricEigen(a: Float64Array, n: number, options: { vectors?: boolean; maxSweeps?: number } = {}): SymmetricEigen {
  checkSquare(a, n, 'symmetricEigen');
  const m = a.slice();
  // use the upper triangle as the source of truth
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m[i * n + j] = m[j * n + i];
  const wantVectors = options.vectors ?? false;
  const v = wantVectors ? new Float64Array(n * n) : undefined;
  if (v) for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const maxSweeps = options.maxSweeps ?? 60;
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let offDiagonal = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      scale += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) offDiagonal += m[i * n + j] * m[i * n + j];
    }
    scale += 2 * offDiagonal;
    if (offDiagonal === 0 || offDiagonal <= 1e-36 * scale) break;
    // in the first sweeps skip small entries (threshold Jacobi); later rotate everything non-negligible
    const threshold = sweeps < 3 ? (0.2 * Math.sqrt(offDiagonal)) / (n * n) : 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        const g = 100 * Math.abs(apq);
        // after a few sweeps an entry negligible against both diagonals is set to zero
        if (sweeps > 3 && Math.abs(app) + g === Math.abs(app) && Math.abs(aqq) + g === Math.abs(aqq)) {
          m[p * n + q] = 0;
          m[q * n + p] = 0;
          continue;
        }
        if (Math.abs(apq) <= threshold || apq === 0) continue;
        const difference = aqq - app;
        let t: number;
        if (Math.abs(difference) + g === Math.abs(difference)) t = apq / difference;
        else {
          const theta = (0.5 * difference) / apq;
          t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
          if (theta < 0) t = -t;
        }
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        const tau = s / (1 + c);
        m[p * n + p] = app - t * apq;
        m[q * n + q] = aqq + t * apq;
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let r = 0; r < n; r++) {
          if (r === p || r === q) continue;
          const arp = m[r * n + p];
          const arq = m[r * n + q];
          const newRp = arp - s * (arq + tau * arp);
          const newRq = arq + s * (arp - tau * arq);
          m[r * n + p] = newRp;
          m[p * n + r] = newRp;
          m[r * n + q] = newRq;
          m[q * n + r] = newRq;
        }
        if (v) {
          for (let r = 0; r < n; r++) {
            const vrp = v[r * n + p];
            const vrq = v[r * n + q];
            v[r * n + p] = vrp - s * (vrq + tau * vrp);
            v[r * n + q] = vrq + s * (vrp - tau * vrq);
          }
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((i, j) => m[i * n + i] - m[j * n + j]);
  const values = Float64Array.from(order, (k) => m[k * n + k]);
  if (!v) return { values, sweeps };
  const vectors = new Float64Array(n * n);
  order.forEach((k, column) => {
    for (let r = 0; r < n; r++) vectors[r * n + column] = v[r * n + k];
  });
  return { values, vectors, sweeps };
}
