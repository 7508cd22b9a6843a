# root-bpf: requests are stamped when they reach the server's socket, not when the server reads
# them (docs/record-ebpf.md, "Timestamps"). A deliberately slow server (a Python socket server
# standing in for a busy memcached) lets three gets sent 40 ms apart pile up in its socket and
# reads them with one recv(); then it answers all three. Recorded with the default stamps, the
# three requests are ~40 ms apart and the first one's latency includes its wait in the socket;
# with --stamp read, all three carry the time of that one read.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf

PORT=$(mb_free_port)
GAP_MS=40

# run_pair: the slow server and its client, once.
run_pair() {
  rm -f "$MB_TMP/sent" "$MB_TMP/listening"
  $PY - "$PORT" "$MB_TMP" <<'EOF' &
import os, socket, sys, time
port, tmp = int(sys.argv[1]), sys.argv[2]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
open(tmp + "/listening", "w").close()
c, _ = ls.accept()
while not os.path.exists(tmp + "/sent"):
    time.sleep(0.005)
time.sleep(0.05)
data = b""
while data.count(b"\r\n") < 3:
    chunk = c.recv(65536)
    assert chunk, "client went away"
    data += chunk
c.sendall(b"END\r\n" * 3)
c.recv(1)  # until the client closes
EOF
  local srv=$!
  MB_PIDS+=("$srv")
  local i
  for i in $(seq 1 100); do [ -e "$MB_TMP/listening" ] && break; sleep 0.05; done
  $PY - "$PORT" "$MB_TMP" "$GAP_MS" <<'EOF'
import socket, sys, time
port, tmp, gap = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) / 1000
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for k in (b"a", b"b", b"c"):
    s.sendall(b"get " + k + b"\r\n")
    time.sleep(gap)
open(tmp + "/sent", "w").close()
got = b""
while got.count(b"END\r\n") < 3:
    got += s.recv(4096)
s.close()
EOF
  wait "$srv"
}

# times NAME: the three requests' times (ns), in key order a b c
times() {
  rec_dump "$1"
  awk '$1=="rec" && $4=="get" {print $2}' "$MB_TMP/$1.txt"
}

rec_start arrival ebpf:any --port "$PORT" --keep-keys
run_pair
sleep 0.3
rec_stop
grep -q "100.0% stamped on arrival" "$MB_TMP/rec.err" ||
  { cat "$MB_TMP/rec.err" >&2; mb_fail "the summary does not report arrival stamps"; }
mapfile -t t < <(times arrival)
expect_eq "requests recorded (arrival)" "${#t[@]}" 3
for i in 1 2; do
  gap=$(( (t[i] - t[i-1]) / 1000000 ))
  [ "$gap" -ge $((GAP_MS - 5)) ] && [ "$gap" -le $((GAP_MS + 60)) ] ||
    mb_fail "arrival stamps: request $i came ${gap} ms after the one before, expected ~${GAP_MS} ms"
  echo "ok: arrival gap $i = ${gap} ms"
done
lat=$(awk '$1=="rec" && $4=="get" {print $12; exit}' "$MB_TMP/arrival.txt")
[ $((lat / 1000000)) -ge $((2 * GAP_MS)) ] ||
  mb_fail "the first request's latency ($lat ns) should include its wait in the socket"
echo "ok: first latency $((lat / 1000000)) ms includes the wait in the socket"
grep -q "server_request_time=tcp_arrival" "$MB_TMP/arrival.txt" ||
  mb_fail "the capture metadata does not say requests were stamped on arrival"

rec_start read ebpf:any --port "$PORT" --keep-keys --stamp read
run_pair
sleep 0.3
rec_stop
mapfile -t t < <(times read)
expect_eq "requests recorded (read)" "${#t[@]}" 3
expect_eq "read stamps: one time for the three requests read together" \
  "$(printf '%s\n' "${t[@]}" | sort -u | wc -l)" 1
grep -q "server_request_time=syscall_exit" "$MB_TMP/read.txt" ||
  mb_fail "the capture metadata does not say requests were stamped when read"
