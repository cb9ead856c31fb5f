#!/usr/bin/env bash
# The statistics the stiff-flow, analysis and presets issues ask of a GPU, for the GPU machine
# (after `npm run build`; each part fits the device tool's 10-minute limit per command):
#   bash .gpu/run.sh bash benchmarks/science-gpu.sh OUTDIR stiff|flow|cpu-subset|channel-frequency
#   stiff              stiff (rodas4, ros34pw2, rosenbrock23) vs explicit flow vs GD at one evaluation budget, 100
#                      seeds (GPU): r = 4 at 40,000 evaluations, r = 8 at 1.4·10⁶ (Rodas4 at r = 8: 90 of 100
#                      runs at the barrier within 1.4·10⁶ evaluations, in 1,250–26,750 steps, median 8,350:
#                      measured on the CPU, benchmarks/results/r8-stiff-vs-explicit-2026-11-23.md)
#   flow               examples/flow-sweep.json: 200 seeds per width on the GPU, reported by r. In float32 a
#                      channel takes Rodas4 ~6x the float64 steps (the Hessian's rounding; benchmarks/results/
#                      float32-flow-2026-11-23.md), so r = 8 runs may need ~1e5 steps: check runs ending at max-steps
#                      and `compare` against benchmarks/results/flow-cpu-subset (float64 records of its
#                      first 24 seeds per width, made on the development machine)
#   cpu-subset         its first 24 seeds per width on the CPU engine (float64, a worker thread per
#                      core), then `compare` against the GPU records of the same runs (the committed records
#                      make this part unnecessary; kept for other specs and subsets)
#   channel-frequency  the full preset on the GPU, wall time and report
set -uo pipefail
out=${1:?usage: science-gpu.sh OUTDIR PART}
part=${2:?usage: science-gpu.sh OUTDIR stiff|flow|cpu-subset|channel-frequency}
mkdir -p "$out"
cs() { node dist/src/cli/bin.js "$@"; }
# a copy of a spec with fields replaced: edit_spec IN OUT '{"seeds": 24, "stop": {...}}' (top-level keys)
edit_spec() { node -e 'const fs=require("fs");const s=JSON.parse(fs.readFileSync(process.argv[1],"utf8"));Object.assign(s,JSON.parse(process.argv[3]));fs.writeFileSync(process.argv[2],JSON.stringify(s,null,2));' "$1" "$2" "$3"; }
with_seeds() { edit_spec "$1" "$3" "{\"seeds\": $2}"; }
timed() { local label=$1; shift; local start=$SECONDS; "$@"; echo "$label: $((SECONDS - start)) s" >> "$out/wall-times.txt"; }
cs doctor --json > "$out/doctor-$part.json" 2>&1
case "$part" in
  stiff)
    for r in 4 8; do
      budget=$([ "$r" = 4 ] && echo 40000 || echo 1400000)
      edit_spec examples/stiff-vs-explicit.json "$out/stiff-vs-explicit-r$r.json" \
        "{\"seeds\": 100, \"grid\": {\"architecture.hidden\": [[$r]], \"optimizer\": $(node -e 'process.stdout.write(JSON.stringify(require("./examples/stiff-vs-explicit.json").grid.optimizer))')}, \"stop\": {\"maxSteps\": 1000000, \"maxEvaluations\": $budget, \"gradTol\": 1e-7, \"checkEvery\": 50}}"
      timed "stiff-vs-explicit r=$r" cs run "$out/stiff-vs-explicit-r$r.json" --backend gpu --out "$out/stiff-vs-explicit-r$r" > "$out/stiff-vs-explicit-r$r.log" 2>&1
      cs report "$out/stiff-vs-explicit-r$r" --by solver,optimizer.lr > "$out/stiff-vs-explicit-r$r.md" 2>&1
    done ;;
  flow)
    timed flow-sweep-gpu cs run examples/flow-sweep.json --backend gpu --out "$out/flow-gpu" > "$out/flow-gpu.log" 2>&1
    cs report "$out/flow-gpu" --by r > "$out/flow-gpu.md" 2>&1
    # against the committed float64 records of its first seeds (made on the development machine)
    cs compare "$out/flow-gpu" benchmarks/results/flow-cpu-subset > "$out/flow-gpu-vs-cpu-committed.md" 2>&1 ;;
  cpu-subset)
    with_seeds examples/flow-sweep.json 24 "$out/flow-subset.json"
    timed "flow-subset-cpu (every core)" cs run "$out/flow-subset.json" --backend cpu --out "$out/flow-cpu" > "$out/flow-cpu.log" 2>&1
    cs report "$out/flow-cpu" --by r > "$out/flow-cpu.md" 2>&1
    # run ids depend on the configuration and seed, not the seed count, so the subset's runs are in the GPU sweep
    cs compare "$out/flow-gpu" "$out/flow-cpu" > "$out/flow-gpu-vs-cpu.md" 2>&1 ;;
  channel-frequency)
    timed channel-frequency cs run channel-frequency --backend gpu --out "$out/channel-frequency" > "$out/channel-frequency.log" 2>&1
    cs report "$out/channel-frequency" > "$out/channel-frequency.md" 2>&1 ;;
  *) echo "unknown part $part" >&2; exit 2 ;;
esac
cat "$out/wall-times.txt"
