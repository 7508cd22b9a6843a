# root-bpf: more clients and the capture's filters.
#  1. ebpf:any: the meta protocol (netcat), libmemcached's memcslap (text and --binary, sets and
#     gets) and memccp/memccat --binary; checked against the commands and memcached's counters.
#  2. ebpf:pid=<memcached> and ebpf:comm=memcached: the same server ends, nothing else (the
#     name is the process's: memcached's I/O threads are called mc-worker).
#  3. ebpf:comm=python3 --side client: the client ends of pymemcache's connections (sent bytes
#     are requests).
#  4. ebpf:pid=<an idle process>: nothing.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf
command -v memcslap >/dev/null || mb_skip "memcslap (libmemcached-tools) not installed"
mb_start_memcached

# ---- 1. ebpf:any -------------------------------------------------------------------------------
mc_stats "$MB_TMP/before"
rec_start any ebpf:any --port "$MC_PORT" --keep-keys
printf '%s' \
  $'ms mk 5 T60 F3\r\nhello\r\n' \
  $'mg mk v f t\r\n' \
  $'mg nokey v\r\n' \
  $'md mk q\r\n' \
  $'mg mk v q\r\n' \
  $'mn\r\n' \
  $'quit\r\n' | nc -q 2 127.0.0.1 "$MC_PORT" >"$MB_TMP/meta.out"
grep -q '^MN' "$MB_TMP/meta.out" || mb_fail "meta traffic failed: $(cat "$MB_TMP/meta.out")"
memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=4 --execute-number=300 >/dev/null
memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=4 --execute-number=300 --binary >/dev/null
memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=2 --execute-number=100 --test=get >/dev/null
head -c 3000 /dev/urandom >"$MB_TMP/bfile"
memccp --binary --servers="127.0.0.1:$MC_PORT" "$MB_TMP/bfile"
memccat --binary --servers="127.0.0.1:$MC_PORT" bfile >/dev/null
mc_wait_idle
rec_stop
mc_stats "$MB_TMP/after"
rec_dump any

expect_eq "ms" "$(rec_count any '$4=="ms" && $5=="meta" && $6=="stored" && $9==5 && $10==3 && $11==60')" 1
expect_eq "mg hit" "$(rec_count any '$4=="mg" && $13=="mk" && $6=="hit" && $9==5 && $7=="r"')" 1
expect_eq "mg miss" "$(rec_count any '$4=="mg" && $13=="nokey" && $6=="miss" && $7=="r"')" 1
expect_eq "md quiet" "$(rec_count any '$4=="md" && $6=="deleted" && $7=="n"')" 1
expect_eq "mg quiet miss" "$(rec_count any '$4=="mg" && $13=="mk" && $6=="miss" && $7=="n"')" 1
expect_eq "mn" "$(rec_count any '$4=="mn" && $7=="r"')" 1
expect_eq "memcslap text sets" "$(rec_count any '$4=="set" && $5=="text" && $6=="stored"')" 1300
expect_eq "memcslap text gets" "$(rec_count any '$4=="get" && $5=="text" && $6=="hit"')" 200
expect_eq "binary sets" "$(rec_count any '$4=="set" && $5=="binary" && $6=="stored"')" 1201
expect_eq "memccp --binary" "$(rec_count any '$4=="set" && $5=="binary" && $13=="bfile" && $9==3000')" 1
expect_eq "memccat --binary" "$(rec_count any '$4=="get" && $5=="binary" && $13=="bfile" && $9==3000 && $6=="hit"')" 1
for pair in "cmd_get:\$4==\"get\" || \$4==\"mg\"" \
            "get_hits:(\$4==\"get\" || \$4==\"mg\") && \$6==\"hit\"" \
            "get_misses:(\$4==\"get\" || \$4==\"mg\") && \$6==\"miss\"" \
            "cmd_set:\$4==\"set\" || \$4==\"ms\"" "delete_hits:\$6==\"deleted\""; do
  name=${pair%%:*}
  expect_eq "memcached $name" "$(rec_count any "${pair#*:}")" "$(mc_delta "$MB_TMP/before" "$MB_TMP/after" "$name")"
done
for s in ring_drops stream_gaps protocol_errors unpaired_responses; do
  expect_eq "$s" "$(rec_stat any "$s")" 0
done

# ---- 2. ebpf:pid=<memcached> ------------------------------------------------------------------
rec_start bypid "ebpf:pid=$MC_PID" --port "$MC_PORT"
memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=2 --execute-number=100 --test=get >/dev/null
mc_wait_idle
rec_stop
rec_dump bypid
expect_eq "pid filter: gets" "$(rec_count bypid '$4=="get" && $6=="hit"')" 200
# memcslap --test=get loads its keys first; each connection ends with quit
expect_eq "pid filter: sets" "$(rec_count bypid '$4=="set" && $6=="stored"')" 100
expect_eq "pid filter: nothing else" "$(rec_count bypid '1')" 302

# ---- 2b. ebpf:comm=memcached: the process's name, though its I/O threads are "mc-worker" ----
rec_start bycomm ebpf:comm=memcached --port "$MC_PORT"
memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=2 --execute-number=100 --test=get >/dev/null
mc_wait_idle
rec_stop
rec_dump bycomm
expect_eq "comm filter: gets" "$(rec_count bycomm '$4=="get" && $6=="hit"')" 200

# ---- 3. ebpf:comm=python3 --side client -------------------------------------------------------
rec_start client ebpf:comm=python3 --side client --port "$MC_PORT" --keep-keys
$PY - "$MC_PORT" <<'EOF'
import sys
from pymemcache.client.base import Client
c = Client(("127.0.0.1", int(sys.argv[1])), default_noreply=False)
for i in range(50):
    c.set("cl%d" % i, b"c" * 33)
for i in range(60):
    c.get("cl%d" % i)
c.close()
EOF
mc_wait_idle
rec_stop
rec_dump client
expect_eq "client side: sets" "$(rec_count client '$4=="set" && $6=="stored" && $9==33')" 50
expect_eq "client side: hits" "$(rec_count client '$4=="get" && $6=="hit" && $9==33')" 50
expect_eq "client side: misses" "$(rec_count client '$4=="get" && $6=="miss"')" 10
expect_eq "client side: nothing else" "$(rec_count client '1')" 110

# ---- 4. ebpf:pid=<idle process> ---------------------------------------------------------------
sleep 60 &
IDLE=$!
MB_PIDS+=("$IDLE")
rec_start none "ebpf:pid=$IDLE" --port "$MC_PORT"
memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=2 --execute-number=50 --test=get >/dev/null
mc_wait_idle
rec_stop
rec_dump none
expect_eq "other pid: records" "$(rec_count none '1')" 0
expect_eq "other pid: events" "$(rec_stat none events)" 0
echo "test_record_clients: all checks passed"
