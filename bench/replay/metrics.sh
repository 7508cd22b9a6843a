#!/usr/bin/env bash
# What --metrics costs the replayer (issue 17).
#
# 1. Direct: bench-replay-metrics-cost (metrics_cost.c), 3 times: the time one worker's
#    once-a-second publish takes (a copy of its counters and histograms), and the metrics
#    thread's CPU per scrape. These do not depend much on the machine's load.
# 2. End to end: the same closed-loop replay with and without --metrics, the metrics endpoint
#    scraped every 100 ms (50 to 150 times more often than Prometheus' usual 5-15 s), interleaved
#    round by round on a shared machine.
#
# usage: bench/replay/metrics.sh BIN_DIR
#   ROUNDS=5   rounds (each: one run without, one with --metrics; figures are medians)
#   SECS=4     seconds per run
#
# memcached -t 1 pinned to CPU 0, `membench replay --rate max --threads 1 --depth 8` pinned to
# CPU 1, 20 connections, 90% get / 10% set, 10k keys stored first (--warm), 100 B values.
# Figures per run: requests/s (requests_sent / duration_s of the JSON) and the replayer's CPU
# per request (user + sys from getrusage of the child, --warm's 10k stores included); with
# --metrics also the scrape time (curl's time_total, median) and the scrapes made. Printed:
# medians, and the ratio with/without. The curl processes (10 a second) compete for the same 2
# cores: this part shows that nothing breaks under frequent scrapes more than it measures cost.
set -euo pipefail
BIN=${1:?usage: metrics.sh BIN_DIR}
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-4}
MK=$BIN/bench-replay-mkprofile
for t in "$BIN/membench-replay" "$MK" "$BIN/bench-replay-metrics-cost"; do
  [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }
done
command -v memcached >/dev/null || { echo "memcached not installed" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl not installed" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (server and client pinned apart)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbmetrics.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
MC_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
taskset -c 0 memcached -t 1 -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 1024 "${user[@]}" &
PIDS+=("$!")
for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$MC_PORT") 2>/dev/null && break; sleep 0.02; done
"$MK" "$TMP/p.mbp" 5000000 1000000 20 90 10000 100 >/dev/null
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run NAME [extra flags]: one replay; appends "req/s cpu_us_per_req" to $TMP/NAME.txt
run() {
  local name=$1; shift
  python3 - "$TMP/$name.json" "$@" >>"$TMP/$name.txt" <<PY
import json, resource, subprocess, sys
out = sys.argv[1]
cmd = ["taskset", "-c", "1", "$BIN/membench-replay", "$TMP/p.mbp", "--server",
       "127.0.0.1:$MC_PORT", "--rate", "max", "--threads", "1", "--depth", "8",
       "--connections", "20", "--duration", "${SECS}s", "--warm", "-q", "--no-progress",
       "--json", out] + sys.argv[2:]
subprocess.run(cmd, check=True, stderr=open("$TMP/$name.err", "w"))
r = resource.getrusage(resource.RUSAGE_CHILDREN)
j = json.load(open(out))
n = j["requests_sent"]
print(f"{n / j['duration_s']:.0f} {(r.ru_utime + r.ru_stime) * 1e6 / n:.3f}")
PY
}

# scrape ERRFILE: scrapes the URL printed in ERRFILE every 100 ms until it stops answering;
# appends curl's time_total (ms) of each to $TMP/scrape.txt
scrape() {
  local url=""
  for _ in $(seq 200); do url=$(grep -o 'http://[^ ]*/metrics' "$1" 2>/dev/null || true); [ -n "$url" ] && break; sleep 0.02; done
  while t=$(curl -s -o /dev/null -w '%{time_total}' "$url"); do
    awk -v t="$t" 'BEGIN {printf "%.3f\n", t * 1000}' >>"$TMP/scrape.txt"
    sleep 0.1
  done
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in 1 2 3; do "$BIN/bench-replay-metrics-cost" 3 200 2>/dev/null; done
for r in $(seq "$ROUNDS"); do
  run off
  : >"$TMP/on.err"
  scrape "$TMP/on.err" &
  SC=$!
  run on --metrics 127.0.0.1:0
  wait "$SC" || true
  echo "round $r: off $(tail -1 "$TMP/off.txt")  on $(tail -1 "$TMP/on.txt")  (req/s, client CPU us/req)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
off_rate=$(cut -d' ' -f1 "$TMP/off.txt" | median); on_rate=$(cut -d' ' -f1 "$TMP/on.txt" | median)
off_cpu=$(cut -d' ' -f2 "$TMP/off.txt" | median); on_cpu=$(cut -d' ' -f2 "$TMP/on.txt" | median)
echo "median req/s: without --metrics $off_rate, with $on_rate (ratio $(awk -v a="$on_rate" -v b="$off_rate" 'BEGIN {printf "%.3f", a / b}'))"
echo "median client CPU us/req: without $off_cpu, with $on_cpu (ratio $(awk -v a="$on_cpu" -v b="$off_cpu" 'BEGIN {printf "%.3f", a / b}'))"
echo "scrapes: $(wc -l <"$TMP/scrape.txt"), median $(median <"$TMP/scrape.txt") ms, max $(sort -g "$TMP/scrape.txt" | tail -1) ms"
