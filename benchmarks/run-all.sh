#!/usr/bin/env bash
# One command for the GPU machine: channelscope's Node benchmark and the JAX and PyTorch peers on the
# same workloads, then one combined table with ratios. Needs `npm run build` (dist/) beforehand.
#   bash .gpu/run.sh bash benchmarks/run-all.sh OUTDIR [extra bench flags]
set -uo pipefail
out=${1:?usage: run-all.sh OUTDIR}
shift
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
node dist/src/cli/bin.js doctor --json > "$out/doctor.json" 2>&1
# Per workload the faster kernel strategy (src/engine/gpu/kernel-strategy.ts), timed first; the
# trials are in channelscope.json's strategyTrials. Pass --strategies to override.
strategies=tiled/64,tiled/64+subgroups,tiled/64x4+hoist,register/64+hoist,register/32x4+hoist,register/64x2+hoist,register/64x4+hoist,register/32x4+hoist+subgroups,blocked/64+hoist,blocked/64x2+hoist,blocked/64x4+hoist,blocked/128x4+hoist,blocked/64x4+hoist+subgroups
node dist/benchmarks/node-bench.js --json --strategies "$strategies" "$@" > "$out/channelscope.json" 2> "$out/channelscope.log"
python3 benchmarks/peers/jax_bench.py --json > "$out/jax.json" 2> "$out/jax.log"
python3 benchmarks/peers/torch_bench.py --json > "$out/torch.json" 2> "$out/torch.log"
node dist/benchmarks/combine.js "$out/channelscope.json" "$out/jax.json" "$out/torch.json" > "$out/combined.json"
# The browser benchmark (npm run bench:browser) is left out: whether headless Chromium reaches the GPU
# on this machine is untested (no display, no network; its WebGPU needs Vulkan through the NVIDIA
# driver, while @sparticuz/chromium brings its own Vulkan loader and SwiftShader). To try by hand:
#   node_modules/.bin/tsx benchmarks/browser-bench.ts --json --adapter hardware > "$out/browser.json"
#   node dist/benchmarks/combine.js "$out/channelscope.json" "$out/browser.json"   # browserOverNode
# and check that browser.json's environment.adapter names the GPU, not SwiftShader.
cat "$out/combined.json"
