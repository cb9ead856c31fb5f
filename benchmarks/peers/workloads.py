"""Shared workload table, CLI, timing loop and output helpers for the peer baselines.

Pure standard library (no numpy, no framework): `jax_bench.py` and `torch_bench.py` import this,
and `--dry-run` runs on nothing but Python.

The model and data are the ones the Node benchmark (`benchmarks/node-bench.ts`) uses:

  f(x) = sum_j a_j softplus(w_j . x + b_j) + c0     one hidden layer of width r, biases on, float32
  L    = (1/N) sum_n (f(x_n) - y_n)^2               mean squared error, no 1/2
  theta (flat, per network, length P = r*d + 2r + 1) = [W row-major (r x d), b (r), a (r), c0]
  init: W ~ N(0, 2/(d+r)), a ~ N(0, 2/(r+1)), b = 0, c0 = 0             (Glorot normal)
  data: x ~ N(0, 1) of shape (N, d), shared by all networks ((B, N, d) for W4-pernet);
        y = sin(x . u), u_i = (+1 if i even else -1) / sqrt(d)  (a fixed unit vector)
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional


@dataclass(frozen=True)
class Workload:
    name: str
    B: int  # networks
    N: int  # samples
    d: int  # input dimension
    r: int  # hidden width
    per_net: bool = False  # every network its own dataset (x of shape (B, N, d))

    @property
    def P(self) -> int:
        return self.r * self.d + 2 * self.r + 1


WORKLOADS: List[Workload] = [
    Workload('W1', 4096, 1024, 8, 8),
    Workload('W2', 16384, 1024, 16, 16),
    Workload('W3', 4096, 4096, 8, 8),
    Workload('W4', 4096, 10000, 2, 4),
    Workload('W4-pernet', 4096, 10000, 2, 4, per_net=True),
]

OPS: List[str] = ['grad', 'hvp', 'gd', 'adam', 'sgd', 'rk', 'stiff']

# what one counted "network step" is, per op
UNITS: Dict[str, str] = {
    'grad': 'loss+gradient evaluations',
    'hvp': 'Hessian-vector products (power iteration, forward-over-reverse)',
    'gd': 'gradient-descent steps',
    'adam': 'Adam steps',
    'sgd': 'minibatch SGD steps',
    'rk': 'gradient-flow RHS evaluations (4 per RK4 step)',
    'stiff': 'linearly implicit Euler steps (full Hessian + batched solve)',
}

# optimiser / integrator constants, the same in both frameworks
HYPER: Dict[str, Any] = {
    'gd_lr': 0.01,
    'adam_lr': 1e-3,
    'adam_b1': 0.9,
    'adam_b2': 0.999,
    'adam_eps': 1e-8,
    'sgd_lr': 0.1,
    'sgd_batch': 16,
    'rk_h': 0.01,  # RK4 step of theta' = -grad L(theta)
    'stiff_h': 0.1,  # theta <- theta - h (I + h H)^-1 g   (linearly implicit Euler for theta' = -g)
}

DEFAULT_SECONDS = 1.0
DEFAULT_STEPS = 100
DEFAULT_BUDGET = 240.0
CPU_SCALE = 64
_T0 = time.perf_counter()  # --budget counts from here (imports and framework start-up included)


def teacher_direction(d: int) -> List[float]:
    """u_i = (+1 if i even else -1)/sqrt(d), as in benchmarks/node-bench.ts."""
    s = 1.0 / math.sqrt(d)
    return [s if i % 2 == 0 else -s for i in range(d)]


def glorot_std(d: int, r: int) -> Dict[str, float]:
    return {'W': math.sqrt(2.0 / (d + r)), 'a': math.sqrt(2.0 / (r + 1))}


def scaled(w: Workload, scale: int) -> Workload:
    """Divide B and N by `scale` (N at least 16), as the Node benchmark does on software backends."""
    if scale <= 1:
        return w
    return replace(w, B=max(1, round(w.B / scale)), N=max(16, round(w.N / scale)))


def select_workloads(spec: str) -> List[Workload]:
    names = [s.strip() for s in spec.split(',') if s.strip()]
    known = {w.name: w for w in WORKLOADS}
    out = []
    for n in names:
        if n not in known:
            raise SystemExit(f'unknown workload {n!r}; known: {", ".join(known)}')
        out.append(known[n])
    return out


def select_ops(spec: str) -> List[str]:
    ops = [s.strip() for s in spec.split(',') if s.strip()]
    for o in ops:
        if o not in OPS:
            raise SystemExit(f'unknown op {o!r}; known: {", ".join(OPS)}')
    return ops


def steps_per_call(op: str, args: argparse.Namespace) -> int:
    """Network steps (in the op's unit) each network does in one timed call."""
    if op == 'stiff':
        return args.stiff_steps
    if op == 'rk':
        return 4 * args.steps
    return args.steps


def hessian_chunk(w: Workload, mem_mb: float) -> int:
    """Networks whose Hessians are formed at once: jacfwd(jacrev) keeps a few P x N x r tensors per
    network alive, so take the largest divisor of B with chunk * P * N * r * 4 bytes <= mem_mb."""
    per_net = 4.0 * w.P * w.N * w.r
    cap = max(1, int(mem_mb * 2 ** 20 // per_net))
    best = 1
    for c in range(1, min(cap, w.B) + 1):
        if w.B % c == 0:
            best = c
    return best


def build_arg_parser(framework: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=f'{framework} peer baseline for the channelscope benchmark workloads '
        '(network-steps per second; see benchmarks/peers/README.md).')
    p.add_argument('--json', action='store_true', help='print one JSON document on stdout')
    p.add_argument('--workloads', default=','.join(w.name for w in WORKLOADS),
                   help='comma-separated subset of ' + ','.join(w.name for w in WORKLOADS))
    p.add_argument('--ops', default=','.join(OPS), help='comma-separated subset of ' + ','.join(OPS))
    p.add_argument('--seconds', type=float, default=DEFAULT_SECONDS,
                   help='minimum timed wall time per measurement (default %(default)s)')
    p.add_argument('--steps', type=int, default=DEFAULT_STEPS,
                   help='steps fused into one timed call for grad/hvp/gd/adam/sgd/rk (rk: RK4 steps, '
                   '4 RHS evaluations each) (default %(default)s)')
    p.add_argument('--stiff-steps', type=int, default=1, help='stiff steps per timed call (default 1)')
    p.add_argument('--device', choices=['auto', 'gpu', 'cpu'], default='auto',
                   help='auto: the GPU if the framework sees one, else the CPU')
    p.add_argument('--scale', type=int, default=None,
                   help=f'divide B and N by this (default: {CPU_SCALE} on CPU, 1 on GPU)')
    p.add_argument('--seed', type=int, default=7)
    p.add_argument('--tf32', action='store_true',
                   help='allow TF32 matrix products (default: strict float32, like channelscope)')
    p.add_argument('--stiff-solver', choices=['lu', 'cholesky'], default='lu',
                   help='batched solve of (I + hH) x = g (default lu: I + hH need not be positive definite)')
    p.add_argument('--hess-mem-mb', type=float, default=2048.0,
                   help='memory bound (MiB) for one chunk of per-network Hessians, one P*N*r float32 '
                   'tensor per network (default %(default)s)')
    p.add_argument('--budget', type=float, default=DEFAULT_BUDGET,
                   help='stop starting new measurements after this many seconds, marking the rest '
                   'skipped; 0 = no limit (default %(default)s)')
    p.add_argument('--dry-run', action='store_true',
                   help='print the workloads and planned measurements; import no framework')
    return p


def plan(args: argparse.Namespace, scale: int, device_kind: str, mode_for: Callable[[Workload, str], str]) -> List[Dict[str, Any]]:
    rows = []
    for full in select_workloads(args.workloads):
        w = scaled(full, scale)
        for op in select_ops(args.ops):
            row = base_result(w, op, args, scale)
            row['mode'] = mode_for(w, op)
            if op == 'stiff':
                row['hessianChunk'] = hessian_chunk(w, args.hess_mem_mb)
                row['hessianBytes'] = 4 * w.B * w.P * w.P
            row['dataBytes'] = 4 * (w.B if w.per_net else 1) * w.N * (w.d + 1)
            rows.append(row)
    return rows


def base_result(w: Workload, op: str, args: argparse.Namespace, scale: int) -> Dict[str, Any]:
    row: Dict[str, Any] = {
        'workload': w.name, 'op': op, 'networkStepsPerSecond': None,
        'B': w.B, 'N': w.N, 'd': w.d, 'r': w.r, 'P': w.P, 'perNetworkData': w.per_net,
        'unit': UNITS[op], 'stepsPerCall': steps_per_call(op, args),
    }
    if scale > 1:
        row['scaledDown'] = f'B and N divided by {scale} (CPU fallback)'
    return row


def time_calls(call: Callable[[], Any], sync: Callable[[Any], None], seconds: float) -> Dict[str, float]:
    """Warm up (compile) with one call, time one more to size the run, then time enough calls back
    to back (one synchronisation at the end) to last at least `seconds`. A single call that already
    lasts `seconds` is the measurement."""
    t0 = time.perf_counter()
    sync(call())
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    sync(call())
    one = time.perf_counter() - t0
    if one >= seconds:
        return {'calls': 1, 'seconds': one, 'warmupSeconds': warm}
    calls = max(1, math.ceil(seconds / max(one, 1e-7)))
    for attempt in range(4):
        t0 = time.perf_counter()
        out = None
        for _ in range(calls):
            out = call()
        sync(out)
        elapsed = time.perf_counter() - t0
        if elapsed >= 0.9 * seconds or attempt == 3:
            break
        calls = max(calls + 1, math.ceil(calls * 1.1 * seconds / max(elapsed, 1e-7)))
    return {'calls': calls, 'seconds': elapsed, 'warmupSeconds': warm}


def finish_result(row: Dict[str, Any], timing: Dict[str, float], B: int) -> Dict[str, Any]:
    row['seconds'] = timing['seconds']
    row['calls'] = int(timing['calls'])
    row['warmupSeconds'] = timing['warmupSeconds']
    row['networkStepsPerSecond'] = B * row['stepsPerCall'] * timing['calls'] / timing['seconds']
    return row


class Runner:
    """Loops over (workload, op), keeps errors per measurement, respects --budget, prints."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.start = _T0
        self.results: List[Dict[str, Any]] = []

    def over_budget(self) -> bool:
        return self.args.budget > 0 and time.perf_counter() - self.start > self.args.budget

    def add(self, row: Dict[str, Any]) -> None:
        self.results.append(row)
        if not self.args.json:
            print_row(row)
            sys.stdout.flush()


def print_row(row: Dict[str, Any]) -> None:
    head = f"{row['workload']:<10} {row['op']:<6}"
    shape = f"(B={row['B']} N={row['N']} d={row['d']} r={row['r']})"
    if row.get('error'):
        print(f"{head} {'-':>12}   {shape}  ERROR: {row['error']}")
        return
    rate = row.get('networkStepsPerSecond')
    if rate is None:
        print(f"{head} {'plan':>12}   {shape}  {row.get('mode', '')}  [{row['unit']}, {row['stepsPerCall']}/call]")
        return
    extra = f"  {row.get('mode', '')}  [{row['seconds']:.2f}s, {row['calls']} calls, warm-up {row['warmupSeconds']:.1f}s]"
    if row.get('scaledDown'):
        extra += '  SCALED DOWN'
    print(f"{head} {rate / 1e6:12.4f} M network-steps/s  {shape}{extra}")


def error_text(e: BaseException, limit: int = 400) -> str:
    text = f'{type(e).__name__}: {e}'.strip().replace('\n', ' ')
    return text if len(text) <= limit else text[:limit] + '…'


def header(framework: str, version: Optional[str], device: Optional[str], args: argparse.Namespace, **extra: Any) -> Dict[str, Any]:
    doc: Dict[str, Any] = {
        'framework': framework,
        'version': version,
        'device': device,
        'date': datetime.now(timezone.utc).isoformat(timespec='seconds'),
        'python': platform.python_version(),
        'host': platform.node(),
        'config': {
            'seconds': args.seconds, 'steps': args.steps, 'stiffSteps': args.stiff_steps,
            'seed': args.seed, 'tf32': args.tf32, 'stiffSolver': args.stiff_solver,
            'hessMemMb': args.hess_mem_mb, 'budget': args.budget, 'hyper': HYPER,
            'teacher': 'y = sin(x.u), u_i = (+1 if i even else -1)/sqrt(d); x ~ N(0,1)',
        },
    }
    doc.update(extra)
    return doc


def emit(doc: Dict[str, Any], args: argparse.Namespace) -> None:
    if args.json:
        json.dump(doc, sys.stdout, indent=2, default=str)
        sys.stdout.write('\n')
    else:
        if doc.get('error'):
            print(f"{doc['framework']}: ERROR: {doc['error']}")
    sys.stdout.flush()


def missing_framework(framework: str, args: argparse.Namespace, e: BaseException) -> None:
    """The framework cannot be imported: say so (as JSON under --json) and exit 0."""
    doc = header(framework, None, None, args, results=[], error=f'{framework} not available: {error_text(e)}')
    emit(doc, args)
    sys.exit(0)


def dry_run(framework: str, args: argparse.Namespace, mode_for: Callable[[Workload, str], str]) -> None:
    scale = args.scale if args.scale is not None else (CPU_SCALE if args.device == 'cpu' else 1)
    rows = plan(args, scale, args.device, mode_for)
    doc = header(framework, None, f'dry run (--device {args.device})', args, dryRun=True, results=rows)
    if args.json:
        emit(doc, args)
        return
    print(f'{framework} dry run: {len(rows)} measurements planned (nothing imported, nothing timed)')
    for row in rows:
        print_row(row)
        if row['op'] == 'stiff':
            print(f"{'':18}Hessians {row['hessianBytes'] / 2**30:.2f} GiB, chunk {row['hessianChunk']} networks")


if __name__ == '__main__':
    # `python3 workloads.py` prints the table
    for w in WORKLOADS:
        print(f'{w.name:<10} B={w.B:<6} N={w.N:<6} d={w.d:<3} r={w.r:<3} P={w.P:<4} per-network data={w.per_net}')
