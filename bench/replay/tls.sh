#!/usr/bin/env bash
# The client cost of TLS (issue 19): requests per client CPU-second of membench replay with and
# without TLS, in one run, against the same memcached build.
#
# usage: bench/replay/tls.sh [BIN_DIR]   (default: build/bin; build with -DCMAKE_BUILD_TYPE=Release)
#
# Two memcached (-t 1 each, one plain, one -Z with a self-signed certificate made here) on
# 127.0.0.1. The same profile (8 connections, 90% get / 10% set, 10k keys, 32 B values, 200k
# requests, warmed) is replayed closed loop (--rate max) at --depth 1 and --depth 16, plain and
# --tls, in 3 alternating rounds: client CPU (user+sys, /usr/bin/time) -> requests per client
# CPU-second, achieved rate, and the TLS/plain ratio. Every figure is the median of its rounds.
# Connection set-up (8 handshakes + the check and stats connections) is inside the measured
# run: ~10 handshakes against 200k requests.
set -euo pipefail
BIN=${1:-build/bin}
REPLAY=$BIN/membench-replay
MK=$BIN/bench-replay-mkprofile
for t in "$REPLAY" "$MK"; do [ -x "$t" ] || { echo "missing $t (build the project first)" >&2; exit 1; }; done
for c in memcached openssl python3; do command -v $c >/dev/null || { echo "$c not installed" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "/usr/bin/time not installed (apt-get install time)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbbench.XXXXXX")
chmod 755 "$TMP"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
chmod 644 "$TMP/key.pem" "$TMP/cert.pem"
user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
start() { # PORTVAR args...
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  memcached -l 127.0.0.1 -p "$port" -U 0 -t 1 -m 1024 "${user[@]}" "${@:2}" &
  PIDS+=($!)
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  printf -v "$1" %s "$port"
}
start PLAIN
start TLS -Z -o "ssl_chain_cert=$TMP/cert.pem,ssl_key=$TMP/key.pem"

jget() { python3 -c "import json,sys; j=json.load(open('$1')); print(eval(sys.argv[1], {'j': j}))" "$2"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu() { awk '/^cpu/ {print $2 + $3}' "$1"; }

echo "machine: $(nproc) cores, $(uname -r), memcached $(memcached -V | awk '{print $2}'), $(openssl version | awk '{print $1, $2}'), $(date -u +%FT%TZ)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
N=200000
CONNS=8
"$MK" "$TMP/eff.mbp" $N 1000000 $CONNS 90 10000 32 >/dev/null
declare -A CPU RATE
runs=(plain_d1 tls_d1 plain_d16 tls_d16)
for r in "${runs[@]}"; do CPU[$r]=""; RATE[$r]=""; done
for round in 1 2 3; do
  for r in "${runs[@]}"; do
    d=${r#*_d}
    if [ "${r%%_*}" = tls ]; then args=(--server 127.0.0.1:$TLS --tls --cacert "$TMP/cert.pem")
    else args=(--server 127.0.0.1:$PLAIN); fi
    /usr/bin/time -f 'cpu %U %S' -o "$TMP/t" "$REPLAY" "$TMP/eff.mbp" "${args[@]}" --warm \
      --rate max --depth "$d" -q --json "$TMP/eff.json"
    [ "$(jget "$TMP/eff.json" "j['errors']['total']")" -eq 0 ] || { echo "$r: errors" >&2; exit 1; }
    CPU[$r]+="$(cpu "$TMP/t") "
    RATE[$r]+="$(jget "$TMP/eff.json" "j['achieved_rate']") "
  done
done
printf '\n%-34s %10s %14s %14s %12s\n' client req/s cpu_s/100k req/cpu_s tls/plain
declare -A RPS
for r in "${runs[@]}"; do
  c=$(printf '%s\n' ${CPU[$r]} | median)
  a=$(printf '%s\n' ${RATE[$r]} | median)
  RPS[$r]=$(python3 -c "print($N / $c)")
  ratio=""
  [ "${r%%_*}" = tls ] && ratio=$(python3 -c "print('%.2fx' % (${RPS[$r]} / ${RPS[plain_d${r#*_d}]}))")
  name="replay --rate max --depth ${r#*_d}"
  [ "${r%%_*}" = tls ] && name="$name --tls"
  printf '%-34s %10.0f %14.3f %14.0f %12s\n' "$name" "$a" "$(python3 -c "print($c / $N * 100000)")" \
    "${RPS[$r]}" "$ratio"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
