#!/usr/bin/env bash
# The recorder's cost to memcached, against no recorder and against the null-program floor, in
# one run (root).
#
# usage: bench/record/overhead.sh [BUILD_DIR]   (default: build; configure it with
#        -DCMAKE_BUILD_TYPE=Release and build membench-record, membench-replay,
#        bench-replay-mkprofile, bench-record-nullprobe and mbp_dump)
#        env: ROUNDS (default 5), DUR (seconds per measurement, default 4), CONC (memcaslap
#        connections, default 64: enough to keep memcached's core busy here), WIN (memcaslap --win_size, default 1k), VARIANTS (default
#        "off null14 null rec s4 s16"), STATS=0 to skip the bpf_stats pass, PERF=0 to skip the
#        profile pass, UNTRACED=0 to skip the
#        unrelated-load section, NICE (default "nice -n -10": memcached and the load
#        outrank other work on a shared machine; "" to run them at normal priority)
#
# Setup (issue 14): memcached -t 1 pinned to CPU 0, the load pinned to CPU 1, the recorder and
# the null loader unpinned. Variants, alternated inside every round (their order rotates from
# round to round so that drift of the shared machine spreads over all of them):
#   off   no BPF program of ours
#   null  bench-record-nullprobe: programs that only count, on every hook the recorder uses
#         (the floor: what the kernel charges for calling anything there)
#   null14  the same plus the entries of the receive syscalls: the hooks of issue 14's floor
#         (the recorder then hooked them; it now handles receives at their exit alone)
#   copy  bench-record-nullprobe --copy: the copy floor, the least a ring-buffer recorder can do
#         on these hooks (one clock read and one ring record with the bytes per data syscall of
#         the server, no state; bpf/nullprobe.bpf.c): how far the recorder is from copying alone
#   rec   membench record ebpf:any --port P (default options: arrival stamps)
#   s4    the same with --sample 1/4;  s16: --sample 1/16
#   rec2  the recorder binary $REC2 (e.g. a build of an older commit), default options: a
#         before/after comparison in the same run (add it to VARIANTS)
#   full  the recorder with --full-values (response value payloads copied too, as before
#         issue 14's second round): what not copying them saves
# Loads:
#   sat   memcaslap -T 1 -c $CONC -w $WIN -t ${DUR}s (closed loop: as fast as memcached answers)
#   half  membench replay at half of the first round's saturated rate without recorder (paced,
#         64 connections, 90% gets, 32-byte values; memcaslap's --tps does not throttle)
# Per variant and load: memcached's CPU per request (sum of its threads' schedstat run time /
# the delta of its cmd_get + cmd_set) and the request rate; medians over the rounds and ratios to
# `off`. With the recorder: records per request seen by memcached (1.000 = complete at 1/1; about
# the fraction when sampling), ring drops and stream gaps.
# Then (STATS=1) one more pass of each BPF variant under the saturating load with
# kernel.bpf_stats_enabled=1: run count and mean ns per run of each program (bpf_stats adds two
# clock reads per run, so these passes are not used for the CPU figures), and their sum per
# request, also less what the same programs spent in an idle interval of the same length
# just before (the host's other syscalls: on a shared machine, builds).
# Then (PERF=1, with perf installed) one more saturating pass of each BPF variant under
# `perf record -e cpu-clock -C 0 -g` (memcached's CPU; the only profiler a VM without a PMU
# has): the time memcached's threads spent inside BPF programs per request (samples with a
# bpf_prog_ frame on their stack), by outermost program and by leaf function. Unlike bpf_stats
# it counts only memcached's side (not the load generator's syscalls) and includes what the
# programs wait for (the ring's cache lines), and it needs no clock read per run.
# Then (UNTRACED=1) the arrival probe and the syscall probes on traffic the recorder does not
# trace: the same saturating load against memcached, with the recorder told to record another
# port (`untr`): memcached's CPU per request against off and null.
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/bin
REC=$BIN/membench-record
NULLP=$BIN/bench-record-nullprobe
REPLAY=$BIN/membench-replay
MK=$BIN/bench-replay-mkprofile
DUMP=$BUILD/tests/record/capture/mbp_dump
ROUNDS=${ROUNDS:-5}
DUR=${DUR:-4}
CONC=${CONC:-64}
WIN=${WIN:-1k}
VARIANTS=${VARIANTS:-off null14 null rec s4 s16}
REC2=${REC2:-}
STATS=${STATS:-1}
UNTRACED=${UNTRACED:-1}
# memcached and the load run at this priority, so that other work on a shared machine does not
# starve them (a starved memcached is not saturated, and idles between requests)
NICE=${NICE:-nice -n -10}
for t in "$REC" "$NULLP" "$REPLAY" "$MK" "$DUMP"; do
  [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "run as root (BPF)" >&2; exit 1; }
command -v memcaslap >/dev/null || { echo "memcaslap not installed (libmemcached-tools)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (memcached on CPU 0, the load on CPU 1)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbover.XXXXXX")
MC_PID= BG_PID=
cleanup() {
  if [ -n "$BG_PID" ]; then kill "$BG_PID" 2>/dev/null || true; fi
  if [ -n "$MC_PID" ]; then kill "$MC_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  sysctl -qw kernel.bpf_stats_enabled=0 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
OTHER_PORT=$(free_port)
$NICE taskset -c 0 memcached -l 127.0.0.1 -p "$PORT" -U 0 -m 1024 -t 1 -u nobody &
MC_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
stat_of() { printf 'stats\r\nquit\r\n' | nc -q 2 127.0.0.1 "$PORT" | tr -d '\r' | awk -v k="$1" '$1=="STAT" && $2==k {print $3}'; }
ops() { echo $(( $(stat_of cmd_get) + $(stat_of cmd_set) )); }
# run time of every memcached thread, ns (schedstat: exact, unlike the 10 ms ticks of stat)
mc_ns() { cat /proc/"$MC_PID"/task/*/schedstat | awk '{s += $1} END {printf "%.0f", s}'; }
now() { date +%s%N; }
prog_ids() { bpftool prog show --json | python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))'; }
# BPF programs of other users attached to tracing hooks now (other sessions' recorders and
# tests on a shared machine add their cost to every syscall measured here)
foreign_progs() {
  bpftool prog show --json | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin) if p["type"] in ("tracepoint", "raw_tracepoint", "tracing", "kprobe")))'
}

# ---- variants: start / stop ------------------------------------------------------------------
# bg_start VARIANT: starts the BPF side of a variant and waits until it is attached.
bg_start() {
  BG_PID=
  case $1 in
    off) return ;;
    null|null14|copy)
      local nargs=()
      [ "$1" = null14 ] && nargs=(--receive-entries)
      [ "$1" = copy ] && nargs=(--copy "$PORT")
      "$NULLP" "${nargs[@]}" >"$TMP/null.out" 2>"$TMP/bg.err" &
      BG_PID=$!
      for _ in $(seq 300); do grep -q attached "$TMP/null.out" 2>/dev/null && return; sleep 0.05; done ;;
    rec|s4|s16|untr|rec2|full)
      local args=(--port "$PORT") rec=$REC
      [ "$1" = rec2 ] && rec=$REC2
      [ "$1" = s4 ] && args+=(--sample 1/4)
      [ "$1" = s16 ] && args+=(--sample 1/16)
      [ "$1" = full ] && args+=(--full-values)
      [ "$1" = untr ] && args=(--port "$OTHER_PORT")
      rm -f "$TMP/r.mbp"
      "$rec" ebpf:any "${args[@]}" -o "$TMP/r.mbp" 2>"$TMP/bg.err" &
      BG_PID=$!
      for _ in $(seq 600); do [ -e "$TMP/r.mbp" ] && return; sleep 0.05; done ;;
  esac
  echo "$1 did not attach: $(cat "$TMP/bg.err")" >&2
  exit 1
}

# bg_stop VARIANT: stops it; for recorder variants sets RECORDS, DROPS, GAPS.
bg_stop() {
  RECORDS=- DROPS=- GAPS=-
  [ -n "$BG_PID" ] || return 0
  kill -INT "$BG_PID"
  wait "$BG_PID" || { echo "$1 failed: $(cat "$TMP/bg.err")" >&2; exit 1; }
  BG_PID=
  case $1 in
    rec|s4|s16|untr|rec2|full)
      "$DUMP" "$TMP/r.mbp" >"$TMP/r.txt"
      RECORDS=$(awk '$1=="rec" && ($4=="get" || $4=="set") {n++} END {print n+0}' "$TMP/r.txt")
      DROPS=$(awk '$1=="stat" && $2=="ring_drops" {print $3}' "$TMP/r.txt")
      GAPS=$(awk '$1=="stat" && $2=="stream_gaps" {print $3}' "$TMP/r.txt") ;;
  esac
}

# ---- loads ----------------------------------------------------------------------------------
# run_load LOAD: one measurement; sets OPS, RATE (req/s) and US (memcached CPU us per request).
run_load() {
  local o0 c0 t0 ns
  o0=$(ops); c0=$(mc_ns); t0=$(now)
  case $1 in
    sat) /usr/bin/time -f '%U %S' -o "$TMP/time" $NICE taskset -c 1 memcaslap -s "127.0.0.1:$PORT" -T 1 -c "$CONC" -w "$WIN" -t "${DUR}s" >/dev/null ;;
    half) /usr/bin/time -f '%U %S' -o "$TMP/time" $NICE taskset -c 1 "$REPLAY" "$TMP/half.mbp" --server "127.0.0.1:$PORT" --rate "$HALF" \
            --duration "${DUR}s" --loop -q >/dev/null 2>&1 ;;
  esac
  ns=$(( $(now) - t0 ))
  OPS=$(( $(ops) - o0 ))
  RATE=$(( OPS * 1000000000 / ns ))
  local c=$(( $(mc_ns) - c0 ))
  US=$(awk -v c="$c" -v n="$OPS" 'BEGIN {printf "%.3f", c / 1e3 / n}')
  BUSY=$(awk -v c="$c" -v t="$ns" 'BEGIN {printf "%.0f%%", 100 * c / t}')
  CL=$(awk -v n="$OPS" '{printf "%.2f", ($1 + $2) * 1e6 / n}' "$TMP/time")
}

echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r), memcached $(memcached -V | awk '{print $2}')"
echo "date: $(date -u +%FT%TZ)   commit: $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)   BPF tracing programs of others attached: $(foreign_progs)"
echo "memcached -t 1 on CPU 0 (port $PORT); load on CPU 1: sat = memcaslap -T 1 -c $CONC -w $WIN -t ${DUR}s; both under '${NICE:-normal priority}'"

run_load sat # warm-up: the items and the page cache
run_load sat
HALF=$(( RATE / 2 ))
"$MK" "$TMP/half.mbp" $(( HALF * DUR )) "$HALF" 64 90 10000 32 >/dev/null
echo "half = membench replay --rate $HALF (50% of the warm-up's $RATE req/s), 64 connections, 90% gets"

declare -A US_OF CL_OF RATE_OF REC_OF ROUND_US ROUND_CL RATIO_OF CLRATIO_OF
printf '\n%-5s %-5s %-6s %10s %8s %10s %10s %10s %8s %6s\n' round load var req_per_s mc_busy mc_us/req cl_us/req rec/req drops gaps
variants=($VARIANTS)
for r in $(seq "$ROUNDS"); do
  for load in sat half; do
    n=${#variants[@]}
    for i in $(seq 0 $((n - 1))); do
      v=${variants[$(( (i + r) % n ))]}
      bg_start "$v"
      run_load "$load"
      bg_stop "$v"
      per=-
      [ "$RECORDS" != - ] && per=$(awk -v a="$RECORDS" -v b="$OPS" 'BEGIN {printf "%.4f", a / b}')
      US_OF[$load.$v]+="$US "
      CL_OF[$load.$v]+="$CL "
      RATE_OF[$load.$v]+="$RATE "
      REC_OF[$load.$v]+="$per "
      printf '%-5s %-5s %-6s %10d %8s %10s %10s %10s %8s %6s\n' "$r" "$load" "$v" "$RATE" "$BUSY" "$US" "$CL" "$per" "$DROPS" "$GAPS"
      ROUND_US[$load.$v]=$US
      ROUND_CL[$load.$v]=$CL
    done
    for v in "${variants[@]}"; do
      [ -n "${ROUND_US[$load.off]:-}" ] || continue
      RATIO_OF[$load.$v]+="$(awk -v a="${ROUND_US[$load.$v]}" -v b="${ROUND_US[$load.off]}" 'BEGIN {printf "%.4f", a / b}') "
      CLRATIO_OF[$load.$v]+="$(awk -v a="${ROUND_CL[$load.$v]}" -v b="${ROUND_CL[$load.off]}" 'BEGIN {printf "%.4f", a / b}') "
    done
  done
done

spread() { sort -g | awk '{a[NR]=$1} END {printf "%s [%s..%s]", a[int((NR+1)/2)], a[1], a[NR]}'; }
echo
echo "per-round ratios to off (memcached CPU per request; the load generator's), median [min..max]"
echo "over $ROUNDS rounds: each ratio compares measurements of one round, seconds apart"
for load in sat half; do
  for v in "${variants[@]}"; do
    [ "$v" = off ] && continue
    printf '%-5s %-6s mc %-26s client %s\n' "$load" "$v" "$(printf '%s\n' ${RATIO_OF[$load.$v]:-} | spread)" \
      "$(printf '%s\n' ${CLRATIO_OF[$load.$v]:-} | spread)"
  done
done

echo
echo "medians over $ROUNDS rounds (ratio = memcached CPU per request / the same without recorder):"
printf '%-5s %-6s %10s %10s %8s %10s %10s %10s\n' load var req_per_s mc_us/req ratio over_off cl_us/req rec/req
for load in sat half; do
  base=$(printf '%s\n' ${US_OF[$load.off]:-} | median)
  for v in "${variants[@]}"; do
    us=$(printf '%s\n' ${US_OF[$load.$v]} | median)
    rate=$(printf '%s\n' ${RATE_OF[$load.$v]} | median)
    per=$(printf '%s\n' ${REC_OF[$load.$v]} | grep -v '^-$' | median || true)
    cl=$(printf '%s\n' ${CL_OF[$load.$v]} | median)
    awk -v l="$load" -v v="$v" -v r="$rate" -v u="$us" -v b="$base" -v p="${per:--}" -v c="$cl" 'BEGIN {
      if (b == "-" || b == 0) { printf "%-5s %-6s %10d %10s %8s %10s %10s %10s\n", l, v, r, u, "-", "-", c, p; exit }
      printf "%-5s %-6s %10d %10.3f %8.3f %+9.1f%% %10s %10s\n", l, v, r, u, u / b, 100 * (u / b - 1), c, p }'
  done
done

# The recorder's overhead over no recorder as a multiple of each floor's (medians): the goal
# of issue 14 is <= 1.5x the null floor's.
echo
echo "overhead above off as a multiple of the floors' (medians; null: hooks alone, copy: hooks + one ring record with the bytes per data syscall)"
for load in sat half; do
  base=$(printf '%s\n' ${US_OF[$load.off]:-} | median)
  [ "$base" != - ] || continue
  for v in "${variants[@]}"; do
    case $v in off|null|null14|copy) continue ;; esac
    line=$(printf '%-5s %-6s' "$load" "$v")
    for f in null copy; do
      [ -n "${US_OF[$load.$f]:-}" ] || continue
      fu=$(printf '%s\n' ${US_OF[$load.$f]} | median)
      vu=$(printf '%s\n' ${US_OF[$load.$v]} | median)
      line+=$(awk -v f="$f" -v a="$vu" -v b="$fu" -v o="$base" 'BEGIN {
        if (b - o > 0) printf "   /%s %.2fx", f, (a - o) / (b - o); else printf "   /%s (floor <= off)", f }')
    done
    echo "$line"
  done
done

if [ "$STATS" = 1 ]; then
  echo
  echo "bpf_stats (kernel.bpf_stats_enabled=1), one saturating pass per variant: runs and mean ns per run"
  sysctl -qw kernel.bpf_stats_enabled=1
  for v in "${variants[@]}"; do
    [ "$v" = off ] && continue
    before=$(prog_ids)
    bg_start "$v"
    mine=$(prog_ids)
    # the same programs with no load, for as long: what the rest of the host's syscalls and
    # segments cost them (a shared machine's builds run through the same hooks)
    bpftool prog show --json >"$TMP/idle0.json"
    sleep "$DUR"
    bpftool prog show --json >"$TMP/idle1.json"
    run_load sat
    bpftool prog show --json >"$TMP/progs.json"
    bg_stop "$v"
    echo "  $v ($RATE req/s, memcached $US us/req):"
    python3 - "$TMP" "$before" "$mine" "$OPS" <<'EOF'
import json, sys
d, before, mine, ops = sys.argv[1], set(sys.argv[2].split()), set(sys.argv[3].split()), int(sys.argv[4])
snap = [{p["id"]: p for p in json.load(open(d + f))} for f in ("/idle0.json", "/idle1.json", "/progs.json")]
total = net = 0
for i, p in snap[2].items():
    if str(i) in before or str(i) not in mine or not p.get("run_cnt"):
        continue
    f = lambda k, s: s.get(i, {}).get(k, 0)
    load_t, load_n = p["run_time_ns"] - f("run_time_ns", snap[1]), p["run_cnt"] - f("run_cnt", snap[1])
    idle_t, idle_n = f("run_time_ns", snap[1]) - f("run_time_ns", snap[0]), f("run_cnt", snap[1]) - f("run_cnt", snap[0])
    if not load_n:
        continue
    total += load_t
    net += load_t - idle_t
    print("    %-16s %10d runs %7.0f ns/run %7.3f runs/req  (idle: %d runs)" % (p["name"], load_n, load_t / load_n, load_n / ops, idle_n))
print("    all programs: %.0f ns per memcached request (every process's syscalls); %.0f ns without the idle interval's" % (total / ops, net / ops))
EOF
  done
  sysctl -qw kernel.bpf_stats_enabled=0
fi

if [ "${PERF:-1}" = 1 ] && command -v perf >/dev/null; then
  echo
  echo "perf pass (cpu-clock on CPU 0, 4 kHz), one saturating pass per variant: memcached's time in BPF programs"
  for v in "${variants[@]}"; do
    case $v in off) continue ;; esac
    bg_start "$v"
    perf record -q -F 4000 -e cpu-clock -C 0 -g -o "$TMP/perf.data" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 0.5
    run_load sat
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    bg_stop "$v"
    perf script -i "$TMP/perf.data" -F comm,ip,sym 2>/dev/null |
      python3 "$(dirname "$0")/perf_bpf.py" "$OPS" >"$TMP/perf.txt"
    awk -v v="$v" -v r="$RATE" '$1=="total" {printf "  %-6s %s req/s: memcached %s ns per request, %s of them in BPF programs (%.1f%%)\n", v, r, $2, $3, $2 ? 100 * $3 / $2 : 0}' "$TMP/perf.txt"
    echo "         by program: $(awk '$1=="prog" && k++ < 6 {printf "%s%s %s", (k > 1 ? ", " : ""), $2, $3}' "$TMP/perf.txt")"
    echo "         by leaf:    $(awk '$1=="leaf" && k++ < 8 {printf "%s%s %s", (k > 1 ? ", " : ""), $2, $3}' "$TMP/perf.txt")"
  done
fi

if [ "$STATS" = 1 ]; then
  echo
  echo "building blocks alone on sys_enter_write (bench-record-nullprobe --part), timed by bpf_stats"
  echo "under 200k writes of 16 bytes to a TCP socket: mean ns per run (bpf_stats' own clock"
  echo "reads included: compare with null)"
  sysctl -qw kernel.bpf_stats_enabled=1
  for part in null ktime walk probewalk cache ring ringq; do
    "$NULLP" --part "$part" >"$TMP/part.out" 2>"$TMP/bg.err" &
    BG_PID=$!
    for _ in $(seq 300); do grep -q attached "$TMP/part.out" 2>/dev/null && break; sleep 0.05; done
    before=$(prog_ids)
    python3 - <<'EOF2'
import os, socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
for i in range(200000):
    os.write(c.fileno(), b"x" * 16)
    if i % 64 == 63:
        s.recv(1 << 20)
EOF2
    bpftool prog show --json >"$TMP/progs.json"
    kill -INT "$BG_PID"; wait "$BG_PID" || true; BG_PID=
    python3 - "$TMP/progs.json" "$part" <<'EOF2'
import json, sys
want = "null_enter" if sys.argv[2] == "null" else "part_" + sys.argv[2]
for p in json.load(open(sys.argv[1])):
    if p["name"] == want and p.get("run_cnt", 0) >= 200000:
        print("  %-10s %-16s %8d runs %6.1f ns/run" % (sys.argv[2], want, p["run_cnt"], p["run_time_ns"] / p["run_cnt"]))
EOF2
  done
  sysctl -qw kernel.bpf_stats_enabled=0
fi

if [ "$UNTRACED" = 1 ]; then
  echo
  echo "traffic the recorder does not trace: the same load with the recorder on another port (untr)"
  declare -A UU
  for r in $(seq "$ROUNDS"); do
    for v in off null untr; do
      bg_start "$v"; run_load sat; bg_stop "$v"
      UU[$v]+="$US "
    done
  done
  base=$(printf '%s\n' ${UU[off]} | median)
  for v in off null untr; do
    us=$(printf '%s\n' ${UU[$v]} | median)
    awk -v v="$v" -v u="$us" -v b="$base" 'BEGIN {printf "%-5s %10.3f us/req  %+6.1f%%\n", v, u, 100 * (u / b - 1)}'
  done
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)   BPF tracing programs of others attached: $(foreign_progs)"
