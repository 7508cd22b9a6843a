#!/usr/bin/env bash
# Import and generation throughput of membench-record (bench/import/RESULTS.md).
#
# usage: bench/import/run.sh [BUILD_DIR] [ROWS]     (defaults: build, 5000000)
#
# Generates a Twitter-format CSV of ROWS rows (Zipf keys, 1M distinct), compresses it with the
# zstd CLI, then times, 3 runs each, reporting the median:
#   peers:    wc -l (plain) and zstd -dc | wc -l (zstd): reading the same bytes, no parsing
#   parse:    bench_import_parse (input + parser + time placement, no profile writer)
#   import:   membench-record twitter:FILE -o out.mbp (everything, profile written)
#   generate: membench-record synth:zipf / synth:etc, ROWS requests
# Build with -DCMAKE_BUILD_TYPE=Release (no sanitizers) for meaningful figures.
set -euo pipefail

B=${1:-build}
ROWS=${2:-5000000}
REC="$B/bin/membench-record"
GEN="$B/bench/import/bench_import_gen"
PARSE="$B/bench/import/bench_import_parse"
for x in "$REC" "$GEN" "$PARSE"; do
	[ -x "$x" ] || { echo "run.sh: $x not built (cmake --build $B --target membench-record bench_import_gen bench_import_parse)" >&2; exit 1; }
done
command -v zstd >/dev/null || { echo "run.sh: zstd CLI missing (apt-get install zstd)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$GEN" "$ROWS" 1000000 "$tmp/tw.csv"
zstd -q -3 "$tmp/tw.csv" -o "$tmp/tw.csv.zst"
echo "input: $ROWS rows, $(stat -c %s "$tmp/tw.csv") bytes plain, $(stat -c %s "$tmp/tw.csv.zst") bytes zstd -3"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1 /proc/loadavg)"

# Runs "$@" 3 times; prints the median wall-clock seconds and the median CPU seconds
# (user + sys). The machine is shared, so CPU time is the steadier figure.
median3() {
	local w=() c=() TIMEFORMAT='%R %U %S' out
	for _ in 1 2 3; do
		out=$({ time "$@" >/dev/null 2>&1; } 2>&1)
		w+=("$(echo "$out" | awk '{print $1}')")
		c+=("$(echo "$out" | awk '{print $2 + $3}')")
	done
	echo "$(printf '%s\n' "${w[@]}" | sort -g | sed -n 2p) $(printf '%s\n' "${c[@]}" | sort -g | sed -n 2p)"
}

report() { # name "wall cpu"
	awk -v n="$1" -v t="$2" -v r="$ROWS" 'BEGIN { split(t, a, " ");
		printf "%-40s wall %6.3f s %6.2fM rows/s | cpu %6.3f s %6.2fM rows/s\n",
		n, a[1], r / a[1] / 1e6, a[2], (a[2] > 0 ? r / a[2] / 1e6 : 0) }'
}

report "peer: wc -l (plain)" "$(median3 wc -l "$tmp/tw.csv")"
report "peer: zstd -dc | wc -l" "$(median3 sh -c "zstd -dc '$tmp/tw.csv.zst' | wc -l")"
report "parse only, plain (bench_import_parse)" "$(median3 "$PARSE" twitter "$tmp/tw.csv")"
report "parse only, zstd" "$(median3 "$PARSE" twitter "$tmp/tw.csv.zst")"
report "membench-record twitter: plain -> .mbp" "$(median3 "$REC" "twitter:$tmp/tw.csv" -o "$tmp/a.mbp")"
report "membench-record twitter: zstd -> .mbp" "$(median3 "$REC" "twitter:$tmp/tw.csv.zst" -o "$tmp/b.mbp")"
report "membench-record synth:zipf (1M keys)" "$(median3 "$REC" synth:zipf --ops "$ROWS" --keys 1000000 --alpha 0.99 --rate 20000 --connections 20 --seed 7 -o "$tmp/z.mbp")"
report "membench-record synth:etc (1M keys)" "$(median3 "$REC" synth:etc --ops "$ROWS" --keys 1000000 --seed 7 -o "$tmp/e.mbp")"
report "membench-record synth:zipf (1K keys)" "$(median3 "$REC" synth:zipf --ops "$ROWS" --keys 1000 --seed 7 -o "$tmp/z2.mbp")"
echo "profile sizes: twitter $(stat -c %s "$tmp/a.mbp") B, synth:zipf $(stat -c %s "$tmp/z.mbp") B, synth:etc $(stat -c %s "$tmp/e.mbp") B"
