#!/usr/bin/env bash
# Replayer benchmarks: accuracy of the open-loop schedule and client efficiency vs memcaslap.
#
# usage: bench/replay/run.sh [BIN_DIR]   (default: build/bin; build it with -DCMAKE_BUILD_TYPE=Release)
#
# 1. Saturation: `membench replay --rate max` (8 connections, depth 16) against a fresh memcached
#    (default 4 threads) on 127.0.0.1; median achieved rate of 3 runs = S.
# 2. Accuracy: constant-rate profiles (8 connections, 90% get / 10% set, 10k keys, 32 B values) at
#    25%, 50% and 75% of S, replayed at 1x for 5 s each, 3 runs: median achieved/target rate and
#    p99 schedule lag (actual - intended send time).
# 3. Efficiency: the same mix and 8 connections, closed loop: memcaslap (-T 1 -c 8) vs membench
#    replay --rate max at depth 1 (one outstanding request per connection, memcaslap's model) and at
#    depth 16 (pipelined), 3 alternating rounds of 200k requests: client CPU (user+sys, from
#    /usr/bin/time) per 100k requests and requests per client CPU-second; ratio vs memcaslap.
# Every figure printed is the median of its runs. The machine is shared: quote ratios from one run.
set -euo pipefail
BIN=${1:-build/bin}
REPLAY=$BIN/membench-replay
MK=$BIN/bench-replay-mkprofile
for t in "$REPLAY" "$MK"; do [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }; done
command -v memcached >/dev/null || { echo "memcached not installed" >&2; exit 1; }
command -v memcaslap >/dev/null || { echo "memcaslap not installed (libmemcached-tools)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not installed (apt-get install time)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbbench.XXXXXX")
MC_PID=
cleanup() { [ -n "$MC_PID" ] && kill "$MC_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
memcached -l 127.0.0.1 -p "$PORT" -U 0 -m 1024 "${user[@]}" &
MC_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
SERVER=127.0.0.1:$PORT
CONNS=8

jget() { python3 -c "import json,sys; j=json.load(open('$1')); print(eval(sys.argv[1], {'j': j}))" "$2"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "machine: $(nproc) cores, $(uname -r), memcached $(memcached -V | awk '{print $2}'), $(date -u +%FT%TZ)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. saturation
"$MK" "$TMP/sat.mbp" 2000000 200000 $CONNS 90 10000 32
rates=()
for i in 1 2 3; do
  "$REPLAY" "$TMP/sat.mbp" --server "$SERVER" --rate max --depth 16 --duration 4s -q --json "$TMP/sat.json"
  rates+=("$(jget "$TMP/sat.json" "j['achieved_rate']")")
done
SAT=$(printf '%s\n' "${rates[@]}" | median)
printf 'saturation (--rate max, %d conns, depth 16): %.0f req/s (runs: %s)\n' $CONNS "$SAT" "${rates[*]}"

# ---- 2. accuracy
printf '\n%-6s %10s %10s %9s %12s %12s %12s %12s\n' load target achieved error% lag_p50_us lag_p99_us corr_p99_us uncorr_p99_us
for pct in 25 50 75; do
  target=$(python3 -c "print(round($SAT * $pct / 100))")
  "$MK" "$TMP/acc.mbp" $((target * 5)) "$target" $CONNS 90 10000 32
  ach=(); lag50=(); lag99=(); c99=(); u99=()
  for i in 1 2 3; do
    "$REPLAY" "$TMP/acc.mbp" --server "$SERVER" --warm -q --json "$TMP/acc.json"
    ach+=("$(jget "$TMP/acc.json" "j['achieved_rate']")")
    lag50+=("$(jget "$TMP/acc.json" "j['schedule_lag_us']['p50']")")
    lag99+=("$(jget "$TMP/acc.json" "j['schedule_lag_us']['p99']")")
    c99+=("$(jget "$TMP/acc.json" "j['latency_us']['corrected']['p99']")")
    u99+=("$(jget "$TMP/acc.json" "j['latency_us']['uncorrected']['p99']")")
  done
  a=$(printf '%s\n' "${ach[@]}" | median)
  printf '%-6s %10d %10.1f %+9.3f %12.1f %12.1f %12.1f %12.1f\n' "$pct%" "$target" "$a" \
    "$(python3 -c "print(($a - $target) / $target * 100)")" \
    "$(printf '%s\n' "${lag50[@]}" | median)" "$(printf '%s\n' "${lag99[@]}" | median)" \
    "$(printf '%s\n' "${c99[@]}" | median)" "$(printf '%s\n' "${u99[@]}" | median)"
done

# ---- 3. efficiency
N=200000
cat > "$TMP/mix.cfg" <<CFG
key
16 16 1
value
32 32 1
cmd
0 0.1
1 0.9
CFG
"$MK" "$TMP/eff.mbp" $N 1000000 $CONNS 90 10000 32
cpu() { awk '/^cpu/ {print $2 + $3}' "$1"; }
declare -A CPU RATE
for tool in memcaslap replay_d1 replay_d16; do CPU[$tool]=""; RATE[$tool]=""; done
for round in 1 2 3; do
  /usr/bin/time -f 'cpu %U %S' -o "$TMP/t" memcaslap -s "$SERVER" -T 1 -c $CONNS -x $N -F "$TMP/mix.cfg" > "$TMP/ms.out" 2>&1
  CPU[memcaslap]+="$(cpu "$TMP/t") "
  RATE[memcaslap]+="$(awk '/^Run time/ {for (i=1;i<=NF;i++) if ($i=="TPS:") print $(i+1)}' "$TMP/ms.out") "
  for d in 1 16; do
    /usr/bin/time -f 'cpu %U %S' -o "$TMP/t" "$REPLAY" "$TMP/eff.mbp" --server "$SERVER" --rate max --depth $d -q --json "$TMP/eff.json"
    CPU[replay_d$d]+="$(cpu "$TMP/t") "
    RATE[replay_d$d]+="$(jget "$TMP/eff.json" "j['achieved_rate']") "
  done
done
printf '\n%-28s %10s %14s %18s %12s\n' client req/s cpu_s/100k req/cpu_s vs_memcaslap
base=""
for tool in memcaslap replay_d1 replay_d16; do
  c=$(printf '%s\n' ${CPU[$tool]} | median)
  r=$(printf '%s\n' ${RATE[$tool]} | median)
  per100k=$(python3 -c "print($c / $N * 100000)")
  rps=$(python3 -c "print($N / $c)")
  [ -z "$base" ] && base=$rps
  case $tool in
    memcaslap) name="memcaslap -T1 -c$CONNS";;
    replay_d1) name="replay --rate max --depth 1";;
    replay_d16) name="replay --rate max --depth 16";;
  esac
  printf '%-28s %10.0f %14.3f %18.0f %11.2fx\n' "$name" "$r" "$per100k" "$rps" "$(python3 -c "print($rps / $base)")"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
