# root-bpf: connection sampling (membench record --sample) against a real memcached.
#  - the connections picked are exactly those whose (server, client) addresses and ports hash
#    below the fraction (mb_cap_conn_hash, recomputed here in Python), and the same ones in two
#    captures of the same connections (the clients bind fixed local ports);
#  - every picked connection is complete (each of its requests recorded once, with its response),
#    no other connection leaks in, 0 drops, 0 gaps;
#  - the header records the fraction; `membench analyze` scales counts and rates by 1/fraction
#    (JSON sampling.estimated, text marked ~);
#  - `membench replay --rate N` of a sample aims at N * fraction.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf
mb_start_memcached

NCONN=48
PER=25 # requests per connection: 5 sets, then 20 gets
# Local ports for the clients: NCONN free ports, fixed for both captures.
PORTS=$($PY - "$NCONN" <<'EOF'
import socket, sys
socks, ports = [], []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
    ports.append(str(s.getsockname()[1]))
print(",".join(ports))
EOF
)

# clients RUN: one connection per local port, each with its own keys ("RUN_PORT_i").
clients() {
  $PY - "$MC_PORT" "$PORTS" "$1" "$PER" <<'EOF'
import socket, struct, sys
mc, ports, run, per = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3], int(sys.argv[4])
def rd(s, end):
    b = b""
    while not b.endswith(end):
        chunk = s.recv(65536)
        assert chunk, "closed"
        b += chunk
    return b
for p in ports:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # close with an RST (linger 0): no TIME_WAIT, so the next capture can reuse the 4-tuple
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.bind(("127.0.0.1", int(p)))
    s.connect(("127.0.0.1", mc))
    for i in range(5):
        s.sendall(b"set %s_%s_%d 0 0 3\r\nabc\r\n" % (run.encode(), p.encode(), i))
        rd(s, b"STORED\r\n")
    for i in range(per - 5):
        s.sendall(b"get %s_%s_%d\r\n" % (run.encode(), p.encode(), i % 5))
        rd(s, b"END\r\n")
    s.close()
EOF
}

# expected FRACTION_BELOW: the client ports whose connection is in the sample, computed from
# the capture's hash (bpf/capture.h mb_cap_conn_hash over mb_mix64).
expected() {
  $PY - "$MC_PORT" "$PORTS" "$1" <<'EOF'
import socket, struct, sys
M = (1 << 64) - 1
def mix(x):
    x ^= x >> 30; x = (x * 0xbf58476d1ce4e5b9) & M
    x ^= x >> 27; x = (x * 0x94d049bb133111eb) & M
    return x ^ (x >> 31)
def words(ip):  # four 32-bit words in network byte order, IPv4 in the last
    return [0, 0, 0, struct.unpack("=I", socket.inet_aton(ip))[0]]
def conn_hash(sa, sp, ca, cp):
    h = mix((sp << 16) | cp)
    for s, c in zip(words(sa), words(ca)):
        h = mix(h ^ ((s << 32) | c))
    return h
mc, ports, below = int(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3])
print(" ".join(sorted(p for p in ports if conn_hash("127.0.0.1", mc, "127.0.0.1", int(p)) < below)))
EOF
}

# picked NAME RUN: the client ports whose keys are in the capture (sorted).
picked() {
  awk -v r="$2" '$1=="rec" && index($13, r "_") == 1 {split($13, a, "_"); print a[2]}' \
    "$MB_TMP/$1.txt" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

WANT=$(expected $(( 1 << 62 ))) # 1/4 of 2^64
nwant=$(echo "$WANT" | wc -w)
echo "expected in the 1/4 sample: $nwant of $NCONN connections (client ports $WANT)"
[ "$nwant" -gt 0 ] && [ "$nwant" -lt "$NCONN" ] || mb_fail "the port draw gives a degenerate sample ($nwant of $NCONN): rerun"

for run in a b; do
  rec_start "s$run" ebpf:any --port "$MC_PORT" --keep-keys --sample 1/4
  clients "$run"
  sleep 0.3
  rec_stop
  rec_dump "s$run"
  got=$(picked "s$run" "$run")
  expect_eq "capture $run: connections picked" "$got" "$WANT"
  # complete: every request of every picked connection, once, answered; nothing else
  expect_eq "capture $run: records" "$(rec_count "s$run" 'index($13, "'$run'_") == 1')" $(( nwant * PER ))
  expect_eq "capture $run: records with a response" \
    "$(rec_count "s$run" 'index($13, "'$run'_") == 1 && $7 ~ /r/')" $(( nwant * PER ))
  expect_eq "capture $run: gets" "$(rec_count "s$run" '$4 == "get"')" $(( nwant * (PER - 5) ))
  expect_eq "capture $run: connections" "$(awk '$1=="rec" {print $3}' "$MB_TMP/s$run.txt" | sort -u | wc -l)" "$nwant"
  expect_eq "capture $run: ring drops" "$(rec_stat "s$run" ring_drops)" 0
  expect_eq "capture $run: stream gaps" "$(rec_stat "s$run" stream_gaps)" 0
done

# The same connections with --sample 25% and 0.25 are the same sample; 1/1 is everything.
rec_start pct ebpf:any --port "$MC_PORT" --keep-keys --sample 25%
clients c
sleep 0.3
rec_stop
rec_dump pct
expect_eq "--sample 25%: connections picked" "$(picked pct c)" "$WANT"
rec_start all ebpf:any --port "$MC_PORT" --keep-keys --sample 1/1
clients d
sleep 0.3
rec_stop
rec_dump all
expect_eq "--sample 1/1: records" "$(rec_count all 'index($13, "d_") == 1')" $(( NCONN * PER ))

# The header and the analysis: fraction 0.25, counts and rates scaled by 4 and marked.
"$MB_BIN/membench-analyze" --json "$MB_TMP/sa.mbp" >"$MB_TMP/sa.json"
"$MB_BIN/membench-analyze" "$MB_TMP/sa.mbp" >"$MB_TMP/sa.out"
$PY - "$MB_TMP/sa.json" $(( nwant * PER )) <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert j["profile"]["sample_ratio"] == 0.25, j["profile"]
s = j["sampling"]
assert s["fraction"] == 0.25 and s["scaled"] is True, s
assert j["requests"] == n, (j["requests"], n)
assert s["estimated"]["requests"] == 4 * n, s
assert s["estimated"]["ops"]["get"] == 4 * j["ops"]["get"], s
assert abs(s["estimated"]["mean_rps"] - 4 * j["rate"]["mean_rps"]) < 1e-6 * s["estimated"]["mean_rps"], s
assert s["estimated"]["connections"] == 4 * j["connections"], s
print("ok: analyze --json scales the 1/4 sample by 4")
EOF
grep -q "^  sampled  .*25% of the connections" "$MB_TMP/sa.out" || mb_fail "text report: no sampling note: $(head -20 "$MB_TMP/sa.out")"
want_text=$(printf "%d" $(( 4 * nwant * PER )) | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
grep -q "^  requests      ~$want_text  ($(printf "%d" $(( nwant * PER ))) recorded" "$MB_TMP/sa.out" ||
  mb_fail "text report: requests not scaled to ~$want_text: $(grep requests "$MB_TMP/sa.out" | head -2)"
echo "ok: analyze text marks the scaled figures"
"$MB_BIN/membench-analyze" --json "$MB_TMP/all.mbp" >"$MB_TMP/all.json"
$PY - "$MB_TMP/all.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["sampling"]
assert s["fraction"] == 1 and s["scaled"] is False and s["estimated"]["requests"] == json.load(open(sys.argv[1]))["requests"], s
print("ok: a whole profile is not scaled")
EOF

# replay --rate N of the 1/4 sample aims at N/4 (the whole traffic's rate stays N).
"$MB_BIN/membench-replay" "$MB_TMP/sa.mbp" --server "127.0.0.1:$MC_PORT" --rate 4000 \
  >"$MB_TMP/rep.out" 2>&1 || mb_fail "replay of the sample failed: $(cat "$MB_TMP/rep.out")"
grep -q "^rate: target 1000.0 req/s" "$MB_TMP/rep.out" ||
  mb_fail "replay --rate 4000 of a 1/4 sample: $(grep '^rate' "$MB_TMP/rep.out")"
echo "ok: replay --rate 4000 of a 1/4 sample targets 1000 req/s"

# Bad fractions are refused with exit 2 and one line.
for bad in 0 1/0 2/4 150% 1.5 abc ""; do
  mb_expect_status 2 "$MB_BIN/membench-record" ebpf:any -o "$MB_TMP/bad.mbp" --sample "$bad"
  grep -q -- "--sample: bad fraction" "$MB_TMP/err" || mb_fail "--sample '$bad': $(cat "$MB_TMP/err")"
  [ "$(wc -l <"$MB_TMP/err")" -eq 1 ] || mb_fail "--sample '$bad': more than one line"
done
echo "ok: bad --sample values refused"
