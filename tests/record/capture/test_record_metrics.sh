# root-bpf: membench record ebpf: --metrics (issue 17), a live capture of real clients.
#  1. The recorder serves /metrics (port 0: the URL on stderr) while a Python client on raw
#     sockets (which counts every byte it sends and receives) and memcslap run against a real
#     memcached; /metrics is scraped every 0.3 s. Every scrape passes the strict exposition
#     checker (tests/util/promcheck.py); at least three come while traffic flows, with the
#     event counter growing; no counter goes back. After Ctrl-C, during --metrics-linger, the
#     final figures equal the summary the recorder printed (requests, commands, responses,
#     connections, events, drops, gaps, protocol errors), the requests by command equal the
#     profile's records by command, and the bytes by direction equal what memcached counted
#     (bytes_read / bytes_written deltas around the capture, less the stats calls' own bytes),
#     a 100 KB value (copied only in part) included.
#     A second Ctrl-C ends the linger: exit 0.
#  2. A --metrics address that cannot be bound exits 2 before the capture starts (no profile).
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/util/prom.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf
command -v memcslap >/dev/null || mb_skip "memcslap (libmemcached-tools) not installed"
command -v curl >/dev/null || mb_skip "curl not installed"
mb_start_memcached
cd "$MB_TMP"

# raw_stats FILE: memcached's `stats`, the raw reply bytes kept (their length is counted).
raw_stats() {
  printf 'stats\r\n' | nc -q 2 127.0.0.1 "$MC_PORT" >"$1"
}
stat_of() { tr -d '\r' <"$1" | awk -v k="$2" '$1=="STAT" && $2==k {print $3}'; }

raw_stats before.raw
rec_start m ebpf:any --port "$MC_PORT" --metrics 127.0.0.1:0 --metrics-linger 60
URL=$(grep -o 'http://[^ ]*/metrics' rec.err | head -1)
[ -n "$URL" ] || { cat rec.err; mb_fail "no metrics URL on stderr"; }
echo "metrics at $URL"

# The clients: 4 raw-socket connections for about 4 s (sets, gets, multigets, deletes), and
# memcslap alongside.
$PY - "$MC_PORT" >client.out <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
sent = recv = 0
def call(s, req, ends):
    global sent, recv
    s.sendall(req)
    sent += len(req)
    buf = b""
    while not any(buf.endswith(e) for e in ends):
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("server closed")
        buf += chunk
    recv += len(buf)
# one large value (100 KB, longer than --max-bytes + --tail-bytes both ways): its bytes count
# in full although only the head and tail are copied
big = b"b" * 100000
call(conns[0], b"set big 0 0 %d\r\n%s\r\n" % (len(big), big), (b"STORED\r\n",))
call(conns[0], b"get big\r\n", (b"END\r\n",))
t_end = time.time() + 4
i = 0
while time.time() < t_end:
    s = conns[i % 4]
    k = f"mk{i % 500}".encode()
    v = b"x" * (10 + i % 300)
    call(s, b"set %s 0 0 %d\r\n%s\r\n" % (k, len(v), v), (b"STORED\r\n",))
    call(s, b"get %s\r\n" % k, (b"END\r\n",))
    if i % 10 == 0:
        call(s, b"get mk1 mk2 mk3 nokey\r\n", (b"END\r\n",))
    if i % 7 == 0:
        call(s, b"delete %s\r\n" % k, (b"DELETED\r\n", b"NOT_FOUND\r\n"))
    i += 1
    time.sleep(0.0005)
for s in conns:
    s.close()
print(sent, recv, i)
PY
CLIENT=$!
MB_PIDS+=("$CLIENT")
memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=2 --execute-number=1500 >/dev/null &
SLAP=$!
MB_PIDS+=("$SLAP")
n=0
while kill -0 "$CLIENT" 2>/dev/null || kill -0 "$SLAP" 2>/dev/null; do
  n=$((n + 1))
  curl -sS -o "s$n.txt" "$URL" || mb_fail "scrape $n failed"
  sleep 0.3
done
wait "$CLIENT" || mb_fail "the Python client failed"
wait "$SLAP" || mb_fail "memcslap failed"
# Ctrl-C at once: the last second of records is still in the reorder window (1 s) and only
# reaches the profile, and /metrics, when the capture finishes
kill -INT "$REC_PID"
for i in $(seq 1 200); do grep -q 'serving the final metrics' rec.err && break; sleep 0.05; done
grep -q 'serving the final metrics' rec.err || { cat rec.err; mb_fail "no --metrics-linger after Ctrl-C"; }
raw_stats after.raw # the capture is detached: not traced
curl -sS -o final.txt "$URL" || mb_fail "the final figures are not served during the linger"
kill -INT "$REC_PID"
rc=0; wait "$REC_PID" || rc=$?
[ "$rc" -eq 0 ] || { cat rec.err; mb_fail "membench-record exited $rc"; }
cat rec.err
files=$(seq -f 's%g.txt' 1 "$n" | tr '\n' ' ')
# shellcheck disable=SC2086
prom_check membench_record_ scrapes.json $files final.txt
rec_dump m
awk '$1=="rec" {n[$4]++} END {for (k in n) print k, n[k]}' m.txt >ops.txt
read -r c_sent c_recv c_iters <client.out
d_read=$(( $(stat_of after.raw bytes_read) - $(stat_of before.raw bytes_read) ))
d_written=$(( $(stat_of after.raw bytes_written) - $(stat_of before.raw bytes_written) ))
before_len=$(wc -c <before.raw)
echo "client: $c_iters iterations, $c_sent bytes sent, $c_recv received; memcached: read $d_read, wrote $d_written"

$PY - "$d_read" "$d_written" "$before_len" "$c_sent" "$c_recv" <<'PY' || mb_fail "metrics against the summary (above)"
import json, re, sys
d_read, d_written, before_len, c_sent, c_recv = map(int, sys.argv[1:])
scrapes = json.load(open("scrapes.json"))
err = open("rec.err").read()
ops = dict((l.split()[0], int(l.split()[1])) for l in open("ops.txt"))
ok = True
def fail(msg):
    global ok
    print("FAIL:", msg)
    ok = False
def eq(what, got, want):
    if got != want:
        fail(f"{what}: metrics {got}, expected {want}")
    else:
        print(f"ok: {what} = {want}")
running = [s for s in scrapes if s.get("membench_record_running") == 1]
ev = [s.get("membench_record_events_total", 0) for s in running]
print("scrapes:", len(scrapes), "while running:", len(running), "events then:", ev)
if len(set(v for v in ev if v > 0)) < 3:
    fail("fewer than 3 scrapes saw the event counter grow during the capture")
for a, b in zip(scrapes, scrapes[1:]):
    for k, v in a.items():
        if k.split("{")[0].endswith("_total") and b.get(k, -1) < v:
            fail(f"{k} went back from {v} to {b.get(k)}")
f = scrapes[-1]
eq("running after the capture", f["membench_record_running"], 0)
m = re.search(r"wrote \S+: (\d+) requests \(one per key; (\d+) commands, (\d+) responses\) on "
              r"(\d+) connections", err)
c = re.search(r"capture: (\d+) events, (\d+) ring-buffer drops, (\d+) stream gaps \((\d+) "
              r"bytes\), (\d+) bytes not copied \(--max-bytes\), \d+ reply value bytes not "
              r"copied \([^)]*\), (\d+) protocol errors, (\d+) "
              r"bytes skipped to resynchronise, (\d+) unpaired responses", err)
if not m or not c:
    print(err)
    sys.exit("the summary lines were not found")
# value holes: the 100,000-byte value read back once is the only reply value of 2 KiB or more
h = re.search(r"(\d+) reply value bytes not copied", err)
eq("reply value bytes not copied (summary)", int(h.group(1)), 100000)
req = sum(v for k, v in f.items() if k.startswith("membench_record_requests_total{"))
eq("requests (summary)", req, int(m.group(1)))
eq("commands", f["membench_record_commands_total"], int(m.group(2)))
eq("responses", f["membench_record_responses_total"], int(m.group(3)))
eq("connections", f["membench_record_connections_total"], int(m.group(4)))
for i, name in enumerate(("events", "ring_drops", "stream_gaps", "gap_bytes", "truncated_bytes",
                          "protocol_errors", "resync_bytes", "unpaired_responses"), 1):
    eq(name, f[f"membench_record_{name}_total"], int(c.group(i)))
for op, n in ops.items():
    eq(f"requests of {op} (profile)", f.get(f'membench_record_requests_total{{op="{op}"}}'), n)
eq("ops", sorted(k for k in f if k.startswith("membench_record_requests_total{")),
   sorted(f'membench_record_requests_total{{op="{op}"}}' for op in ops))
if ops.get("get", 0) < 1000 or ops.get("set", 0) < 1000:
    fail(f"too little traffic captured: {ops}")
# bytes: memcached's counters moved by the captured traffic, plus the stats calls' own bytes:
# the "before" reply was written after its snapshot; the "after" request was read before its
# snapshot (7 bytes, "stats\r\n")
eq("request bytes (memcached bytes_read)", f['membench_record_bytes_total{direction="request"}'],
   d_read - 7)
eq("response bytes (memcached bytes_written)",
   f['membench_record_bytes_total{direction="response"}'], d_written - before_len)
if not f["membench_record_truncated_bytes_total"]:
    fail("the 100 KB value was not truncated: the byte check does not cover long segments")
if f['membench_record_bytes_total{direction="request"}'] < c_sent:
    fail("fewer request bytes than the Python client alone sent")
sys.exit(0 if ok else 1)
PY
echo "ok: $n scrapes during a live capture, final figures equal to the summary and to memcached's"

# ---- 2. bind error: exit 2 before the capture ---------------------------------------------------
$PY -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' >busy.port &
MB_PIDS+=("$!")
for i in $(seq 1 100); do [ -s busy.port ] && break; sleep 0.05; done
busy=$(cat busy.port)
rm -f bad.mbp
mb_expect_status 2 "$MB_BIN/membench-record" ebpf:any --port "$MC_PORT" -o bad.mbp --metrics "127.0.0.1:$busy"
grep -q -- "--metrics 127.0.0.1:$busy: cannot bind: Address already in use" "$MB_TMP/err" ||
  { cat "$MB_TMP/err"; mb_fail "bind error not named"; }
[ "$(wc -l <"$MB_TMP/err")" -eq 1 ] || { cat "$MB_TMP/err"; mb_fail "more than one line"; }
[ ! -e bad.mbp ] || mb_fail "the capture started (bad.mbp written) despite the bind error"
# (into a file first: grep -q quits at the match, and the rest of the help then dies of SIGPIPE,
# which pipefail reports; it did under ASan, where stdout is flushed in two writes)
"$MB_BIN/membench-record" ebpf:any --help >help.txt
grep -q -- "--metrics ADDR:PORT" help.txt || mb_fail "--metrics missing from --help"
echo "ok: bind error exits 2 before the capture ($(cat "$MB_TMP/err"))"
