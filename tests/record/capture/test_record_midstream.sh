# root-bpf: the recorder starts while a connection is busy (a pipelined client keeps 50 gets in
# flight). Nothing may be lost at the start: the probes are attached one by one, and a read
# entering before its exit program was attached used to lose its bytes (a gap on every busy
# connection). Expected: no stream gaps, no protocol errors; the first commands may be cut (the
# codec resynchronises) and responses to requests sent before the capture are counted as
# unpaired, never invented.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf
mb_start_memcached

$PY - "$MC_PORT" "$MB_TMP" <<'EOF' &
import os, socket, sys
port, tmp = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
batch = b"".join(b"get busy%d\r\n" % i for i in range(50))
n = 0
while not os.path.exists(tmp + "/stop"):
    s.sendall(batch)
    got = 0
    buf = b""
    while got < 50:
        chunk = s.recv(65536)
        assert chunk
        buf += chunk
        got = buf.count(b"END\r\n")
    n += 1
    if n == 20:
        open(tmp + "/busy", "w").close()
s.close()
EOF
MB_PIDS+=($!)
for i in $(seq 1 200); do [ -e "$MB_TMP/busy" ] && break; sleep 0.05; done
[ -e "$MB_TMP/busy" ] || mb_fail "busy client did not start"

rec_start mid ebpf:any --port "$MC_PORT" --keep-keys
sleep 2
rec_stop
touch "$MB_TMP/stop"
rec_dump mid

expect_eq "stream gaps" "$(rec_stat mid stream_gaps)" 0
expect_eq "ring drops" "$(rec_stat mid ring_drops)" 0
expect_eq "protocol errors" "$(rec_stat mid protocol_errors)" 0
expect_eq "records other than busy gets" "$(rec_count mid '!($4=="get" && $13 ~ /^busy[0-9]+$/ && ($6=="miss" || $6=="none"))')" 0
# the batch in flight when the capture stopped has no responses: at most one batch
unanswered=$(rec_count mid '$6=="none"')
[ "$unanswered" -le 50 ] || mb_fail "$unanswered requests without a response"
n=$(rec_count mid '1')
[ "$n" -gt 500 ] || mb_fail "only $n records from a busy connection"
unpaired=$(rec_stat mid unpaired_responses)
[ "$unpaired" -le 50 ] || mb_fail "$unpaired unpaired responses: more than were in flight at the start"
grep -q "1 connections were already open" "$MB_TMP/rec.err" ||
  mb_fail "summary does not report the busy connection: $(cat "$MB_TMP/rec.err")"
echo "ok: $n records, $unpaired responses to requests sent before the capture"
echo "test_record_midstream: all checks passed"
