#!/usr/bin/env bash
# Analyzer throughput and peak memory on a 10M-request profile (bench/analyze/RESULTS.md).
#
# usage: bench/analyze/run.sh [BUILD_DIR] [REQUESTS] [KEYS]   (defaults: build, 10000000, 1000000)
#
# Writes a synth:zipf profile (alpha 0.99, ETC value sizes, 64 connections), then times, 3 runs
# each, reporting medians of wall-clock and CPU (user + sys) seconds and the largest peak RSS:
#   peer:     bench_analyze_read (profile reader only, no analysis: the floor)
#   analyze:  default text report, --json, --html, --threads 2, and --exact-keys 100000
#             (sketch mode, to show memory no longer grows with the keys)
# Build with -DCMAKE_BUILD_TYPE=Release (no sanitizers) for meaningful figures.
set -euo pipefail

B=${1:-build}
N=${2:-10000000}
KEYS=${3:-1000000}
AN="$B/bin/membench-analyze"
REC="$B/bin/membench-record"
READ="$B/bench/analyze/bench_analyze_read"
for x in "$AN" "$REC" "$READ"; do
	[ -x "$x" ] || { echo "run.sh: $x not built (cmake --build $B --target membench-analyze membench-record bench_analyze_read)" >&2; exit 1; }
done
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$REC" synth:zipf --ops "$N" --keys "$KEYS" --alpha 0.99 --key-size uniform:10,60 \
	--value-size etc-value --rate 100000 --connections 64 --seed 7 -o "$tmp/p.mbp" >/dev/null
echo "profile: $N requests, $KEYS keys (synth:zipf alpha 0.99), $(stat -c %s "$tmp/p.mbp") bytes"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1 /proc/loadavg)"

# measure CMD...: one run; prints "wall cpu maxrss_kb" (children's rusage).
measure() {
	$PY - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
wall = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {ru.ru_utime + ru.ru_stime:.3f} {ru.ru_maxrss}")
PY
}

# median3 NAME CMD...: three runs; median wall and CPU, largest RSS.
median3() {
	local name=$1; shift
	local w=() c=() m=0 out
	for _ in 1 2 3; do
		out=$(measure "$@")
		w+=("$(echo "$out" | cut -d' ' -f1)")
		c+=("$(echo "$out" | cut -d' ' -f2)")
		local r; r=$(echo "$out" | cut -d' ' -f3)
		[ "$r" -gt "$m" ] && m=$r
	done
	local wm cm
	wm=$(printf '%s\n' "${w[@]}" | sort -g | sed -n 2p)
	cm=$(printf '%s\n' "${c[@]}" | sort -g | sed -n 2p)
	awk -v n="$name" -v w="$wm" -v c="$cm" -v m="$m" -v r="$N" 'BEGIN {
		printf "%-36s wall %6.3f s %6.2fM req/s | cpu %6.3f s %6.2fM req/s | peak RSS %5.0f MiB\n",
		n, w, r / w / 1e6, c, (c > 0 ? r / c / 1e6 : 0), m / 1024 }'
}

median3 "peer: reader only (no analysis)" "$READ" "$tmp/p.mbp"
median3 "membench analyze (text)" "$AN" "$tmp/p.mbp"
median3 "membench analyze --json" "$AN" --json "$tmp/p.mbp"
median3 "membench analyze --html" "$AN" --html "$tmp/r.html" "$tmp/p.mbp"
median3 "membench analyze --threads 2" "$AN" --threads 2 "$tmp/p.mbp"
median3 "membench analyze --exact-keys 100000" "$AN" --exact-keys 100000 "$tmp/p.mbp"
