#!/usr/bin/env bash
# The device calls of a session that is lent the GPU machine. Such a session has 15 minutes of device
# time in all, the machine's start included, one command may run 10 minutes, and at most 8 files come
# back from $OUT; so each PART below fits one call, writes everything under a work folder and packs it
# into $OUT/session-PART.tar.gz (its main tables also come back as files of their own).
#   bash benchmarks/pack-device.sh       # here: builds dist, packs .gpu (lean) and .gpu-browser/part-{1..N}-of-N (N = 3 now)
#   bash .gpu/run.sh bash benchmarks/gpu-session.sh $OUT PART [ARG]
# The session's first call carries [".gpu", "dist", ".gpu-browser/part-1-of-N"]; later calls on the
# warm machine (30 s idle at most between them) find those still there and carry only what is new: one
# more browser part each (part-2-of-N, …), the last with the `browser` call.
# (the machine's copy of the tree has no .git: prefix the call with CHANNELSCOPE_COMMIT=$(git describe
# --always --dirty --abbrev=12), computed here, and doctor.json, the benchmark and every record name it)
# A session's 15 minutes hold about two parts. The plan (2026-12-06): first `flow` (~3 min) then
# `bench` (~9.5 min), what issues 5 and 3 still lack; the next session `browser` after a short first
# calls that carry parts 1 … N − 1 (with `steps` and `deep`, say), then `channel-frequency` shards
# (issues 8 and 7).
# PARTs:
#   bench                  run-all.sh: channelscope with a strategy sweep, JAX, PyTorch (~9 min); leaves
#                          Node's report on the machine for `browser`
#   browser                `channelscope verify` (every kernel against float64 on this GPU; VERIFY_LIMIT
#                          seconds, default 120), then the same workloads in headless Chromium on this
#                          GPU and browser/Node ratios (issue 8): carry [".gpu-browser/part-N-of-N"] on a
#                          warm machine earlier calls left the other parts on; where no `bench` ran on this
#                          machine, Node's benchmark first (NODE_LIMIT seconds, default 180); probes
#                          a few switch sets for one whose page gets the GPU, not SwiftShader, then
#                          measures with the strategies Node chose; BROWSER_LIMIT seconds (default 240;
#                          the three limits and ~45 s of unpacking and probes stay under the 600 s a
#                          command may run); more bench flags after the part's name, given to Node's
#                          benchmark and the browser's alike (e.g. --seconds 0.75)
#   flow                   examples/flow-sweep.json on the GPU (400 float32 runs), its table by r and
#                          `compare` against the committed float64 records of its first seeds
#                          (benchmarks/results/flow-cpu-subset/ and flow-cpu-rest/); FLOW_LIMIT seconds (default 150),
#                          so it fits the ~3 minutes a session has left after `bench` (call it at
#                          once: the machine goes back after 30 s idle). Eight r = 8 float64 records
#                          (seeds 13, 29, 33, 91, 119, 122, 137, 174) stopped by the old step-size rule
#                          short of the barrier: their continuation to it (results/step-size-collapse-continued,
#                          results/step-size-collapse-2026-12-06.md) stands in for them
#   steps                  stiff-steps.ts: stiff steps per second of the preset's students, d = 2 r = 4
#                          and 16, d = 16 r = 16 (closed form, group coordinates), [4, 4] and [4, 4, 4]
#                          (double-float), at N = 10⁴ in ensembles of 8 (a group's tail, whose time per
#                          step sets the preset's wall time) and of 750, a channel-frequency group's
#                          size (softplus, erf and relu runs share one), at 64 and 256 threads per
#                          workgroup, the Hessian in its own dispatches and in the step kernel, and the
#                          mixed kernel of the three activations (decides StiffPrecision.hessianDispatches,
#                          HESSIAN_DISPATCH_MAX_SLOTS and the tile per shape, and prices the mixed kernel);
#                          STEPS_LIMIT seconds, default 180, so it fits beside `bench` in one session;
#                          more stiff-steps.ts flags after the part's name (e.g. --explicit: the tail's
#                          gradient passes at 64 and 256 threads, ~10 more rows, for a session with time)
#   deep                   `doctor` (its double-float line: the device's double-float arithmetic against
#                          float64), then the 8 [4, 4] runs of
#                          benchmarks/results/deep-float32-swiftshader/ on the GPU (double-float stiff flow),
#                          their table and `compare` against the committed float64 records; DEEP_LIMIT
#                          seconds (default 240)
#   stiff-vs-explicit 4|8  examples/stiff-vs-explicit.json at 100 seeds for one width on the GPU (stiff solvers,
#                          explicit flow and GD at one budget of gradient evaluations), by solver and
#                          learning rate; STIFF_LIMIT seconds, default 520
#   gd-from-channel        the full gd-from-channel preset on the GPU (float32 flows and GD from
#                          their channels' points; GDC_LIMIT seconds, default 240), its report beside
#                          the float64 CPU one committed in benchmarks/results/gd-from-channel-2026-12-06/
#   channel-frequency K/N  shard K of N of the full preset (CF_LIMIT seconds, default 520; CF_SEEDS
#                          seeds per configuration instead of 50: 12 gives 4,320 networks, the
#                          paper's ~4,400, where 50 gives 18,000); the shards' folders join here
#                          with `channelscope merge` (every shard of one sweep with the same CF_SEEDS)
# A part cut short keeps its finished runs: unpack its archive into .scratch/gpu-session here
# (mkdir -p .scratch/gpu-session && tar -C .scratch/gpu-session -xzf session-PART.tar.gz) and carry
# .scratch/gpu-session too; the next call of that part resumes there with --resume.
set -uo pipefail
out=${1:?usage: gpu-session.sh OUTDIR bench|browser|steps|flow|deep|gd-from-channel|channel-frequency K/N|stiff-vs-explicit 4|8}
part=${2:?usage: gpu-session.sh OUTDIR bench|browser|steps|flow|deep|gd-from-channel|channel-frequency K/N|stiff-vs-explicit 4|8}
work=/tmp/gpu-session
previous=.scratch/gpu-session
rm -rf "$work" && mkdir -p "$work" "$out"
cli=(node dist/src/cli/bin.js)
cs() { "${cli[@]}" "$@"; }
# pack whatever exists when the script ends, also after an error or a cut
tables=()
pack() {
  tar -C "$work" -czf "$out/session-$part.tar.gz" .
  for f in phases.txt "${tables[@]}"; do [ -s "$work/$f" ] && cp "$work/$f" "$out/"; done
  echo "packed $out/session-$part.tar.gz: $(du -h "$out/session-$part.tar.gz" | cut -f1)"
}
trap pack EXIT
phase() { local name=$1 limit=$2; shift 2; local start=$SECONDS; timeout "$limit" "$@"; echo "$name: exit $?, $((SECONDS - start)) s (limit $limit s)" >> "$work/phases.txt"; }
# a sweep into $work/NAME, resumed from an earlier call's archive when one was carried along
sweep() {
  local name=$1 limit=$2; shift 2
  local args=("$@" --backend gpu --out "$work/$name")
  if [ -s "$previous/$name/checkpoint.json" ]; then
    cp -r "$previous/$name" "$work/$name"
    # a lock the archived session left (killed past the command's limit) names another machine's process, long gone
    rm -f "$work/$name/channelscope.lock"
    args+=(--resume)
  fi
  phase "$name" "$limit" "${cli[@]}" run "${args[@]}" > "$work/$name.log" 2>&1
}

# the Node benchmark's report, left on the machine by `bench` for `browser` (an ignored path stays there)
node_report=.scratch/device-node-bench.json
# joins the browser's parts carried by this and earlier calls (benchmarks/pack-device.sh) into node_modules;
# on a machine without NSS, Chromium's own copies from the package (al2023.tar.br)
unpack_browser() {
  local parts=(.gpu-browser/part-*-of-*) count
  [ -e "${parts[0]}" ] || { echo "browser: no .gpu-browser/part-K-of-N here: run benchmarks/pack-device.sh and carry its parts"; return 1; }
  count=${parts[0]##*-of-}
  for k in $(seq 1 "$count"); do
    [ -s ".gpu-browser/part-$k-of-$count" ] || { echo "browser: .gpu-browser/part-$k-of-$count is missing (carry it, or an earlier call on this machine did not)"; return 1; }
  done
  for k in $(seq 1 "$count"); do cat ".gpu-browser/part-$k-of-$count"; done | tar -C . -xJ || { echo "browser: the parts do not join into one archive (from different packs?)"; return 1; }
  if ! ldconfig -p | grep -q 'libnss3.so '; then
    mkdir -p /tmp/al2023
    node -e 'process.stdout.write(require("zlib").brotliDecompressSync(require("fs").readFileSync(process.argv[1])))' \
      node_modules/@sparticuz/chromium/bin/al2023.tar.br | tar -C /tmp/al2023 -x
    echo "no system NSS: Chromium uses the package's (/tmp/al2023/lib)"
  fi
}
# the kernel strategies a benchmark report (results) or a combined table (rows) measured with, comma-separated
strategies_of() {
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log([...new Set((r.results ?? r.rows).map((x) => x.strategy).filter(Boolean))].join(","))' "$1"
}

cs doctor --json > "$work/doctor.json" 2>&1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > "$work/nvidia-smi.csv" 2>&1
case "$part" in
  bench)
    tables=(combined.json)
    # the device tool kills a command at 600 s without a chance to pack: its phases sum to 530 s,
    # plus ~15 s of .gpu/run.sh unpacking
    CHANNELSCOPE_LIMIT=${CHANNELSCOPE_LIMIT:-290} JAX_LIMIT=${JAX_LIMIT:-140} TORCH_LIMIT=${TORCH_LIMIT:-100} \
      phase run-all 560 bash benchmarks/run-all.sh "$work/bench" "${@:3}" > "$work/bench.log" 2>&1
    cp "$work/bench/combined.json" "$work/combined.json" 2>/dev/null
    # kept on the machine for a `browser` call that follows while it is warm: the kernel strategies
    # Node chose, and the throughput the browser's is divided by
    [ -s "$work/bench/channelscope.json" ] && mkdir -p .scratch && cp "$work/bench/channelscope.json" "$node_report"
    cat "$work/bench/phases.txt" >> "$work/phases.txt" ;;
  browser)
    tables=(verify.txt browser-vs-node.txt browser.json browser-probes.txt browser.log)
    # first, every kernel against the float64 CPU engine on this GPU (evaluation, training, strategies,
    # diagnostics): the suite checks them on SwiftShader only
    phase verify "${VERIFY_LIMIT:-120}" "${cli[@]}" verify --backend gpu > "$work/verify.txt" 2>&1
    unpack_browser > "$work/browser-unpack.log" 2>&1 || { cat "$work/browser-unpack.log"; exit 3; }
    [ -d /tmp/al2023/lib ] && export LD_LIBRARY_PATH=/tmp/al2023/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    # Chromium reaches the GPU through the Vulkan loader (run.sh points it at NVIDIA's driver); which
    # switches it needs headless is untested here, so the first switch set whose page gets a hardware
    # adapter is the one measured (--probe exits 1 on none or on SwiftShader)
    # BROWSER_ADAPTER=software rehearses the part on a machine without a GPU (SwiftShader, no probes)
    adapter=${BROWSER_ADAPTER:-hardware}
    chosen=none
    [ "$adapter" = software ] && chosen=
    [ "$adapter" = hardware ] && for switches in "" "--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan" "--use-vulkan=native --use-gl=angle --enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan"; do
      echo "switches: ${switches:-none beyond the hardware set of web/headless.ts}" >> "$work/browser-probes.txt"
      if timeout 90 node dist/benchmarks/browser-bench.js --probe --prebuilt --adapter hardware ${switches:+"--chromium-args=$switches"} >> "$work/browser-probes.txt" 2>&1; then
        chosen=$switches; break
      fi
    done
    if [ "$chosen" = none ]; then echo "browser: no switch set gave Chromium's WebGPU a hardware adapter (browser-probes.txt)" | tee -a "$work/browser.log"; exit 1; fi
    if [ ! -s "$node_report" ]; then
      # no `bench` on this machine: Node's figures first, with the strategies of the last committed H100
      # table, so that the ratio is of one machine's runs
      committed=$(ls benchmarks/results/h100-*.json 2>/dev/null | tail -1)
      committed_strategies=$([ -n "$committed" ] && strategies_of "$committed")
      mkdir -p .scratch
      # (WebGPU against WebGPU: on a software adapter Node's auto would take the CPU engine)
      phase node-bench "${NODE_LIMIT:-180}" node dist/benchmarks/node-bench.js --json --backend gpu --report "$node_report" \
        ${committed_strategies:+--strategies "$committed_strategies"} "${@:3}" \
        > "$work/node-bench.json" 2> "$work/node-bench.log"
    fi
    # the strategies Node measured with (none from the CPU engine); the browser times them again and keeps its own fastest
    node_strategies=$([ -s "$node_report" ] && strategies_of "$node_report")
    phase browser "${BROWSER_LIMIT:-240}" node dist/benchmarks/browser-bench.js --json --prebuilt --adapter "$adapter" ${chosen:+"--chromium-args=$chosen"} \
      ${node_strategies:+--strategies "$node_strategies"} "${@:3}" > "$work/browser.json" 2> "$work/browser.log"
    if [ -s "$node_report" ] && [ -s "$work/browser.json" ]; then
      node dist/benchmarks/combine.js --table "$node_report" "$work/browser.json" > "$work/browser-vs-node.txt" 2>&1
    fi ;;
  flow)
    tables=(flow-gpu.md flow-gpu-vs-cpu.md)
    sweep flow-gpu "${FLOW_LIMIT:-150}" examples/flow-sweep.json
    cs report "$work/flow-gpu" --by r --carriers > "$work/flow-gpu.md" 2>&1
    # the committed float64 records of the same runs, in two folders (compare reads runs.jsonl alone)
    # (the eight runs the old step-size rule stopped short: their continuation to the barrier, same ids)
    mkdir -p /tmp/flow-cpu && node -e 'const fs = require("fs"); const lines = (f) => fs.readFileSync(f, "utf8").trim().split("\n");
      const [subset, rest, ...continuedFiles] = process.argv.slice(1);
      const continued = new Map(continuedFiles.flatMap(lines).map((line) => [JSON.parse(line).id, line]));
      process.stdout.write(lines(subset).concat(lines(rest)).map((line) => continued.get(JSON.parse(line).id) ?? line).join("\n") + "\n");' \
      benchmarks/results/flow-cpu-subset/runs.jsonl benchmarks/results/flow-cpu-rest/runs.jsonl \
      benchmarks/results/step-size-collapse-continued/subset/runs.jsonl benchmarks/results/step-size-collapse-continued/rest/runs.jsonl > /tmp/flow-cpu/runs.jsonl
    cs compare "$work/flow-gpu" /tmp/flow-cpu > "$work/flow-gpu-vs-cpu.md" 2>&1 ;;
  steps)
    tables=(stiff-steps.json stiff-steps.log)
    phase stiff-steps "${STEPS_LIMIT:-180}" node dist/benchmarks/stiff-steps.js --samples 10000 --slots 8,750 --steps 10 \
      --shapes 2:4,2:16,16:16,2:4x4,16:4x4x4 --strategies tiled/64,tiled/256 --hessian-in-kernel --mixed \
      --json "$work/stiff-steps.json" "${@:3}" > "$work/stiff-steps.log" 2>&1 ;;
  deep)
    tables=(doctor.txt deep-gpu.md deep-gpu-vs-cpu.md)
    # first: does this device's shader compiler keep double-float arithmetic? (else the sweep is float32 in disguise)
    cs doctor > "$work/doctor.txt" 2>&1
    reference=/tmp/deep-cpu
    mkdir -p "$reference" && cp benchmarks/results/deep-float32-swiftshader/cpu-runs.jsonl "$reference/runs.jsonl"
    sweep deep-gpu "${DEEP_LIMIT:-240}" benchmarks/results/deep-float32-swiftshader/spec.json
    cs report "$work/deep-gpu" > "$work/deep-gpu.md" 2>&1
    cs compare "$work/deep-gpu" "$reference" > "$work/deep-gpu-vs-cpu.md" 2>&1 ;;
  channel-frequency)
    shard=${3:?usage: gpu-session.sh OUTDIR channel-frequency K/N}
    name="cf-${shard/\//-of-}"
    tables=("$name.md")
    seeds=()
    [ -n "${CF_SEEDS:-}" ] && seeds=(--seeds "$CF_SEEDS")
    sweep "$name" "${CF_LIMIT:-520}" channel-frequency --shard "$shard" "${seeds[@]}"
    cs report "$work/$name" > "$work/$name.md" 2>&1 ;;
  stiff-vs-explicit)
    # examples/stiff-vs-explicit.json at 100 seeds for one width: stiff solvers, explicit flow and GD at one
    # budget of gradient evaluations (r = 4: 40,000; r = 8: 1.4·10⁶, where Rodas4 took 1,250–26,750 steps
    # to the barrier on the CPU, benchmarks/results/r8-stiff-vs-explicit-2026-11-23.md)
    r=${3:?usage: gpu-session.sh OUTDIR stiff-vs-explicit 4|8}
    budget=$([ "$r" = 4 ] && echo 40000 || echo 1400000)
    tables=("stiff-vs-explicit-r$r.md")
    node -e 'const fs = require("fs"); const [source, target, r, budget] = process.argv.slice(1);
      const spec = JSON.parse(fs.readFileSync(source, "utf8"));
      Object.assign(spec, { seeds: 100, grid: { ...spec.grid, "architecture.hidden": [[Number(r)]] },
        stop: { maxSteps: 1000000, maxEvaluations: Number(budget), gradTol: 1e-7, checkEvery: 50 } });
      fs.writeFileSync(target, JSON.stringify(spec, null, 2));' examples/stiff-vs-explicit.json "$work/stiff-vs-explicit-r$r.json" "$r" "$budget"
    sweep "stiff-vs-explicit-r$r" "${STIFF_LIMIT:-520}" "$work/stiff-vs-explicit-r$r.json"
    cs report "$work/stiff-vs-explicit-r$r" --by solver,optimizer.lr > "$work/stiff-vs-explicit-r$r.md" 2>&1 ;;
  gd-from-channel)
    tables=(gd-from-channel.md)
    phase gd-from-channel "${GDC_LIMIT:-240}" "${cli[@]}" run gd-from-channel --backend gpu --out "$work/gd-from-channel" > "$work/gd-from-channel.log" 2>&1
    cp "$work/gd-from-channel/report.md" "$work/gd-from-channel.md" 2>/dev/null ;;
  *) echo "gpu-session.sh: unknown part '$part' (bench, browser, steps, flow, deep, gd-from-channel, channel-frequency K/N or stiff-vs-explicit 4|8)" >&2; exit 2 ;;
esac
cat "$work/phases.txt"
