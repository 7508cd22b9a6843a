#!/usr/bin/env bash
# Memory is bounded by --depth x connections x request size (issue 16): 300 sets of 1 MB, on one
# connection at --depth 16, against a server that reads ~100 MB/s (slow_server.py; its receive buffer is 128 KiB, the kernel holds ~4 MB at most), so the
# replayer's socket buffer is full nearly all the time and each reply frees room while the
# previous write is still draining. Before the fix an output buffer was only reclaimed when it
# drained completely, so it grew with every byte sent (~300 MB here; 1.96 GB for 2,000 sets);
# now nothing is encoded while the socket is full. Asserts: every set was answered, and the
# replay's peak RSS exceeds that of a 1-set replay (same flags, same build: the sanitizer
# baseline differs by build) by less than 3 x depth x 1 MB + 16 MB.
source "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || mb_skip "python3 not installed"
RP=$MB_BIN/membench-replay
MK=$MB_BIN/bench-replay-mkprofile
[ -x "$MK" ] || mb_fail "$MK not built"
MB=$((1024 * 1024))
DEPTH=16
N=300

"$MK" "$MB_TMP/big.mbp" $N 1000 1 0 $N $MB >/dev/null
"$MK" "$MB_TMP/one.mbp" 1 1000 1 0 1 $MB >/dev/null
python3 "$(dirname "$0")/slow_server.py" "$MB_TMP/port" &
MB_PIDS+=($!)
for _ in $(seq 1 300); do [ -s "$MB_TMP/port" ] && break; sleep 0.01; done
[ -s "$MB_TMP/port" ] || mb_fail "slow server did not start"
SRV=127.0.0.1:$(cat "$MB_TMP/port")

# peak_rss_kb PROFILE: runs one replay, prints the peak RSS (KiB) of the replayer
peak_rss_kb() {
  python3 - "$RP" "$1" --server "$SRV" --rate max --depth $DEPTH --timeout 60s -q \
    --json "$MB_TMP/$(basename "$1").json" <<'PY'
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
if rc != 0:
    sys.exit("membench-replay exited %d" % rc)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
base=$(peak_rss_kb "$MB_TMP/one.mbp")
peak=$(peak_rss_kb "$MB_TMP/big.mbp")
answered=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["responses"])' "$MB_TMP/big.mbp.json")
[ "$answered" -eq $N ] || mb_fail "$answered of $N sets answered"
limit=$(( (3 * DEPTH * MB + 16 * MB) / 1024 ))
echo "peak RSS ${peak} KiB, 1-set baseline ${base} KiB, growth $((peak - base)) KiB, limit ${limit} KiB"
[ $((peak - base)) -lt "$limit" ] ||
  mb_fail "replay memory grew by $((peak - base)) KiB for $N x 1 MB sets at --depth $DEPTH (limit $limit KiB)"
echo "ok"
