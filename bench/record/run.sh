#!/usr/bin/env bash
# eBPF recorder benchmarks (root): completeness, overhead, and the recorder's own CPU.
#
# usage: bench/record/run.sh [BUILD_DIR]   (default: build; configure it with
#        -DCMAKE_BUILD_TYPE=Release and build membench-record and mbp_dump)
#        env: CONC, N, ROUNDS, REC_ARGS (extra recorder flags, e.g. "--stamp read" to measure
#        the recorder without arrival stamps)
#
# Load: memcslap (libmemcached-tools), closed loop, --concurrency=$CONC --test=get with
# --execute-number=$N: it first stores N keys, then each of its CONC threads gets N keys, as fast
# as memcached answers. memcached: 4 threads on 127.0.0.1. Everything shares this machine's cores.
#
# 1. Overhead and completeness: $ROUNDS alternating rounds without and with
#    `membench record ebpf:any` (default options). Throughput = (cmd_get + cmd_set delta of
#    memcached's own counters) / memcslap's wall time. With the recorder: completeness =
#    get+set records in the profile / the same counters, ring drops from the trailer, and the
#    recorder's CPU (utime+stime from /proc/PID/stat) per 100k requests/s of load.
#    Printed: medians, and the with/without throughput ratio; and, less sensitive to other load
#    on the machine, memcached's and memcslap's CPU time per request with and without (the
#    probes' work is charged to the process making the syscall).
# 2. Beyond the limit: the same load with smaller rings (--ring-size), to show that when the
#    ring overflows the loss is counted (ring drops, stream gaps), not silent.
# 3. Pipelined load (when membench-replay and bench-replay-mkprofile are built): memcslap waits
#    for each reply, so it cannot reach memcached's limit here; `membench replay --rate R` with
#    8 connections and depth 16 (90% gets, 32-byte values) can. Fixed target rates and
#    --rate max, each 5 s with the recorder: achieved rate, completeness, drops.
set -euo pipefail
BUILD=${1:-build}
REC=$BUILD/bin/membench-record
DUMP=$BUILD/tests/record/capture/mbp_dump
CONC=${CONC:-4}
N=${N:-50000}
ROUNDS=${ROUNDS:-3}
REC_ARGS=${REC_ARGS:-} # extra recorder flags for every run, e.g. "--stamp read"
for t in "$REC" "$DUMP"; do [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }; done
[ "$(id -u)" -eq 0 ] || { echo "run as root (the recorder loads BPF programs)" >&2; exit 1; }
command -v memcslap >/dev/null || { echo "memcslap not installed (libmemcached-tools)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbbench.XXXXXX")
MC_PID=
REC_PID=
cleanup() {
  [ -n "$REC_PID" ] && kill "$REC_PID" 2>/dev/null
  [ -n "$MC_PID" ] && kill "$MC_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
memcached -l 127.0.0.1 -p "$PORT" -U 0 -m 1024 -t 4 -u nobody &
MC_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
stat_of() { printf 'stats\r\nquit\r\n' | nc -q 2 127.0.0.1 "$PORT" | tr -d '\r' | awk -v k="$1" '$1=="STAT" && $2==k {print $3}'; }
ops() { echo $(( $(stat_of cmd_get) + $(stat_of cmd_set) )); }
now() { date +%s%N; }

mc_ticks() { awk '{print $14 + $15}' "/proc/$MC_PID/stat"; }

# run_load: memcslap once; sets LOAD_OPS (memcached's count), LOAD_NS (wall time), and the CPU
# time per request of memcached (MC_US) and of memcslap (CL_US), in microseconds. The probes'
# work is charged to the process that made the syscall, so these show the capture's cost even
# when throughput is drowned in noise from other load on the machine.
run_load() {
  local o0 t0 m0
  o0=$(ops)
  m0=$(mc_ticks)
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$TMP/time" \
    memcslap --servers="127.0.0.1:$PORT" --concurrency="$CONC" --execute-number="$N" --test=get >/dev/null
  LOAD_NS=$(( $(now) - t0 ))
  LOAD_OPS=$(( $(ops) - o0 ))
  MC_US=$(awk -v t="$(( $(mc_ticks) - m0 ))" -v hz="$(getconf CLK_TCK)" -v n="$LOAD_OPS" \
    'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
  CL_US=$(awk -v n="$LOAD_OPS" '{printf "%.2f", ($1 + $2) * 1e6 / n}' "$TMP/time")
}

# rec_on ARGS...: starts the recorder and waits until it is attached.
rec_on() {
  rm -f "$TMP/r.mbp"
  # shellcheck disable=SC2086 # REC_ARGS is a list of flags
  "$REC" ebpf:any --port "$PORT" -o "$TMP/r.mbp" $REC_ARGS "$@" 2>"$TMP/rec.err" &
  REC_PID=$!
  for _ in $(seq 300); do
    if [ -e "$TMP/r.mbp" ]; then
      # CPU spent loading (the verifier) is not capture work: count from here
      REC_TICKS0=$(awk '{print $14 + $15}' "/proc/$REC_PID/stat")
      return
    fi
    sleep 0.1
  done
  echo "recorder did not attach: $(cat "$TMP/rec.err")" >&2; exit 1
}

# rec_off: stops it; sets REC_CPU_S (its CPU seconds since attached, before the final drain),
# and RECORDS/DROPS/GAPS/EVENTS.
rec_off() {
  local ticks
  ticks=$(( $(awk '{print $14 + $15}' "/proc/$REC_PID/stat") - REC_TICKS0 ))
  kill -INT "$REC_PID"
  wait "$REC_PID"
  REC_PID=
  REC_CPU_S=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {print t / hz}')
  "$DUMP" "$TMP/r.mbp" >"$TMP/r.txt"
  RECORDS=$(awk '$1=="rec" && ($4=="get" || $4=="set") {n++} END {print n+0}' "$TMP/r.txt")
  DROPS=$(awk '$1=="stat" && $2=="ring_drops" {print $3}' "$TMP/r.txt")
  GAPS=$(awk '$1=="stat" && $2=="stream_gaps" {print $3}' "$TMP/r.txt")
  EVENTS=$(awk '$1=="stat" && $2=="events" {print $3}' "$TMP/r.txt")
}

echo "machine: $(nproc) cores, $(uname -r), memcached $(memcached -V | awk '{print $2}'), $(date -u +%FT%TZ)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "load: memcslap --concurrency=$CONC --execute-number=$N --test=get ($((N + CONC * N)) requests per run)"
run_load # warm-up: memcached's memory and the page cache

# ---- 1. overhead, completeness, CPU
printf '\n%-5s %-8s %12s %10s %10s %8s %8s %10s %9s %9s\n' round recorder req_per_s records complete% drops gaps rec_cpu_s mc_us/req cl_us/req
off=() on=() comp=() cpu100k=() mcoff=() mcon=() cloff=() clon=()
for r in $(seq "$ROUNDS"); do
  run_load
  rate=$(( LOAD_OPS * 1000000000 / LOAD_NS ))
  off+=("$rate")
  mcoff+=("$MC_US")
  cloff+=("$CL_US")
  printf '%-5s %-8s %12d %10s %10s %8s %8s %10s %9s %9s\n' "$r" off "$rate" - - - - - "$MC_US" "$CL_US"
  rec_on
  run_load
  rec_off
  rate=$(( LOAD_OPS * 1000000000 / LOAD_NS ))
  on+=("$rate")
  mcon+=("$MC_US")
  clon+=("$CL_US")
  c=$(awk -v a="$RECORDS" -v b="$LOAD_OPS" 'BEGIN {printf "%.3f", 100 * a / b}')
  comp+=("$c")
  # recorder cores used while loaded, scaled to 100k requests/s of load
  cpu100k+=("$(awk -v cpu="$REC_CPU_S" -v ns="$LOAD_NS" -v rate="$rate" \
    'BEGIN {printf "%.3f", (cpu / (ns / 1e9)) * 100000 / rate}')")
  printf '%-5s %-8s %12d %10d %10s %8s %8s %10s %9s %9s\n' "$r" on "$rate" "$RECORDS" "$c" "$DROPS" "$GAPS" "$REC_CPU_S" "$MC_US" "$CL_US"
done
OFF=$(printf '%s\n' "${off[@]}" | median)
ON=$(printf '%s\n' "${on[@]}" | median)
echo
echo "median throughput without recorder: $OFF req/s"
echo "median throughput with recorder:    $ON req/s"
awk -v a="$ON" -v b="$OFF" 'BEGIN {printf "ratio with/without: %.3f (%.1f%% loss)\n", a / b, 100 * (1 - a / b)}'
echo "median completeness: $(printf '%s\n' "${comp[@]}" | median)% of memcached's cmd_get+cmd_set"
echo "recorder CPU per 100k req/s of load: $(printf '%s\n' "${cpu100k[@]}" | median) cores (median)"
MCOFF=$(printf '%s\n' "${mcoff[@]}" | median); MCON=$(printf '%s\n' "${mcon[@]}" | median)
CLOFF=$(printf '%s\n' "${cloff[@]}" | median); CLON=$(printf '%s\n' "${clon[@]}" | median)
awk -v a="$MCON" -v b="$MCOFF" 'BEGIN {printf "memcached CPU per request: %.2f us without, %.2f us with (x%.3f)\n", b, a, a / b}'
awk -v a="$CLON" -v b="$CLOFF" 'BEGIN {printf "memcslap CPU per request:  %.2f us without, %.2f us with (x%.3f)\n", b, a, a / b}'

# ---- 2. beyond the limit: smaller rings
printf '\n%-10s %12s %10s %10s %10s %8s %8s\n' ring_size req_per_s events records complete% drops gaps
for ring in 1M 256k 64k; do
  rec_on --ring-size "$ring"
  run_load
  rec_off
  rate=$(( LOAD_OPS * 1000000000 / LOAD_NS ))
  printf '%-10s %12d %10s %10d %10s %8s %8s\n' "$ring" "$rate" "$EVENTS" "$RECORDS" \
    "$(awk -v a="$RECORDS" -v b="$LOAD_OPS" 'BEGIN {printf "%.3f", 100 * a / b}')" "$DROPS" "$GAPS"
done

# ---- 3. pipelined load from the replayer
REPLAY=$BUILD/bin/membench-replay
MK=$BUILD/bin/bench-replay-mkprofile
if [ -x "$REPLAY" ] && [ -x "$MK" ]; then
  "$MK" "$TMP/load.mbp" 3000000 300000 8 90 10000 32 >/dev/null
  printf '\n%-10s %12s %10s %10s %10s %8s %8s %10s\n' target req_per_s events records complete% drops gaps rec_cpu_s
  for rate in 20000 40000 80000 max; do
    o0=$(ops)
    rec_on
    "$REPLAY" "$TMP/load.mbp" --server "127.0.0.1:$PORT" --rate "$rate" --depth 16 --duration 5s \
      -q --json "$TMP/rep.json" >/dev/null 2>&1 || true
    rec_off
    sent=$(( $(ops) - o0 ))
    achieved=$(python3 -c "import json; print(round(json.load(open('$TMP/rep.json'))['achieved_rate']))" 2>/dev/null || echo "?")
    printf '%-10s %12s %10s %10d %10s %8s %8s %10s\n' "$rate" "$achieved" "$EVENTS" "$RECORDS" \
      "$(awk -v a="$RECORDS" -v b="$sent" 'BEGIN {printf "%.3f", 100 * a / b}')" "$DROPS" "$GAPS" "$REC_CPU_S"
  done
else
  echo; echo "(membench-replay / bench-replay-mkprofile not built in $BUILD: pipelined load skipped)"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
