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
# trials are in channelscope.json's strategyTrials: kernel-strategy.ts CANDIDATE_STRATEGIES, which
# `channelscope verify` checks too, unless STRATEGIES (environment) names others.
strategies=${STRATEGIES:-$(node --input-type=module -e "const m = await import('./dist/src/engine/gpu/kernel-strategy.js'); console.log(m.CANDIDATE_STRATEGIES.join(','))")}
# Each phase has its own time limit, so that one slow phase still leaves the others' results (the
# device tool stops a command at 10 minutes); wall times go to phases.txt. gpu-session.sh shortens
# them through the environment; the peers get their limit less 20 s as --budget.
channelscope_limit=${CHANNELSCOPE_LIMIT:-300} jax_limit=${JAX_LIMIT:-150} torch_limit=${TORCH_LIMIT:-120}
phase() { local name=$1 limit=$2; shift 2; local start=$SECONDS; timeout "$limit" "$@"; echo "$name: exit $?, $((SECONDS - start)) s (limit $limit s)" >> "$out/phases.txt"; }
phase channelscope "$channelscope_limit" node dist/benchmarks/node-bench.js --report "$out/channelscope.json" --strategies "$strategies" "$@" > "$out/channelscope.txt" 2> "$out/channelscope.log"
phase jax "$jax_limit" python3 benchmarks/peers/jax_bench.py --json --budget $((jax_limit - 20)) > "$out/jax.json" 2> "$out/jax.log"
phase torch "$torch_limit" python3 benchmarks/peers/torch_bench.py --json --budget $((torch_limit - 20)) > "$out/torch.json" 2> "$out/torch.log"
reports=()
for f in channelscope jax torch; do [ -s "$out/$f.json" ] && reports+=("$out/$f.json"); done
node dist/benchmarks/combine.js "${reports[@]}" > "$out/combined.json"
# The browser benchmark is a call of its own on the GPU machine (gpu-session.sh's `browser` part):
# headless Chromium is too large to travel with this call (benchmarks/pack-device.sh splits it). Where
# Chromium is installed:
#   node dist/benchmarks/browser-bench.js --json --adapter hardware > "$out/browser.json"
#   node dist/benchmarks/combine.js "$out/channelscope.json" "$out/browser.json"   # browserOverNode
# and check that browser.json's environment.adapter names the GPU, not SwiftShader.
cat "$out/phases.txt"
cat "$out/combined.json"
