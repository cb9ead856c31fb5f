#!/usr/bin/env bash
# Packs what a device session carries to the GPU machine (benchmarks/gpu-session.sh), from the project
# root after `npm ci`:
#   .gpu/          ../shared/gpu/pack.sh's node, Vulkan/GL loaders and run.sh, with node_modules cut to
#                  what dist/ needs at run time: the production dependencies for Linux x64, without the
#                  TypeScript runner (the machine runs dist/) and without the browser (~32 MiB, not ~47)
#   .gpu-browser/  headless Chromium (@sparticuz/chromium) and puppeteer for the browser benchmark, which
#                  issue 8 wants on the same machine as Node's (~67 MiB). One call carries at most 64 MiB,
#                  working tree included, so it travels in parts, part-1-of-N … part-N-of-N (N = 3 with the
#                  10 MiB tree of 2026-12-07): the first sized to fit beside .gpu and dist in the session's
#                  first call, each later one beside the tree alone, one a call, the last with the call of
#                  gpu-session.sh's `browser` part. A warm machine keeps what an earlier call carried
#                  (paths that a later call does not name stay there), and `browser` joins them.
# It also builds dist/ and the dashboard's pages (dist/dashboard, bench.html included), so that the
# machine, which has no Vite, runs the page built from this checkout.
#   bash benchmarks/pack-device.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
limit_mib=64
margin_mib=2
npm run -s build
npm run -s build:web > /dev/null
../shared/gpu/pack.sh

# The browser's packages, and what else only a TypeScript checkout needs, stay out of .gpu.
browser_packages=(node_modules/@sparticuz/chromium node_modules/puppeteer-core node_modules/chromium-bidi node_modules/devtools-protocol)
not_on_the_machine="^($(IFS='|'; echo "${browser_packages[*]}")|node_modules/(tsx|esbuild|@esbuild/.*))\$"
list=$(mktemp)
# top-level package folders of the production tree (nested node_modules travel inside their parents)
npm ls --omit=dev --all --parseable | sed "s|^$root/||" | grep '^node_modules/' | grep -v '^node_modules/.*/node_modules/' \
  | sort -u | grep -Ev "$not_on_the_machine" > "$list"
tar -C "$root" -cJf .gpu/node_modules.tar.xz \
  --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' \
  --exclude='node_modules/webgpu/dist/linux-arm64' -T "$list"
rm -f "$list"

mkdir -p .gpu-browser
grep -qx '/.gpu-browser/' .git/info/exclude 2>/dev/null || echo '/.gpu-browser/' >> .git/info/exclude
rm -f .gpu-browser/part-*
bundle=$(mktemp)
tar -C "$root" -cJf "$bundle" "${browser_packages[@]}"

mib() { echo $(( ($1 + 1048575) / 1048576 )); }
bytes_of() { du -sb "$@" | awk '{s += $1} END {print s}'; }
# what travels with every call: tracked files and untracked files git does not ignore
tree_bytes=$( (git ls-files -z; git ls-files -z -o --exclude-standard) | du -cb --files0-from=- | tail -1 | cut -f1)
call_bytes=$(( (limit_mib - margin_mib) * 1048576 ))
first_call_bytes=$(( $(bytes_of .gpu dist) + tree_bytes ))
# part 1 fills the first call beside .gpu, dist and the tree; the rest is cut evenly into as few parts
# as later calls, each beside the tree alone, can carry
room=$(( call_bytes - first_call_bytes ))
per_call=$(( call_bytes - tree_bytes ))
bundle_bytes=$(stat -c %s "$bundle")
if [ "$room" -le 0 ] || [ "$per_call" -le 0 ]; then
  echo "pack-device: .gpu and dist ($(mib "$first_call_bytes") MiB with the tree) leave no room for the browser in a call of $limit_mib MiB" >&2
  exit 1
fi
rest=$(( bundle_bytes - room ))
later=$(( (rest + per_call - 1) / per_call ))
count=$(( later + 1 ))
chunk=$(( (rest + later - 1) / later ))
# (dd by byte offsets: a `tail | head` pipe fails under pipefail when head stops reading)
cut_part() { dd if="$bundle" of=".gpu-browser/part-$1-of-$count" bs=1M iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }
cut_part 1 0 "$room"
for k in $(seq 2 "$count"); do cut_part "$k" $(( room + (k - 2) * chunk )) "$chunk"; done
joined=$(cat .gpu-browser/part-*-of-"$count" | cmp - "$bundle" && echo same)
[ "$joined" = same ] || { echo "pack-device: the browser's parts do not join into its archive" >&2; exit 1; }
rm -f "$bundle"
echo "packed .gpu: $(mib "$(bytes_of .gpu)") MiB, dist $(mib "$(bytes_of dist)") MiB, working tree $(mib "$tree_bytes") MiB"
echo "packed .gpu-browser in $count parts: part-1-of-$count $(mib "$room") MiB (the first call: carry .gpu, dist and .gpu-browser/part-1-of-$count)," \
  "then $later of $(mib "$chunk") MiB (one a call, each beside the tree alone: carry .gpu-browser/part-K-of-$count; the last with the browser call)"
