#!/bin/bash
# bench/record/top_live.sh BUILD_DIR [KEYS]: peak memory of a live `membench record --top`
# against the number of distinct keys (KEYS/8 and KEYS: it should not change), beside the same
# capture writing a profile (whose key table grows with the keys). As root: starts memcached on
# a free port, captures with --top while pymemcache stores KEYS distinct keys (default 2,000,000,
# noreply sets in batches of 1000) and reads 3 hot keys 200, 120 and 60 times per 100,000 keys,
# then prints each recorder's VmHWM and what --top listed.
set -euo pipefail
BUILD=${1:?usage: top_live.sh BUILD_DIR [KEYS]}
KEYS=${2:-2000000}
REC="$BUILD/bin/membench-record"
[ "$(id -u)" -eq 0 ] || { echo "top_live.sh: needs root" >&2; exit 77; }
TMP=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
memcached -l 127.0.0.1 -p "$PORT" -U 0 -u nobody -m 1024 &
PIDS+=($!)
sleep 0.5

load() {
  /usr/bin/python3 - "$PORT" "$1" "$2" <<'PYEOF'
import sys
from pymemcache.client.base import Client
port, keys, run = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = Client(("127.0.0.1", port))
for k in ("hot:a", "hot:b", "hot:c"):
    c.set(k, b"v" * 100)
for start in range(0, keys, 1000):
    c.set_many({"cold:%s:%09d" % (run, i): b"x" * 20 for i in range(start, min(keys, start + 1000))}, noreply=True)
    if start % 100000 == 0:
        for k in ("hot:a", "hot:b", "hot:c"):
            for _ in range({"hot:a": 200, "hot:b": 120, "hot:c": 60}[k]):
                c.get(k)
c.close()
PYEOF
}

for mode in top:$((KEYS / 8)) top:$KEYS top+profile:$KEYS; do
  n=${mode#*:}
  args=(ebpf:any --port "$PORT" --top 3 --keep-keys --refresh 5s)
  [ "${mode%:*}" = top+profile ] && args+=(-o "$TMP/p.mbp")
  "$REC" "${args[@]}" >"$TMP/$mode.out" 2>"$TMP/$mode.err" &
  pid=$!
  PIDS+=("$pid")
  sleep 2
  t0=$(date +%s.%N)
  load "$n" "${mode//[:+]/-}"
  sleep 2
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -INT "$pid"
  wait "$pid"
  t1=$(date +%s.%N)
  echo "== ${mode%:*}: $n distinct keys stored, peak RSS (VmHWM) of the recorder: $hwm kB; load+drain $(echo "$t1 - $t0" | bc) s"
  awk '/^--- final/ {print; f=1; next} f && ($1 == "requests" || /^# hot keys by requests/)' "$TMP/$mode.out"
  grep -E "captured|wrote|capture:" "$TMP/$mode.err" | sed 's/^/   /'
done
