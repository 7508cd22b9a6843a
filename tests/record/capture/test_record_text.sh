# root-bpf: membench record ebpf:any captures the text protocol from real clients against a real
# memcached on loopback; the profile read back must match what the clients sent, key by key, and
# memcached's own counters.
#
# Traffic: a pipelined netcat script (storage, noreply, multiget, delete, incr), libmemcached's
# memccp/memccat, pymemcache with 1000-key set/get batches and a multiget of 1000 keys (half
# missing).
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf

mb_start_memcached
mc_stats "$MB_TMP/before"

rec_start text ebpf:any --port "$MC_PORT" --keep-keys

# 1. One connection, pipelined: every response comes back in stream order.
printf '%s' \
  $'set a 0 0 5\r\nhello\r\n' \
  $'get a\r\n' \
  $'get missing\r\n' \
  $'set b 7 100 3 noreply\r\nxyz\r\n' \
  $'get a b missing2\r\n' \
  $'delete a\r\n' \
  $'incr n 1\r\n' \
  $'quit\r\n' | nc -q 2 127.0.0.1 "$MC_PORT" >"$MB_TMP/nc.out"
grep -q '^VALUE b 7 3' "$MB_TMP/nc.out" || mb_fail "netcat traffic failed: $(cat "$MB_TMP/nc.out")"

# 2. libmemcached's command-line clients (one connection each).
head -c 2000 /dev/urandom >"$MB_TMP/blob"
memccp --servers="127.0.0.1:$MC_PORT" "$MB_TMP/blob"
memccat --servers="127.0.0.1:$MC_PORT" blob >/dev/null

# 3. pymemcache: 1000 sets of 100 bytes (noreply, its default), a 1000-key multiget (all hits), then one of 1000 keys
#    where the odd ones were never set.
$PY - "$MC_PORT" <<'EOF'
import sys
from pymemcache.client.base import Client
c = Client(("127.0.0.1", int(sys.argv[1])))
keys = ["key%04d" % i for i in range(1000)]
for k in keys:
    c.set(k, b"v" * 100)
assert len(c.get_many(keys)) == 1000
mixed = [k if i % 2 == 0 else "nokey%04d" % i for i, k in enumerate(keys)]
assert len(c.get_many(mixed)) == 500
c.close()
EOF

rec_stop
mc_stats "$MB_TMP/after"
rec_dump text

# The netcat connection, command by command.
expect_eq "set a" "$(rec_count text '$4=="set" && $13=="a" && $9==5 && $6=="stored"')" 1
expect_eq "get missing" "$(rec_count text '$4=="get" && $13=="missing" && $6=="miss"')" 1
expect_eq "set b noreply" "$(rec_count text '$4=="set" && $13=="b" && $7=="n" && $10==7 && $11==100 && $9==3')" 1
# "get a" alone, then as the first key of "get a b missing2"
expect_eq "get a hits" "$(rec_count text '$4=="get" && $13=="a" && $6=="hit" && $9==5 && $7=="r"')" 2
expect_eq "multiget b" "$(rec_count text '$4=="get" && $13=="b" && $6=="hit" && $7=="br"')" 1
expect_eq "multiget missing2" "$(rec_count text '$4=="get" && $13=="missing2" && $6=="miss" && $7=="br"')" 1
expect_eq "delete a" "$(rec_count text '$4=="delete" && $13=="a" && $6=="deleted"')" 1
expect_eq "incr n" "$(rec_count text '$4=="incr" && $13=="n" && $6=="not_found"')" 1

# libmemcached
expect_eq "memccp set" "$(rec_count text '$4=="set" && $13=="blob" && $9==2000 && $6=="stored"')" 1
expect_eq "memccat get" "$(rec_count text '$4=="get" && $13=="blob" && $9==2000 && $6=="hit"')" 1

# pymemcache
# pymemcache sends sets with noreply by default: no status, flag n.
expect_eq "1000 noreply sets" "$(rec_count text '$4=="set" && $13 ~ /^key[0-9]+$/ && $9==100 && $6=="none" && $7=="n"')" 1000
expect_eq "multiget hits" "$(rec_count text '$4=="get" && $13 ~ /^key/ && $6=="hit" && $9==100')" 1500
expect_eq "multiget misses" "$(rec_count text '$4=="get" && $13 ~ /^nokey/ && $6=="miss"')" 500
expect_eq "multiget heads" "$(rec_count text '$4=="get" && $13 ~ /key/ && $7=="r"')" 2

# Against memcached's own counters (the stats connections ran outside the capture).
for pair in "cmd_get:\$4==\"get\"" "get_hits:\$4==\"get\" && \$6==\"hit\"" \
            "get_misses:\$4==\"get\" && \$6==\"miss\"" "cmd_set:\$4==\"set\"" \
            "delete_hits:\$4==\"delete\" && \$6==\"deleted\"" \
            "incr_misses:\$4==\"incr\" && \$6==\"not_found\""; do
  name=${pair%%:*}
  expect_eq "memcached $name" "$(rec_count text "${pair#*:}")" "$(mc_delta "$MB_TMP/before" "$MB_TMP/after" "$name")"
done

# Nothing lost, nothing unexplained.
expect_eq "ring drops" "$(rec_stat text ring_drops)" 0
expect_eq "stream gaps" "$(rec_stat text stream_gaps)" 0
expect_eq "protocol errors" "$(rec_stat text protocol_errors)" 0
expect_eq "unpaired responses" "$(rec_stat text unpaired_responses)" 0
expect_eq "connections" "$(rec_stat text connections)" 4
expect_eq "clock" "$(rec_stat text clock)" monotonic
# Records are in time order.
awk '$1=="rec" {if ($2 < last) bad++; last=$2} END {exit bad>0}' "$MB_TMP/text.txt" ||
  mb_fail "records out of time order"
echo "test_record_text: all checks passed"
