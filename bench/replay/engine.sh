#!/usr/bin/env bash
# The replay engine's figures for issue 16, one run each: pipelining, pacing, fidelity ceiling.
#
# usage: bench/replay/engine.sh BIN_DIR [BASE_BIN_DIR]
#   BIN_DIR       membench binaries to measure (a Release build: -DCMAKE_BUILD_TYPE=Release)
#   BASE_BIN_DIR  optional: an older build measured in the same run, interleaved round by round
#                 (before/after ratios on a machine whose load changes minute to minute)
#   ROUNDS=5      rounds of sections 1 and 2 (every figure printed is the median over rounds)
#   SECS=3        seconds per run in sections 1 and 2
#   SECTIONS=123  which sections to run (e.g. SECTIONS=1 ROUNDS=9 for more pipelining rounds)
#
# 1. Pipelining. memcached -t 1 pinned to CPU 0 (taskset), the client pinned to CPU 1, 20
#    connections, 90% get / 10% set, 10k keys (stored first, so gets hit), 16 B keys, 100 B
#    values: `membench replay --rate max --depth 8` for SECS; the floor in the same run:
#    bench-replay-floor (floor.c, the ideal pipelined client: each connection writes 8 requests
#    of the same mix in one write and the next 8 when all replies are in, parsing replies just
#    enough to count them), and memcaslap -T 1 -c 20 (the same mix and sizes; it cannot
#    pipeline: one request outstanding per connection) as a Debian peer (memtier_benchmark and
#    mc-crusher are not packaged in Debian). Figure: memcached's CPU per request = its threads'
#    CPU time (/proc/PID/task/*/schedstat) / (cmd_get + cmd_set) deltas; goal: membench <= 1.05x
#    the floor. With perf installed also the client's send() calls per request.
# 2. Pacing. C = `--rate max --threads 1` (default depth) closed-loop rate against the same
#    pinned memcached; a constant-rate profile at C/2 (20 connections, SECS) replayed at 1x with
#    --threads 1: schedule lag p50/p99 (actual - intended send time), achieved rate, how often
#    the replayer was preempted (involuntary context switches: each stops the spinning worker
#    for a time slice), and with perf the worker's epoll_wait calls per request.
# 3. Ceiling (root with BTF only, else skipped): a memcached with default settings (unpinned,
#    like the fidelity bench), a synth:etc profile of 20,000 req/s on 20 connections for 5 s,
#    replayed at 1x with DEFAULT flags while `membench-record ebpf:any` records the replay;
#    `membench analyze --compare` checks, 3 runs; where the inter-arrival CDFs of the profile and
#    of the recorded replay differ most, and both CDFs at 5, 10, 20 and 50 us.
# Sections 1 and 2 rotate the order of the clients round by round.
# The machine is shared: read ratios within a run, and the load printed with each section.
set -euo pipefail
BIN=${1:?usage: engine.sh BIN_DIR [BASE_BIN_DIR]}
BASE=${2:-}
ROUNDS=${ROUNDS:-5}
SECTIONS=${SECTIONS:-123}
SECS=${SECS:-3}
MK=$BIN/bench-replay-mkprofile
FLOOR=$BIN/bench-replay-floor
for t in "$BIN/membench-replay" "$MK" "$FLOOR" ${BASE:+"$BASE/membench-replay"}; do
  [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }
done
command -v memcached >/dev/null || { echo "memcached not installed" >&2; exit 1; }
command -v memcaslap >/dev/null || { echo "memcaslap not installed (libmemcached-tools)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (server and client pinned apart)" >&2; exit 1; }
PERF=; command -v perf >/dev/null && perf stat -e raw_syscalls:sys_enter true 2>/dev/null && PERF=perf
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbengine.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_mc() { # start_mc "PREFIX COMMAND" "MEMCACHED ARGS": sets MC_PID, MC_PORT
  local pre extra
  read -ra pre <<<"$1"; read -ra extra <<<"$2"
  MC_PORT=$(freeport)
  "${pre[@]}" memcached -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 1024 "${user[@]}" "${extra[@]}" &
  MC_PID=$!; PIDS+=("$MC_PID")
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$MC_PORT") 2>/dev/null && return 0; sleep 0.02; done
  echo "memcached did not start" >&2; exit 1
}
mc_cpu_ns() { cat /proc/"$MC_PID"/task/*/schedstat | awk '{s += $1} END {printf "%.0f\n", s}'; }
mc_ops() { printf 'stats\r\nquit\r\n' | timeout 5 nc -q1 127.0.0.1 "$MC_PORT" | tr -d '\r' |
  awk '$2=="cmd_get" || $2=="cmd_set" {s += $3} END {print s}'; }
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[2])); print(eval(sys.argv[1], {'j': j}))" "$2" "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
calc() { python3 -c "print($*)"; }
# syscalls FILE CMD...: runs CMD (under perf stat when available) counting send (sendto) and
# epoll_wait calls into FILE as "sends epolls" (empty without perf)
syscalls() {
  local f=$1; shift
  if [ -n "$PERF" ]; then
    perf stat -x, -o "$f.perf" -e raw_syscalls:sys_enter --filter 'id == 44' \
      -e raw_syscalls:sys_enter --filter 'id == 232' -- "$@"
    awk -F, '/sys_enter/ {printf "%s ", $1}' "$f.perf" > "$f"
  else
    "$@"; : > "$f"
  fi
}
# "${PREEMPTS[@]}" FILE CMD...: runs CMD and writes into FILE how often it was preempted
# (involuntary context switches of it and its children): each one stops a spinning worker for
# a time slice. A command, not a function, so that perf can run it.
PREEMPTS=(python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[2:]).returncode
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_nivcsw))
sys.exit(rc)')
perreq() { [ -s "$1" ] && calc "round($(cut -d' ' -f"$2" "$1") / $3, 3)" || echo nan; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "machine: $(nproc) CPUs, $(uname -r), memcached $(memcached -V | awk '{print $2}'), $(date -u +%FT%TZ)"
echo "binaries: $BIN${BASE:+ (base: $BASE)}; rounds $ROUNDS x ${SECS}s; perf: ${PERF:-not available}"
tools=(new); [ -n "$BASE" ] && tools+=(base)
bin_of() { [ "$1" = base ] && echo "$BASE" || echo "$BIN"; }
# rotated ROUND WORD...: the words, starting at the ROUND-th (mod count): each client takes every
# position in turn, so what runs just before (memcaslap's own keys, a warm-up) is no one's bias
rotated() { local r=$1; shift; local a=("$@") n=$#; for ((i = 0; i < n; i++)); do echo "${a[(r + i) % n]}"; done; }

# ---- 1. pipelining
start_mc "taskset -c 0" "-t 1"
"$MK" "$TMP/pipe.mbp" 5000000 1000000 20 90 10000 100
taskset -c 1 "$BIN/membench-replay" "$TMP/pipe.mbp" --server "127.0.0.1:$MC_PORT" --warm --rate max \
  --duration 1s -q --no-progress   # stores the keys, warms memcached
taskset -c 1 "$FLOOR" 127.0.0.1 "$MC_PORT" 20 8 0 90 10000 100   # stores the floor's keys
if [[ $SECTIONS == *1* ]]; then
echo; echo "1. pipelining: memcached -t 1 on CPU 0, client on CPU 1, 20 connections, 90/10, 100 B values (load $(load))"
cat > "$TMP/mix.cfg" <<CFG
key
16 16 1
value
100 100 1
cmd
0 0.1
1 0.9
CFG
declare -A US RATE SEND
for round in $(seq "$ROUNDS"); do
  for t in $(rotated "$round" "${tools[@]}" floor memcaslap); do
    c0=$(mc_cpu_ns); o0=$(mc_ops)
    if [ "$t" = floor ]; then
      syscalls "$TMP/sc" taskset -c 1 "$FLOOR" 127.0.0.1 "$MC_PORT" 20 8 "$SECS" 90 10000 100 > "$TMP/fl.out"
      read -r _ n _ _ _ r _ w _ _ < "$TMP/fl.out"
      s=$(perreq "$TMP/sc" 1 "$n")
    elif [ "$t" = memcaslap ]; then
      taskset -c 1 memcaslap -s "127.0.0.1:$MC_PORT" -T 1 -c 20 -t "${SECS}s" -F "$TMP/mix.cfg" > "$TMP/ms.out" 2>&1
      r=$(awk '/^Run time/ {for (i=1;i<=NF;i++) if ($i=="TPS:") print $(i+1)}' "$TMP/ms.out"); s=nan
    else
      syscalls "$TMP/sc" taskset -c 1 "$(bin_of "$t")/membench-replay" "$TMP/pipe.mbp" \
        --server "127.0.0.1:$MC_PORT" --rate max --depth 8 --duration "${SECS}s" -q --no-progress \
        --json "$TMP/p.json"
      r=$(jget "$TMP/p.json" "j['achieved_rate']")
      s=$(perreq "$TMP/sc" 1 "$(jget "$TMP/p.json" "j['requests_sent']")")
    fi
    c1=$(mc_cpu_ns); o1=$(mc_ops)
    US[$t]+="$(calc "round(($c1 - $c0) / 1000 / ($o1 - $o0), 3)") "; RATE[$t]+="$r "; SEND[$t]+="$s "
  done
done
printf '%-34s %12s %16s %14s   %s\n' client req/s mc_us_per_req sends_per_req "mc us/req per round"
for t in "${tools[@]}" floor memcaslap; do
  case $t in
    new) name="membench --rate max --depth 8";;
    base) name="base: --rate max --depth 8";;
    floor) name="floor: ideal client, depth 8";;
    memcaslap) name="memcaslap -T 1 -c 20 (depth 1)";;
  esac
  printf '%-34s %12.0f %16.3f %14s   %s\n' "$name" "$(printf '%s\n' ${RATE[$t]} | median)" \
    "$(printf '%s\n' ${US[$t]} | median)" "$(printf '%s\n' ${SEND[$t]} | median)" "${US[$t]}"
done
mnew=$(printf '%s\n' ${US[new]} | median)
echo "memcached CPU per request, membench depth 8 / floor depth 8: $(calc "round($mnew / $(printf '%s\n' ${US[floor]} | median), 3)") (goal <= 1.05)"
[ -n "$BASE" ] && echo "memcached CPU per request, base depth 8 / floor depth 8: $(calc "round($(printf '%s\n' ${US[base]} | median) / $(printf '%s\n' ${US[floor]} | median), 3)")"
echo "memcached CPU per request, membench depth 8 / memcaslap: $(calc "round($mnew / $(printf '%s\n' ${US[memcaslap]} | median), 3)")"
[ -n "$BASE" ] && echo "memcached CPU per request, new / base: $(calc "round($mnew / $(printf '%s\n' ${US[base]} | median), 3)")"
echo "load after: $(load)"
fi

# ---- 2. pacing
if [[ $SECTIONS == *2* ]]; then
echo; echo "2. pacing: one thread at half its closed-loop rate, 20 connections (load $(load))"
caps=()
for _ in 1 2 3; do
  taskset -c 1 "$BIN/membench-replay" "$TMP/pipe.mbp" --server "127.0.0.1:$MC_PORT" --rate max \
    --threads 1 --duration "${SECS}s" -q --no-progress --json "$TMP/c.json"
  caps+=("$(jget "$TMP/c.json" "j['achieved_rate']")")
done
CAP=$(printf '%s\n' "${caps[@]}" | median)
HALF=$(calc "int($CAP / 2)")
echo "closed loop (--rate max --threads 1, depth 1): $CAP req/s (runs ${caps[*]}); pacing at $HALF req/s"
"$MK" "$TMP/half.mbp" $((HALF * SECS)) "$HALF" 20 90 10000 100
declare -A L50 L99 ACH EPW PRE
for round in $(seq "$ROUNDS"); do
  for t in $(rotated "$round" "${tools[@]}"); do
    syscalls "$TMP/sc" "${PREEMPTS[@]}" "$TMP/pre" taskset -c 1 "$(bin_of "$t")/membench-replay" \
      "$TMP/half.mbp" --server "127.0.0.1:$MC_PORT" --threads 1 -q --no-progress --json "$TMP/h.json"
    PRE[$t]+="$(cat "$TMP/pre") "
    L50[$t]+="$(jget "$TMP/h.json" "j['schedule_lag_us']['p50']") "
    L99[$t]+="$(jget "$TMP/h.json" "j['schedule_lag_us']['p99']") "
    ACH[$t]+="$(jget "$TMP/h.json" "j['achieved_rate']") "
    EPW[$t]+="$(perreq "$TMP/sc" 2 "$(jget "$TMP/h.json" "j['requests_sent']")") "
  done
done
printf '%-8s %10s %12s %12s %14s   %s\n' build req/s lag_p50_us lag_p99_us epoll_per_req \
  "lag p99 per round [times preempted]"
for t in "${tools[@]}"; do
  per=$(paste -d' ' <(printf '%s\n' ${L99[$t]}) <(printf '[%s]\n' ${PRE[$t]}) | tr '\n' ' ')
  printf '%-8s %10.0f %12.1f %12.1f %14s   %s\n' "$t" "$(printf '%s\n' ${ACH[$t]} | median)" \
    "$(printf '%s\n' ${L50[$t]} | median)" "$(printf '%s\n' ${L99[$t]} | median)" \
    "$(printf '%s\n' ${EPW[$t]} | median)" "$per"
done
echo "load after: $(load)"
fi
kill "$MC_PID"; wait "$MC_PID" 2>/dev/null || true
[[ $SECTIONS == *3* ]] || exit 0

# ---- 3. ceiling
echo; echo "3. ceiling: 20,000 req/s, 20 connections, replayed at 1x with default flags while recorded (load $(load))"
if [ "$(id -u)" -ne 0 ] || [ ! -e /sys/kernel/btf/vmlinux ]; then
  echo "skipped: needs root and BTF (eBPF capture)"; exit 0
fi
start_mc "" ""
"$BIN/membench-record" synth:etc --rate 20000 --duration 5s --connections 20 --keys 10000 --seed 16 \
  -o "$TMP/etc.mbp" 2>/dev/null
"$BIN/membench-analyze" --json "$TMP/etc.mbp" > "$TMP/etc.json"
printf '%-5s %-4s %8s %7s %7s %7s %8s %8s %7s %8s %6s %9s %9s  %s\n' build run req_d op keyks valks \
  rate_err rms iat_ks ks_at_us order lag_p50 lag_p99 verdict
for run in 1 2 3; do
  for t in "${tools[@]}"; do
    rm -f "$TMP/rec.mbp"
    "$BIN/membench-record" ebpf:any --port "$MC_PORT" -o "$TMP/rec.mbp" 2>"$TMP/rec.log" &
    rec=$!
    for _ in $(seq 300); do [ -e "$TMP/rec.mbp" ] && break; sleep 0.1; done
    "$(bin_of "$t")/membench-replay" "$TMP/etc.mbp" --server "127.0.0.1:$MC_PORT" -q \
      --json "$TMP/e.json" 2>"$TMP/e.err"   # default flags: the progress line too
    sleep 0.5; kill -INT "$rec"; wait "$rec" || true
    "$BIN/membench-analyze" --compare --json "$TMP/etc.mbp" "$TMP/rec.mbp" > "$TMP/cmp.json" 2>/dev/null || true
    "$BIN/membench-analyze" --json "$TMP/rec.mbp" > "$TMP/rec.json" 2>/dev/null || true
    python3 - "$TMP/cmp.json" "$TMP/e.json" "$t" "$run" "$TMP/etc.json" "$TMP/rec.json" \
      "$TMP/cdf.txt" <<'PY'
import bisect, json, sys
c = json.load(open(sys.argv[1]))["fidelity"]
r = json.load(open(sys.argv[2]))
v = {k["name"]: k["value"] for k in c["checks"]}
f = lambda x, d=4: "-" if x is None else "%.*f" % (d, x)
lag = r["schedule_lag_us"]
# where the inter-arrival CDFs of the profile (a) and of the recorded replay (b) differ most,
# from analyze's CDF points (so about: the check itself uses every gap), and both CDFs at a few
# short gaps: what the replay could not space as finely as the recording
cdf = lambda p: json.load(open(p))["inter_arrival_ns"]["cdf"]
def at(pts, x):
    i = bisect.bisect_right([q[0] for q in pts], x)
    return pts[i - 1][1] if i else 0.0
a, b = cdf(sys.argv[5]), cdf(sys.argv[6])
ks, x = max((abs(at(a, x) - at(b, x)), x) for x in sorted({q[0] for q in a + b}))
with open(sys.argv[7], "a") as o:
    o.write("%-5s %-4s profile / replay CDF at 5, 10, 20, 50 us: %s\n" % (sys.argv[3], sys.argv[4],
        "  ".join("%.3f/%.3f" % (at(a, u * 1000), at(b, u * 1000)) for u in (5, 10, 20, 50))))
print("%-5s %-4s %8s %7s %7s %7s %8s %8s %7s %8.1f %6s %9.1f %9.1f  %s" % (sys.argv[3], sys.argv[4],
    f(v["requests"], 0), f(v["op_mix"]), f(v["key_size_ks"]), f(v["value_size_ks"]),
    f(v["mean_rate_error"]), f(v["rate_series_rms"]), f(v["inter_arrival_ks"]), x / 1000,
    f(v["conn_order"]), lag["p50"], lag["p99"], "PASS" if c["pass"] else "FAIL " + ",".join(
        k["name"] for k in c["checks"] if k["result"] == "FAIL")))
PY
  done
done
cat "$TMP/cdf.txt"
echo "(default flags: --threads = the CPUs ($(nproc)), capped by lanes; ks_at_us: the gap where the"
echo " CDFs differ most, from analyze's CDF points; load after: $(load))"
