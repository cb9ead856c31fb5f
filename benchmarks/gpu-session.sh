#!/usr/bin/env bash
# The one device call of a session that is lent the GPU machine. Such a session has 15 minutes of
# device time in all, the machine's start included, and one command may run 10 minutes, so this runs
# the open measurements most decisive first, each under its own time limit, and ends by about 9 min:
#   1. flow        the speed-independent science (analysis issue): examples/flow-sweep.json on the GPU
#                  (400 float32 runs), its table by r, and `compare` against the committed float64
#                  records of its first 24 seeds per width (benchmarks/results/flow-cpu-subset/).
#                  Cut short, it keeps its checkpoint: the next call resumes it (see RESUME below).
#   2. benchmarks  run-all.sh (channelscope with a strategy sweep, JAX, PyTorch) with shorter limits.
# The device tool brings back at most 8 files from $OUT, so everything is written under a work folder
# and packed into $OUT/session.tar.gz; the main tables also come back as files of their own.
#   npm run build && ../shared/gpu/pack.sh          # here; then the device call, carrying .gpu and dist:
#   bash .gpu/run.sh bash benchmarks/gpu-session.sh $OUT
# RESUME: unpack session.tar.gz into .scratch/gpu-session here and carry .scratch/gpu-session as well;
# a flow sweep found there continues with --resume instead of starting again.
# Limits (seconds, environment): FLOW_LIMIT 180, CHANNELSCOPE_LIMIT 170, JAX_LIMIT 100, TORCH_LIMIT 60.
set -uo pipefail
out=${1:?usage: gpu-session.sh OUTDIR [extra bench flags]}
shift
work=/tmp/gpu-session
previous=.scratch/gpu-session
rm -rf "$work" && mkdir -p "$work" "$out"
cli=(node dist/src/cli/bin.js)
cs() { "${cli[@]}" "$@"; }
# pack whatever exists when the script ends, also after an error
pack() {
  tar -C "$work" -czf "$out/session.tar.gz" .
  for f in phases.txt flow-gpu.md flow-gpu-vs-cpu.md combined.json; do [ -s "$work/$f" ] && cp "$work/$f" "$out/"; done
  echo "packed: $(du -h "$out/session.tar.gz" | cut -f1) (unpack with: mkdir -p $previous && tar -C $previous -xzf session.tar.gz)"
}
trap pack EXIT
phase() { local name=$1 limit=$2; shift 2; local start=$SECONDS; timeout "$limit" "$@"; echo "$name: exit $?, $((SECONDS - start)) s (limit $limit s)" >> "$work/phases.txt"; }

cs doctor --json > "$work/doctor.json" 2>&1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > "$work/nvidia-smi.csv" 2>&1

# 1. the flow sweep (resumed when an earlier call's folder was carried along)
flow_args=(examples/flow-sweep.json --backend gpu --out "$work/flow-gpu")
if [ -s "$previous/flow-gpu/checkpoint.json" ]; then
  cp -r "$previous/flow-gpu" "$work/flow-gpu"
  flow_args+=(--resume)
fi
phase flow-sweep "${FLOW_LIMIT:-180}" "${cli[@]}" run "${flow_args[@]}" > "$work/flow-gpu.log" 2>&1
cs report "$work/flow-gpu" --by r > "$work/flow-gpu.md" 2>&1
cs compare "$work/flow-gpu" benchmarks/results/flow-cpu-subset > "$work/flow-gpu-vs-cpu.md" 2>&1

# 2. the benchmarks: the strategies the cost model ranks highest, and the default for reference
STRATEGIES=tiled/64,register/64x4+hoist,register/32x4+hoist,register/64x2+hoist,blocked/64x4+hoist,blocked/128x4+hoist,blocked/64x4+hoist+subgroups,register/32x4+hoist+subgroups \
  CHANNELSCOPE_LIMIT=${CHANNELSCOPE_LIMIT:-170} JAX_LIMIT=${JAX_LIMIT:-100} TORCH_LIMIT=${TORCH_LIMIT:-60} \
  phase benchmarks 360 bash benchmarks/run-all.sh "$work/bench" "$@" > "$work/bench.log" 2>&1
cp "$work/bench/combined.json" "$work/combined.json" 2>/dev/null
cat "$work/phases.txt" "$work/bench/phases.txt" 2>/dev/null
