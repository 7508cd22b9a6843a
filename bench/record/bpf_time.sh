#!/usr/bin/env bash
# memcached's time inside BPF programs per request, for several recorders alternated in one run
# (root): the direct measure of what a change to bpf/capture.bpf.c saves, where memcached's CPU
# per request (overhead.sh) moves as much with the machine's load as with the recorder.
#
# usage: bench/record/bpf_time.sh BUILD_DIR VARIANT...
#   VARIANT: none (no BPF), null (bench-record-nullprobe), copy (nullprobe --copy: the copy
#   floor), copy1 (nullprobe --copy1: the copy floor with one ring record per request), or the path of a membench-record binary (e.g. one built from an older commit)
#   env: ROUNDS (default 3), DUR (seconds profiled per pass, default 5)
#
# Per pass: memcached -t 1 on CPU 0, memcaslap -T 1 -c 64 on CPU 1 (1 KiB values, 90/10),
# the recorder unpinned; `perf record -e cpu-clock -C 0 -g` for DUR seconds (the only
# profiler of a VM without a PMU); requests from memcached's counters over the same interval.
# Printed per pass and as medians per variant: requests/s, memcached's CPU per request and the
# part of it inside BPF programs (samples with a bpf_prog_ frame), and per variant the leaf
# functions of that part (where the time goes: the ring, the copies, the lookups).
set -euo pipefail
BUILD=${1:?usage: bpf_time.sh BUILD_DIR VARIANT...}
shift
[ $# -ge 1 ] || { echo "usage: bpf_time.sh BUILD_DIR VARIANT..." >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-5}
NULLP=$BUILD/bin/bench-record-nullprobe
[ "$(id -u)" -eq 0 ] || { echo "run as root (BPF, perf)" >&2; exit 1; }
for t in memcached memcaslap perf nc; do
  command -v "$t" >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
for v in "$@"; do
  case $v in
    none) ;;
    null|copy|copy1) [ -x "$NULLP" ] || { echo "missing $NULLP" >&2; exit 1; } ;;
    *) [ -x "$v" ] || { echo "$v: not an executable" >&2; exit 2; } ;;
  esac
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbbpft.XXXXXX")
MC= REC= LOAD=
cleanup() {
  for p in $LOAD $REC $MC; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ops() { printf 'stats\r\nquit\r\n' | nc -q 2 127.0.0.1 "$PORT" | tr -d '\r' | awk '$2=="cmd_get"||$2=="cmd_set" {s+=$3} END {print s+0}'; }

# pass VARIANT: one measurement; appends "variant rate mc_ns bpf_ns" to $TMP/passes and the
# leaf counts to $TMP/leaves.VARIANT-index
pass() {
  local v=$1 name=$2
  taskset -c 0 memcached -l 127.0.0.1 -p "$PORT" -U 0 -m 256 -t 1 -u nobody &
  MC=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
  case $v in
    none) ;;
    null|copy|copy1)
      local a=()
      [ "$v" = copy ] && a=(--copy "$PORT")
      [ "$v" = copy1 ] && a=(--copy1 "$PORT")
      "$NULLP" "${a[@]}" >"$TMP/null.out" 2>&1 &
      REC=$!
      for _ in $(seq 300); do grep -q attached "$TMP/null.out" && break; sleep 0.05; done ;;
    *)
      rm -f "$TMP/r.mbp"
      "$v" ebpf:any --port "$PORT" -o "$TMP/r.mbp" 2>"$TMP/rec.err" &
      REC=$!
      for _ in $(seq 600); do [ -e "$TMP/r.mbp" ] && break; sleep 0.05; done ;;
  esac
  taskset -c 1 memcaslap -s "127.0.0.1:$PORT" -T 1 -c 64 -t "$((DUR + 4))s" >/dev/null 2>&1 &
  LOAD=$!
  sleep 2
  local a b
  a=$(ops)
  perf record -q -F 4000 -e cpu-clock -C 0 -g -o "$TMP/perf.data" -- sleep "$DUR" >/dev/null 2>&1
  b=$(ops)
  wait "$LOAD" || true
  LOAD=
  if [ -n "$REC" ]; then kill -INT "$REC"; wait "$REC" || { echo "$name failed: $(cat "$TMP/rec.err" 2>/dev/null)" >&2; exit 1; }; fi
  REC=
  kill "$MC"; wait "$MC" 2>/dev/null || true
  MC=
  perf script -i "$TMP/perf.data" -F comm,ip,sym 2>/dev/null |
    python3 "$(dirname "$0")/perf_bpf.py" $((b - a)) >"$TMP/perf.txt"
  awk -v n="$name" -v ops=$((b - a)) -v d="$DUR" -v out="$TMP/passes" '$1=="total" {
    printf "%-24s %9.0f req/s  memcached %6.0f ns/req  in BPF %5.0f ns/req (%4.1f%%)\n", n, ops / d, $2, $3, $2 ? 100 * $3 / $2 : 0
    printf "%s %f %f %f\n", n, ops / d, $2, $3 >>out }' "$TMP/perf.txt"
  awk -v n="$name" '$1=="leaf" {print n, $2, $3}' "$TMP/perf.txt" >>"$TMP/leaves"
}

echo "machine: $(nproc) CPUs, kernel $(uname -r), memcached $(memcached -V | awk '{print $2}'), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "memcached -t 1 on CPU 0, memcaslap -T 1 -c 64 on CPU 1; $ROUNDS rounds x ${DUR}s per variant, alternated"
for r in $(seq "$ROUNDS"); do
  i=0
  for v in "$@"; do
    i=$((i + 1))
    pass "$v" "$i:$(basename "$v")"
  done
done
python3 - "$TMP" <<'EOF'
import collections, statistics, sys
tmp = sys.argv[1]
rows = collections.defaultdict(list)
for line in open(tmp + "/passes"):
    n, rate, mc, b = line.split()
    rows[n].append((float(rate), float(mc), float(b)))
print("\nmedians over rounds: variant, req/s, memcached ns/req, in BPF ns/req (per round)")
for n, v in rows.items():
    med = lambda i: statistics.median(x[i] for x in v)
    print("%-24s %9.0f %8.0f %8.0f   (%s)" % (n, med(0), med(1), med(2), " ".join("%.0f" % x[2] for x in v)))
leaves = collections.defaultdict(lambda: collections.defaultdict(float))
for line in open(tmp + "/leaves"):
    n, k, v = line.split()
    leaves[n][k] += float(v) / len(rows[n])
print("\nwhere the BPF time goes (ns per request, mean over rounds, leaf functions)")
for n, d in leaves.items():
    top = sorted(d.items(), key=lambda kv: -kv[1])[:8]
    print("%-24s %s" % (n, ", ".join("%s %.0f" % kv for kv in top)))
EOF
