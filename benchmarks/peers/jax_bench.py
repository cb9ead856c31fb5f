#!/usr/bin/env python3
"""JAX peer baseline for the channelscope workloads: jit + vmap over networks, lax.scan over steps.

  python3 benchmarks/peers/jax_bench.py [--json] [--workloads W1,W2] [--ops grad,hvp,gd] [--seconds 1]
  python3 benchmarks/peers/jax_bench.py --dry-run        # no JAX needed

Every op is one jitted program that does `--steps` steps for all B networks (the state buffers are
donated, so steps run in place); it is called back to back and timed with one block_until_ready at
the end. See README.md beside this file for what each op measures.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from typing import Any, Callable, Dict, Tuple

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as wl  # noqa: E402


def mode_for(args) -> Callable[[wl.Workload, str], str]:
    precision = 'tf32' if args.tf32 else 'fp32'

    def mode(w: wl.Workload, op: str) -> str:
        if op == 'stiff':
            c = wl.hessian_chunk(w, args.hess_mem_mb)
            return (f'jit+vmap(hessian)+lax.map(chunk={c})+{args.stiff_solver}, '
                    f'scan(K={args.stiff_steps}), {precision}')
        extra = {'grad': ', value_and_grad', 'hvp': ', jvp(grad)', 'rk': ', RK4 steps'}.get(op, '')
        return f'jit+vmap+scan(K={args.steps}){extra}, {precision}'

    return mode


def main() -> None:
    args = wl.build_arg_parser('jax').parse_args()
    workloads = wl.select_workloads(args.workloads)
    ops = wl.select_ops(args.ops)
    mode = mode_for(args)
    if args.dry_run:
        wl.dry_run('jax', args, mode)
        return
    if args.device == 'cpu':
        os.environ['JAX_PLATFORMS'] = 'cpu'
    try:
        import jax
        import jax.numpy as jnp
        from jax import lax
    except Exception as e:  # not installed, or broken
        wl.missing_framework('jax', args, e)
        return

    warnings.filterwarnings('ignore', message='.*donated buffers were not usable.*')
    jax.config.update('jax_default_matmul_precision', 'tensorfloat32' if args.tf32 else 'highest')

    try:
        import jaxlib
        version = f'{jax.__version__} (jaxlib {jaxlib.__version__})'
    except Exception:
        version = jax.__version__
    try:
        dev0 = jax.devices()[0]
        backend = jax.default_backend()
    except Exception as e:
        doc = wl.header('jax', version, None, args, results=[], error=f'no JAX device: {wl.error_text(e)}')
        wl.emit(doc, args)
        return
    device = f'{backend}: {getattr(dev0, "device_kind", str(dev0))}'
    on_cpu = backend == 'cpu'
    if args.device == 'gpu' and on_cpu:
        doc = wl.header('jax', version, device, args, results=[],
                        error='--device gpu, but JAX sees only the CPU (is jax[cuda12/13] installed?)')
        wl.emit(doc, args)
        return
    scale = args.scale if args.scale is not None else (wl.CPU_SCALE if on_cpu else 1)

    doc = wl.header('jax', version, device, args, backend=backend, results=[])
    runner = wl.Runner(args)
    if not args.json:
        print(f'jax {version} on {device}' + (f'  (B and N divided by {scale})' if scale > 1 else ''))

    for full in workloads:
        w = wl.scaled(full, scale)
        try:
            data = make_data(jax, jnp, w, args.seed)
        except Exception as e:
            for op in ops:
                row = wl.base_result(w, op, args, scale)
                row['mode'] = mode(w, op)
                row['error'] = f'data: {wl.error_text(e)}'
                runner.add(row)
            continue
        for op in ops:
            row = wl.base_result(w, op, args, scale)
            row['mode'] = mode(w, op)
            if runner.over_budget():
                row['error'] = f'skipped: --budget {args.budget:g} s exceeded'
                runner.add(row)
                continue
            try:
                call = build(jax, jnp, lax, w, op, args, data)
                timing = wl.time_calls(call, jax.block_until_ready, args.seconds)
                wl.finish_result(row, timing, w.B)
            except Exception as e:
                row['error'] = wl.error_text(e)
            call = None
            gc.collect()
            runner.add(row)
        data = None
        gc.collect()
        try:
            jax.clear_caches()
        except Exception:
            pass

    doc['results'] = runner.results
    if args.json:
        wl.emit(doc, args)


def make_data(jax, jnp, w: wl.Workload, seed: int) -> Dict[str, Any]:
    """x ~ N(0,1), y = sin(x.u); Glorot-normal parameters; a unit direction per network (hvp)."""
    key_fn = getattr(jax.random, 'key', None) or jax.random.PRNGKey
    kx, kw, ka, kv, ks = jax.random.split(key_fn(seed), 5)
    B, N, d, r = w.B, w.N, w.d, w.r
    x = jax.random.normal(kx, ((B if w.per_net else 1), N, d), jnp.float32)
    if not w.per_net:
        x = x[0]
    u = jnp.asarray(wl.teacher_direction(d), jnp.float32)
    y = jnp.sin(jnp.sum(x * u, axis=-1))
    std = wl.glorot_std(d, r)
    W = jax.random.normal(kw, (B, r * d), jnp.float32) * std['W']
    a = jax.random.normal(ka, (B, r), jnp.float32) * std['a']
    theta = jnp.concatenate([W, jnp.zeros((B, r), jnp.float32), a, jnp.zeros((B, 1), jnp.float32)], axis=1)
    v = jax.random.normal(kv, (B, w.P), jnp.float32)
    v = v / jnp.linalg.norm(v, axis=1, keepdims=True)
    out = {'x': x, 'y': y, 'theta': theta, 'v': v, 'sgd_key': ks}
    jax.block_until_ready(out)
    return out


def build(jax, jnp, lax, w: wl.Workload, op: str, args, data: Dict[str, Any]) -> Callable[[], Any]:
    """A no-argument callable: one jitted call advancing the (donated) state by one timed chunk."""
    H = wl.HYPER
    B, N, d, r, P = w.B, w.N, w.d, w.r, w.P
    rd = r * d
    K = args.steps
    x, y = data['x'], data['y']
    f32 = jnp.float32

    def loss(th, xx, yy):  # one network: th (P,), xx (n, d), yy (n,)
        W = th[:rd].reshape(r, d)
        b = th[rd:rd + r]
        a = th[rd + r:rd + 2 * r]
        c = th[rd + 2 * r]
        f = jax.nn.softplus(xx @ W.T + b) @ a + c
        return jnp.mean(jnp.square(f - yy))

    dax = 0 if w.per_net else None
    vg = jax.vmap(jax.value_and_grad(loss), in_axes=(0, dax, dax))
    gf = jax.vmap(jax.grad(loss), in_axes=(0, dax, dax))

    def hvp1(th, v, xx, yy):  # forward-over-reverse
        return jax.jvp(lambda t: jax.grad(loss)(t, xx, yy), (th,), (v,))[1]

    hvp = jax.vmap(hvp1, in_axes=(0, 0, dax, dax))

    def scan(body, state, length):
        return lax.scan(lambda s, _: (body(s), None), state, None, length=length)[0]

    consts: Tuple[Any, ...] = (x, y)
    th0 = data['theta']

    if op == 'grad':
        # theta <- theta - 0*g with a run-time zero: the evaluations form a chain, so XLA cannot hoist
        # the loop-invariant gradient out of the scan; the losses are summed so they stay live.
        def prog(state, x, y, zero):
            def body(s):
                th, acc = s
                l, g = vg(th, x, y)
                return th - zero * g, acc + l
            return scan(body, state, K)
        state = (jnp.copy(th0), jnp.zeros((B,), f32))
        consts = (x, y, jnp.zeros((), f32))
    elif op == 'hvp':
        # power iteration at fixed theta; theta + 0*v (run-time zero) keeps every HVP a full
        # forward-over-reverse pass (no hoisting of theta-only work out of the loop)
        def prog(state, x, y, zero):
            def body(s):
                th, v = s
                hv = hvp(th, v, x, y)
                return th + zero * v, hv / (jnp.linalg.norm(hv, axis=1, keepdims=True) + 1e-30)
            return scan(body, state, K)
        state = (jnp.copy(th0), jnp.copy(data['v']))
        consts = (x, y, jnp.zeros((), f32))
    elif op == 'gd':
        lr = H['gd_lr']

        def prog(state, x, y):
            return scan(lambda th: th - lr * gf(th, x, y), state, K)
        state = jnp.copy(th0)
    elif op == 'adam':
        lr, b1, b2, eps = H['adam_lr'], H['adam_b1'], H['adam_b2'], H['adam_eps']

        def prog(state, x, y):
            def body(s):
                th, m, v, t = s
                g = gf(th, x, y)
                t = t + 1.0
                m = b1 * m + (1.0 - b1) * g
                v = b2 * v + (1.0 - b2) * g * g
                mhat = m / (1.0 - b1 ** t)
                vhat = v / (1.0 - b2 ** t)
                return th - lr * mhat / (jnp.sqrt(vhat) + eps), m, v, t
            return scan(body, state, K)
        state = (jnp.copy(th0), jnp.zeros_like(th0), jnp.zeros_like(th0), jnp.zeros((), f32))
    elif op == 'sgd':
        lr, bs = H['sgd_lr'], H['sgd_batch']
        g_mb = jax.vmap(jax.grad(loss))  # every network its own minibatch

        def prog(state, x, y, key):
            def body(s):
                th, t = s
                idx = jax.random.randint(jax.random.fold_in(key, t), (B, bs), 0, N)  # per network
                if w.per_net:
                    xb = jax.vmap(lambda xx, ii: xx[ii])(x, idx)
                    yb = jax.vmap(lambda yy, ii: yy[ii])(y, idx)
                else:
                    xb, yb = x[idx], y[idx]
                return th - lr * g_mb(th, xb, yb), t + 1
            return scan(body, state, K)
        state = (jnp.copy(th0), jnp.zeros((), jnp.int32))
        consts = (x, y, data['sgd_key'])
    elif op == 'rk':
        h = H['rk_h']

        def prog(state, x, y):
            def body(th):  # classical RK4 for theta' = -grad L(theta): 4 RHS evaluations
                k1 = -gf(th, x, y)
                k2 = -gf(th + 0.5 * h * k1, x, y)
                k3 = -gf(th + 0.5 * h * k2, x, y)
                k4 = -gf(th + h * k3, x, y)
                return th + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            return scan(body, state, K)
        state = jnp.copy(th0)
    elif op == 'stiff':
        h = H['stiff_h']
        c = wl.hessian_chunk(w, args.hess_mem_mb)
        nc = B // c
        hess1 = jax.hessian(loss)  # jacfwd(jacrev(loss)): (P, P) per network
        eye = jnp.eye(P, dtype=f32)
        cholesky = args.stiff_solver == 'cholesky'

        def hessians(th, x, y):  # (B, P, P), c networks at a time
            thc = th.reshape(nc, c, P)
            if w.per_net:
                xs = (thc, x.reshape(nc, c, N, d), y.reshape(nc, c, N))
                Hc = lax.map(lambda s: jax.vmap(hess1)(s[0], s[1], s[2]), xs)
            else:
                Hc = lax.map(lambda t: jax.vmap(hess1, in_axes=(0, None, None))(t, x, y), thc)
            return Hc.reshape(B, P, P)

        def prog(state, x, y):
            def body(th):  # linearly implicit Euler: theta <- theta - h (I + h H)^-1 g
                g = gf(th, x, y)[..., None]
                A = eye + h * hessians(th, x, y)
                if cholesky:
                    L = jnp.linalg.cholesky(A)
                    z = lax.linalg.triangular_solve(L, g, left_side=True, lower=True)
                    s = lax.linalg.triangular_solve(L, z, left_side=True, lower=True, transpose_a=True)
                else:
                    s = jnp.linalg.solve(A, g)
                return th - h * s[..., 0]
            return scan(body, state, args.stiff_steps)
        state = jnp.copy(th0)
    else:
        raise ValueError(f'unknown op {op}')

    jitted = jax.jit(prog, donate_argnums=0)
    box = {'state': state}

    def call():
        box['state'] = jitted(box['state'], *consts)
        return box['state']

    return call


if __name__ == '__main__':
    main()
