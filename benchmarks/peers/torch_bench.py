#!/usr/bin/env python3
"""PyTorch peer baseline for the channelscope workloads.

  python3 benchmarks/peers/torch_bench.py [--json] [--workloads W1,W2] [--ops grad,hvp,gd] [--seconds 1]
                                         [--torch-mode auto|eager|compile|cudagraph|compile+cudagraph]
  python3 benchmarks/peers/torch_bench.py --dry-run      # no PyTorch needed

All B networks live in one (B, P) parameter tensor; the loss of the ensemble is the sum of the
per-network losses, so torch.func.grad of that sum is every network's own gradient and
torch.func.jvp of it is every network's own Hessian-vector product (the Hessian is block diagonal).
The stiff op uses torch.func.vmap(torch.func.hessian(per-network loss), chunk_size=…).

Execution modes (`mode` in the output says which one ran):
  eager              the step loop in Python, `--steps` steps per timed call
  compile            the gradient / HVP / Hessian function through torch.compile (inductor)
  cudagraph          the whole `--steps`-step loop captured once into a CUDA graph and replayed
  compile+cudagraph  both
`--torch-mode auto` (default) tries compile+cudagraph, then compile, then eager on CUDA (stiff:
cudagraph, then eager; stiff is never compiled, dynamo cannot trace vmap(hessian, chunk_size=…));
eager on the CPU. A captured graph is checked against an uncaptured run
before it is timed; any failure falls back to the next mode and is listed under `fallbacks`.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as wl  # noqa: E402

MODES = ['eager', 'compile', 'cudagraph', 'compile+cudagraph']


def planned_modes(op: str, cuda: bool, requested: str) -> List[str]:
    if requested != 'auto':
        if op == 'stiff':  # dynamo cannot trace vmap(hessian) with chunk_size: stiff is never compiled
            return [{'compile': 'eager', 'compile+cudagraph': 'cudagraph'}.get(requested, requested)]
        return [requested]
    if not cuda:
        return ['eager']
    if op == 'stiff':
        return ['cudagraph', 'eager']
    return ['compile+cudagraph', 'compile', 'eager']


def steps_in_call(op: str, args) -> int:
    """Loop iterations per timed call (rk: RK4 steps, each 4 RHS evaluations)."""
    return args.stiff_steps if op == 'stiff' else args.steps


class StageError(Exception):
    def __init__(self, stage: str, cause: BaseException):
        super().__init__(f'{stage}: {wl.error_text(cause)}')
        self.stage = stage


def main() -> None:
    parser = wl.build_arg_parser('torch')
    parser.add_argument('--torch-mode', choices=['auto'] + MODES, default='auto',
                        help='execution mode (default auto: the fastest that works, see the module docstring)')
    args = parser.parse_args()
    workloads = wl.select_workloads(args.workloads)
    ops = wl.select_ops(args.ops)
    if args.dry_run:
        cuda_guess = args.device != 'cpu'

        def mode(w: wl.Workload, op: str) -> str:
            return ' -> '.join(planned_modes(op, cuda_guess, args.torch_mode)) + f' (K={steps_in_call(op, args)})'
        wl.dry_run('torch', args, mode)
        return
    try:
        import torch
        from torch import func as tf  # noqa: F401  (torch >= 2.0)
    except Exception as e:  # not installed, too old, or broken
        wl.missing_framework('torch', args, e)
        return

    version = torch.__version__ + (f' (CUDA {torch.version.cuda})' if getattr(torch.version, 'cuda', None) else '')
    cuda = args.device != 'cpu' and torch.cuda.is_available()
    if args.device == 'gpu' and not cuda:
        doc = wl.header('torch', version, 'cpu', args, results=[],
                        error='--device gpu, but torch.cuda.is_available() is False')
        wl.emit(doc, args)
        return
    if cuda:
        dev = torch.device('cuda')
        device = f'cuda: {torch.cuda.get_device_name(0)}'
    else:
        dev = torch.device('cpu')
        device = f'cpu ({torch.get_num_threads()} threads)'
    for mode in ([args.torch_mode] if args.torch_mode != 'auto' else []):
        if 'cudagraph' in mode and not cuda:
            doc = wl.header('torch', version, device, args, results=[], error=f'--torch-mode {mode} needs CUDA')
            wl.emit(doc, args)
            return
    try:  # strict float32 matrix products unless --tf32
        torch.set_float32_matmul_precision('high' if args.tf32 else 'highest')
    except Exception:
        pass
    scale = args.scale if args.scale is not None else (1 if cuda else wl.CPU_SCALE)
    torch.manual_seed(args.seed)  # the default generators draw the SGD minibatches

    try:
        act_name, act = pick_activation(torch, dev)
    except Exception as e:
        doc = wl.header('torch', version, device, args, results=[], error=wl.error_text(e))
        wl.emit(doc, args)
        return
    doc = wl.header('torch', version, device, args, backend='cuda' if cuda else 'cpu',
                    torchMode=args.torch_mode, softplus=act_name, results=[])
    runner = wl.Runner(args)
    if not args.json:
        print(f'torch {version} on {device}, softplus = {act_name}'
              + (f'  (B and N divided by {scale})' if scale > 1 else ''))
    sync = (lambda _out: torch.cuda.synchronize()) if cuda else (lambda _out: None)

    for full in workloads:
        w = wl.scaled(full, scale)
        reset_dynamo(torch)
        try:
            bench = Bench(torch, dev, w, args, act)
        except Exception as e:
            for op in ops:
                row = wl.base_result(w, op, args, scale)
                row['error'] = f'data: {wl.error_text(e)}'
                runner.add(row)
            continue
        for op in ops:
            row = wl.base_result(w, op, args, scale)
            if runner.over_budget():
                row['error'] = f'skipped: --budget {args.budget:g} s exceeded'
                runner.add(row)
                continue
            fallbacks: List[str] = []
            modes = planned_modes(op, cuda, args.torch_mode)
            row['mode'] = ' -> '.join(modes)
            while modes:
                mode = modes.pop(0)
                call = None
                try:
                    t0 = time.perf_counter()
                    call = bench.callable(op, mode)
                    setup = time.perf_counter() - t0
                    timing = wl.time_calls(call, sync, args.seconds)
                    wl.finish_result(row, timing, w.B)
                    row['setupSeconds'] = setup  # graph capture (and its compile) happen here
                    row['mode'] = f'{mode} (K={steps_in_call(op, args)}), torch.func, ' + ('tf32' if args.tf32 else 'fp32')
                    if op == 'stiff':
                        row['mode'] += f', vmap(hessian, chunk_size={bench.chunk}), {args.stiff_solver}'
                    break
                except Exception as e:
                    fallbacks.append(f'{mode}: {wl.error_text(e, 300)}')
                    if isinstance(e, StageError) and e.stage == 'warm-up' and 'compile' in mode:
                        modes = [m for m in modes if 'compile' not in m]  # compiling failed: do not retry it
                finally:
                    call = None
                    bench.release()
                    gc.collect()
                    if cuda:
                        try:
                            torch.cuda.synchronize()
                            torch.cuda.empty_cache()
                        except Exception:
                            pass
            if fallbacks:
                row['fallbacks'] = fallbacks
            if row.get('networkStepsPerSecond') is None:
                row['error'] = 'every mode failed: ' + ' | '.join(fallbacks)
            runner.add(row)
        bench = None
        gc.collect()

    doc['results'] = runner.results
    if args.json:
        wl.emit(doc, args)


def reset_dynamo(torch) -> None:
    """Forget the previous workload's compiled graphs (every workload compiles its own)."""
    try:
        import torch._dynamo
        torch._dynamo.reset()
        cfg = torch._dynamo.config
    except Exception:
        return
    for name in ('recompile_limit', 'cache_size_limit'):  # room for a few variants per function
        try:
            if hasattr(cfg, name) and getattr(cfg, name) < 64:
                setattr(cfg, name, 64)
        except Exception:
            pass


def make_loss(torch, act, r: int, d: int):
    """Per-network MSE for theta of shape (..., P): batched (B, P) or single (P,) under vmap.
    x is (n, d) (shared) or (..., n, d); y is (n,) or (..., n). Returns shape (...)."""
    rd = r * d

    def loss(th, x, y):
        W = th[..., :rd].unflatten(-1, (r, d))
        b = th[..., rd:rd + r]
        a = th[..., rd + r:rd + 2 * r]
        c = th[..., rd + 2 * r]
        pre = torch.matmul(W, x.mT) + b.unsqueeze(-1)  # (..., r, n)
        f = torch.matmul(a.unsqueeze(-2), act(pre)).squeeze(-2) + c.unsqueeze(-1)  # (..., n)
        return (f - y).square().mean(-1)

    return loss


def pick_activation(torch, dev) -> Tuple[str, Callable]:
    """F.softplus if forward-over-reverse works through it (and agrees with the full Hessian), else
    an equivalent built from elementary ops: max(z, 0) + log1p(exp(-|z|))."""
    import torch.nn.functional as F
    from torch.func import grad, hessian, jvp, vmap

    def manual(z):
        return torch.clamp_min(z, 0.0) + torch.log1p(torch.exp(-torch.abs(z)))

    errors = []
    for name, act in (('torch.nn.functional.softplus', F.softplus), ('max(z,0)+log1p(exp(-|z|))', manual)):
        try:
            gen = torch.Generator(device='cpu').manual_seed(0)
            r, d, n, B = 3, 2, 7, 4
            P = r * d + 2 * r + 1
            th = torch.randn(B, P, generator=gen).to(dev)
            v = torch.randn(B, P, generator=gen).to(dev)
            x = torch.randn(n, d, generator=gen).to(dev)
            y = torch.randn(n, generator=gen).to(dev)
            loss = make_loss(torch, act, r, d)
            hv = jvp(lambda t: grad(lambda s: loss(s, x, y).sum())(t), (th,), (v,))[1]
            Hm = vmap(hessian(loss), in_dims=(0, None, None))(th, x, y)
            ref = torch.einsum('bij,bj->bi', Hm, v)
            if torch.allclose(hv, ref, rtol=1e-3, atol=1e-4):
                return name, act
            errors.append(f'{name}: jvp(grad) and hessian disagree')
        except Exception as e:
            errors.append(f'{name}: {wl.error_text(e, 200)}')
    raise RuntimeError('no softplus works with forward-over-reverse: ' + '; '.join(errors))


class Bench:
    """Data, initial state and step functions of one workload on one device."""

    def __init__(self, torch, dev, w: wl.Workload, args, act):
        self.torch, self.dev, self.w, self.args = torch, dev, w, args
        self.cuda = dev.type == 'cuda'
        B, N, d, r, P = w.B, w.N, w.d, w.r, w.P
        gen = torch.Generator(device=dev).manual_seed(args.seed)
        x = torch.randn(((B if w.per_net else 1), N, d), generator=gen, device=dev)
        self.x = x if w.per_net else x[0].contiguous()
        u = torch.tensor(wl.teacher_direction(d), dtype=torch.float32, device=dev)
        self.y = torch.sin((self.x * u).sum(-1))
        std = wl.glorot_std(d, r)
        W = torch.randn((B, r * d), generator=gen, device=dev) * std['W']
        a = torch.randn((B, r), generator=gen, device=dev) * std['a']
        z = torch.zeros((B, r), device=dev)
        self.theta = torch.cat([W, z, a, torch.zeros((B, 1), device=dev)], dim=1).contiguous()
        v = torch.randn((B, P), generator=gen, device=dev)
        self.v = v / torch.linalg.vector_norm(v, dim=1, keepdim=True)
        self.rows = torch.arange(B, device=dev).unsqueeze(1)  # per-network minibatch gather
        self.eye = torch.eye(P, device=dev)
        self.chunk = wl.hessian_chunk(w, args.hess_mem_mb)
        self.loss = make_loss(torch, act, r, d)
        self.graph = None
        self.state: List[Any] = []
        self._prims: Dict[bool, Dict[str, Callable]] = {}

    def release(self) -> None:
        self.graph = None
        self.state = []

    # --- the differentiated primitives (what torch.compile sees) ---------------------------------
    def primitives(self, compiled: bool) -> Dict[str, Callable]:
        """Built once per workload, so the ops share torch.compile's cache (gd, adam, rk: one grad)."""
        if compiled not in self._prims:
            self._prims[compiled] = self._make_primitives(compiled)
        return self._prims[compiled]

    def _make_primitives(self, compiled: bool) -> Dict[str, Callable]:
        torch, w, loss = self.torch, self.w, self.loss
        from torch.func import grad, grad_and_value, hessian, jvp, vmap

        def total(th, x, y):
            return loss(th, x, y).sum()

        def p_value_and_grad(th, x, y):
            return grad_and_value(total)(th, x, y)  # (gradient (B, P), summed loss)

        def p_grad(th, x, y):
            return grad(total)(th, x, y)

        def p_hvp(th, v, x, y):  # forward-over-reverse
            return jvp(lambda t: grad(total)(t, x, y), (th,), (v,))[1]

        def p_minibatch_grad(th, idx, x, y, rows):
            if w.per_net:
                xb, yb = x[rows, idx], y[rows, idx]  # (B, bs, d), (B, bs)
            else:
                xb, yb = x[idx], y[idx]
            return grad(total)(th, xb, yb)

        dims = 0 if w.per_net else None
        hess = vmap(hessian(loss), in_dims=(0, dims, dims), chunk_size=self.chunk)
        h, eye, cholesky = wl.HYPER['stiff_h'], self.eye, self.args.stiff_solver == 'cholesky'

        def p_stiff(th, x, y):  # linearly implicit Euler: theta <- theta - h (I + h H)^-1 g
            g = grad(total)(th, x, y).unsqueeze(-1)
            A = eye + h * hess(th, x, y)
            if cholesky:
                L, _info = torch.linalg.cholesky_ex(A)
                s = torch.cholesky_solve(g, L)
            else:
                s, _info = torch.linalg.solve_ex(A, g)  # no error check: no host sync
            return th - h * s.squeeze(-1)

        prims = {'vg': p_value_and_grad, 'g': p_grad, 'hvp': p_hvp, 'mbg': p_minibatch_grad, 'stiff': p_stiff}
        if compiled:
            prims = {k: torch.compile(f, dynamic=False) for k, f in prims.items()}
        return prims

    # --- one step of each op on a list of state tensors ------------------------------------------
    def op_setup(self, op: str, prims: Dict[str, Callable]) -> Tuple[List[Any], Callable[[List[Any]], List[Any]]]:
        torch, x, y, w = self.torch, self.x, self.y, self.w
        H = wl.HYPER
        th0 = self.theta.clone()
        if op == 'grad':
            vg = prims['vg']

            def step(s):
                _g, l = vg(s[0], x, y)
                return [s[0], s[1] + l]
            return [th0, torch.zeros((), device=self.dev)], step
        if op == 'hvp':
            hvp = prims['hvp']

            def step(s):
                hv = hvp(s[0], s[1], x, y)
                return [s[0], hv / (torch.linalg.vector_norm(hv, dim=1, keepdim=True) + 1e-30)]
            return [th0, self.v.clone()], step
        if op == 'gd':
            g, lr = prims['g'], H['gd_lr']
            return [th0], lambda s: [s[0] - lr * g(s[0], x, y)]
        if op == 'adam':
            g = prims['g']
            lr, b1, b2, eps = H['adam_lr'], H['adam_b1'], H['adam_b2'], H['adam_eps']

            def step(s):  # the step count lives on the device, so a captured graph stays correct
                th, m, v, t = s
                gr = g(th, x, y)
                t = t + 1.0
                m = b1 * m + (1.0 - b1) * gr
                v = b2 * v + (1.0 - b2) * gr * gr
                mhat = m / (1.0 - torch.pow(b1, t))
                vhat = v / (1.0 - torch.pow(b2, t))
                return [th - lr * mhat / (torch.sqrt(vhat) + eps), m, v, t]
            return [th0, torch.zeros_like(th0), torch.zeros_like(th0), torch.zeros((), device=self.dev)], step
        if op == 'sgd':
            mbg, lr, bs = prims['mbg'], H['sgd_lr'], H['sgd_batch']
            B, N, rows = w.B, w.N, self.rows

            def step(s):
                idx = torch.randint(0, N, (B, bs), device=self.dev)  # fresh indices per network and step
                return [s[0] - lr * mbg(s[0], idx, x, y, rows)]
            return [th0], step
        if op == 'rk':
            g, h = prims['g'], H['rk_h']

            def step(s):  # classical RK4 for theta' = -grad L(theta): 4 RHS evaluations
                th = s[0]
                k1 = -g(th, x, y)
                k2 = -g(th + 0.5 * h * k1, x, y)
                k3 = -g(th + 0.5 * h * k2, x, y)
                k4 = -g(th + h * k3, x, y)
                return [th + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)]
            return [th0], step
        if op == 'stiff':
            st = prims['stiff']
            return [th0], lambda s: [st(s[0], x, y)]
        raise ValueError(f'unknown op {op}')

    def callable(self, op: str, mode: str) -> Callable[[], Any]:
        torch = self.torch
        prims = self.primitives('compile' in mode)
        state, step = self.op_setup(op, prims)
        self.state = state
        K = steps_in_call(op, self.args)

        def run_inplace():
            cur = list(state)
            for _ in range(K):
                cur = step(cur)
            for s, c in zip(state, cur):
                if c is not s:
                    s.copy_(c)

        if 'cudagraph' not in mode:
            return run_inplace

        init = [t.clone() for t in state]
        try:  # warm-up outside the graph (compiles, creates library handles), on a side stream
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                run_inplace()
            torch.cuda.current_stream().wait_stream(side)
            torch.cuda.synchronize()
        except Exception as e:
            raise StageError('warm-up', e) from e
        expected = [t.clone() for t in state]
        for s, i in zip(state, init):
            s.copy_(i)
        try:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                run_inplace()
            torch.cuda.synchronize()
        except Exception as e:
            raise StageError('capture', e) from e
        self.graph = graph
        if op != 'sgd':  # sgd draws different minibatches in the graph; the others must agree
            graph.replay()
            torch.cuda.synchronize()
            for got, exp in zip(state, expected):
                if not agrees(torch, got, exp):
                    raise StageError('verify', RuntimeError('graph replay disagrees with the uncaptured run'))
            for s, i in zip(state, init):
                s.copy_(i)
        return graph.replay


def agrees(torch, got, exp) -> bool:
    a = torch.nan_to_num(got.float(), nan=0.0, posinf=0.0, neginf=0.0)
    b = torch.nan_to_num(exp.float(), nan=0.0, posinf=0.0, neginf=0.0)
    tol = 1e-3 * float(b.abs().max().clamp_min(1e-6)) if b.numel() else 0.0
    return b.numel() == 0 or float((a - b).abs().max()) <= tol


if __name__ == '__main__':
    main()
