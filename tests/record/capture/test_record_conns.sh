# root-bpf: connections as production has them: one opened before the recorder (its traffic
# during the capture is recorded, nothing before it is invented), IPv6 (::1), a 1 MB value
# (memcached -I 2m) both ways, 300 connections open at once, and 500 short-lived connections.
# Every count is checked against what the clients sent and against memcached's counters.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf
mb_start_memcached -I 2m -c 4096 -l '[::1]'

# A client connected before the capture: warms up, then waits for "go".
$PY - "$MC_PORT" "$MB_TMP" <<'EOF' &
import os, sys, time
from pymemcache.client.base import Client
port, tmp = int(sys.argv[1]), sys.argv[2]
c = Client(("127.0.0.1", port), default_noreply=False)
for i in range(10):
    c.set("pre%d" % i, b"p" * 50)
    c.get("pre%d" % i)
open(tmp + "/ready", "w").close()
while not os.path.exists(tmp + "/go"):
    time.sleep(0.02)
for i in range(20):
    assert c.get("pre%d" % i) is not None or i >= 10
for i in range(5):
    c.set("post%d" % i, b"q" * 70)
open(tmp + "/done", "w").close()
while not os.path.exists(tmp + "/exit"):
    time.sleep(0.02)
c.close()
EOF
MB_PIDS+=($!)
for i in $(seq 1 200); do [ -e "$MB_TMP/ready" ] && break; sleep 0.05; done
[ -e "$MB_TMP/ready" ] || mb_fail "pre-existing client did not start"

mc_stats "$MB_TMP/before"
rec_start conns ebpf:any --port "$MC_PORT" --keep-keys
touch "$MB_TMP/go"

# IPv6 and a 1 MB value each way.
$PY - "$MC_PORT" <<'EOF'
import sys
from pymemcache.client.base import Client
c = Client(("::1", int(sys.argv[1])), default_noreply=False)
for i in range(50):
    c.set("v6_%d" % i, b"6" * 600)
big = bytes(range(256)) * 4096
assert c.set("big", big)
assert c.get("big") == big
c.close()
EOF

# 300 connections open at once, then 500 one-command connections.
$PY - "$MC_PORT" <<'EOF'
import socket, sys
port = int(sys.argv[1])
def read_until(s, end):
    buf = b""
    while not buf.endswith(end):
        chunk = s.recv(65536)
        assert chunk, "server closed"
        buf += chunk
    return buf
socks = []
for i in range(300):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"set many%d 0 0 10\r\n0123456789\r\n" % i)
    socks.append(s)
for i, s in enumerate(socks):
    assert read_until(s, b"\r\n") == b"STORED\r\n"
    s.sendall(b"get many%d\r\n" % i)
for s in socks:
    assert read_until(s, b"END\r\n").startswith(b"VALUE")
for s in socks:
    s.close()
for i in range(500):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"get churn%d\r\n" % i)
    assert read_until(s, b"END\r\n") == b"END\r\n"
    s.close()
EOF

for i in $(seq 1 200); do [ -e "$MB_TMP/done" ] && break; sleep 0.05; done
[ -e "$MB_TMP/done" ] || mb_fail "pre-existing client did not finish"
rec_stop
touch "$MB_TMP/exit"
mc_stats "$MB_TMP/after"
rec_dump conns

# The connection that was open before: exactly what it sent during the capture.
expect_eq "pre-existing gets" "$(rec_count conns '$4=="get" && $13 ~ /^pre/')" 20
expect_eq "pre-existing hits" "$(rec_count conns '$4=="get" && $13 ~ /^pre/ && $6=="hit" && $9==50')" 10
expect_eq "pre-existing sets" "$(rec_count conns '$4=="set" && $13 ~ /^post/ && $6=="stored" && $9==70')" 5
expect_eq "no warm-up sets recorded" "$(rec_count conns '$4=="set" && $13 ~ /^pre/')" 0
grep -q "1 connections were already open" "$MB_TMP/rec.err" ||
  mb_fail "summary does not report the pre-existing connection: $(cat "$MB_TMP/rec.err")"

# IPv6 and the 1 MB value.
expect_eq "IPv6 sets" "$(rec_count conns '$4=="set" && $13 ~ /^v6_/ && $9==600 && $6=="stored"')" 50
expect_eq "1 MB set" "$(rec_count conns '$4=="set" && $13=="big" && $9==1048576 && $6=="stored"')" 1
expect_eq "1 MB get" "$(rec_count conns '$4=="get" && $13=="big" && $9==1048576 && $6=="hit"')" 1

# Many connections and churn.
expect_eq "300 sets" "$(rec_count conns '$4=="set" && $13 ~ /^many/ && $6=="stored" && $9==10')" 300
expect_eq "300 gets" "$(rec_count conns '$4=="get" && $13 ~ /^many/ && $6=="hit" && $9==10')" 300
expect_eq "500 churn gets" "$(rec_count conns '$4=="get" && $13 ~ /^churn/ && $6=="miss"')" 500
expect_eq "connections" "$(rec_stat conns connections)" 802
expect_eq "distinct conn ids" "$(awk '$1=="rec" {print $3}' "$MB_TMP/conns.txt" | sort -u | wc -l)" 802

# memcached's counters over the capture.
for pair in "cmd_get:\$4==\"get\"" "get_hits:\$4==\"get\" && \$6==\"hit\"" \
            "get_misses:\$4==\"get\" && \$6==\"miss\"" "cmd_set:\$4==\"set\""; do
  name=${pair%%:*}
  expect_eq "memcached $name" "$(rec_count conns "${pair#*:}")" "$(mc_delta "$MB_TMP/before" "$MB_TMP/after" "$name")"
done
# total_connections also counts the "after" stats connection, not the one open before.
expect_eq "memcached total_connections" \
  "$(( $(mc_delta "$MB_TMP/before" "$MB_TMP/after" total_connections) - 1 ))" 801

expect_eq "ring drops" "$(rec_stat conns ring_drops)" 0
expect_eq "stream gaps" "$(rec_stat conns stream_gaps)" 0
expect_eq "protocol errors" "$(rec_stat conns protocol_errors)" 0
expect_eq "unpaired responses" "$(rec_stat conns unpaired_responses)" 0
[ "$(rec_stat conns truncated_bytes)" -gt 1000000 ] ||
  mb_fail "the 1 MB value should have been copied as head and tail only"
echo "test_record_conns: all checks passed"
