# root-bpf: profile: and --format on a live capture (real memcached, real pymemcache clients,
# eBPF): responses, latencies, flags and keys pass through unchanged; --key-prefix-only,
# --ops and --connections keep exactly the clients' requests; a multiget whose first key is
# filtered out stays a command; merging a capture with itself doubles requests and connections
# but not keys (kept keys are one key); the Twitter round trip keeps the figures it can carry.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf
mb_start_memcached
R="$MB_BIN/membench-record"
J="python3 $MB_SOURCE_DIR/tests/record/import/jsondiff.py"

rec_start cap ebpf:any --port "$MC_PORT" --keep-keys
# Client A: 200 sets and 300 gets on user: and sess: keys (a third missing), then multigets that
# start with a sess: key and go on with user: keys. Client B: 100 gets of other: keys.
$PY - "$MC_PORT" <<'EOF'
import sys
from pymemcache.client.base import Client
port = int(sys.argv[1])
a = Client(("127.0.0.1", port), default_noreply=False)
b = Client(("127.0.0.1", port), default_noreply=False)
for i in range(100):
    a.set("user:%d" % i, b"u" * (10 + i))
    a.set("sess:%d" % i, b"s" * 50)
for i in range(150):
    a.get("user:%d" % i)
    a.get("sess:%d" % i)
for i in range(20):
    a.get_many(["sess:%d" % i, "user:%d" % i, "user:%d" % (i + 1)])
for i in range(100):
    b.get("other:%d" % i)
a.close()
b.close()
# Client C: two meta commands, whose flag texts (format 1.1) a copy must keep.
import socket
c = socket.create_connection(("127.0.0.1", port))
c.sendall(b"ms meta:1 2 T60 F5\r\nhi\r\n")
assert c.recv(100).startswith(b"HD")
c.sendall(b"mg meta:1 v f t\r\n")
assert c.recv(100).startswith(b"VA 2")
c.close()
EOF
rec_stop
cd "$MB_TMP"
recs() { "$MBP_DUMP" "$1" | awk '$1=="rec"'; }
st() { "$MBP_DUMP" "$1" | awk -v k="$2" '$1=="stat" && $2==k {print $3}'; }
expect_eq "captured records" "$(recs cap.mbp | wc -l)" $((200 + 300 + 60 + 100 + 2))
expect_eq "meta flag texts" "$(recs cap.mbp | grep -o 'meta=.*' | tr '\n' ' ')" "meta=T60,F5 meta=v,f,t "

# A copy is the capture, field by field (status, latency, flags, keys).
mb_expect_status 0 "$R" profile:cap.mbp -o copy.mbp
cmp -s <(recs cap.mbp) <(recs copy.mbp) || mb_fail "the copy differs from the capture"
echo "ok: copy identical"

# --key-prefix-only user:: the 100 sets, 150 gets and 40 multiget keys; each multiget lost its
# first key (sess:), so its two user: keys are one command of their own.
mb_expect_status 0 "$R" profile:cap.mbp --key-prefix-only user: -o user.mbp
expect_eq "user: records" "$(recs user.mbp | wc -l)" 290
expect_eq "user: only" "$(recs user.mbp | awk '$13 !~ /^user:/' | wc -l)" 0
expect_eq "user: hits" "$(recs user.mbp | awk '$4=="get" && $6=="hit"' | wc -l)" $((100 + 40))
expect_eq "multiget continuations" "$(recs user.mbp | awk '$7 ~ /b/' | wc -l)" 20
expect_eq "commands" "$(st user.mbp requests)" 270
# The kept records are the capture's own lines (time, status, latency, sizes), except the
# continuation flag of the new first keys.
cmp -s <(recs cap.mbp | awk '$13 ~ /^user:/' | cut -d' ' -f2,4-6,8-) \
  <(recs user.mbp | cut -d' ' -f2,4-6,8-) || mb_fail "user: records changed"
echo "ok: user: records unchanged"

# --ops get --connections: client B's connection is the one with other: keys.
cb=$(recs cap.mbp | awk '$13 ~ /^other:/ && !n {print $3; n = 1}')
mb_expect_status 0 "$R" profile:cap.mbp --ops get --connections "$cb" -o b.mbp
expect_eq "client B" "$(recs b.mbp | wc -l)" 100
expect_eq "client B misses" "$(recs b.mbp | awk '$6=="miss" && $13 ~ /^other:/' | wc -l)" 100
mb_expect_status 0 "$R" profile:cap.mbp --ops set -o sets.mbp
expect_eq "sets" "$(recs sets.mbp | awk '$4=="set" && $6=="stored"' | wc -l)" 200

# A wall-clock window from the profile's own start covers everything.
start=$(st cap.mbp start_wall_ns)
mb_expect_status 0 "$R" profile:cap.mbp --from "@$((start / 1000000000))" -o wall.mbp
expect_eq "wall window" "$(recs wall.mbp | wc -l)" 662

# Merge with itself: twice the requests and connections, the same keys.
mb_expect_status 0 "$R" profile:cap.mbp profile:cap.mbp -o twice.mbp
expect_eq "merged records" "$(st twice.mbp records)" 1324
expect_eq "merged connections" "$(st twice.mbp connections)" $((2 * $(st cap.mbp connections)))
expect_eq "merged keys" "$(st twice.mbp keys)" "$(st cap.mbp keys)"
expect_eq "merged responses" "$(st twice.mbp responses)" $((2 * $(st cap.mbp responses)))

# Twitter round trip of a capture: the request figures survive (times only to the second).
# Meta commands leave out: Twitter CSV names them by their text commands.
mb_expect_status 0 "$R" profile:cap.mbp --ops get,set -o plain.mbp
mb_expect_status 0 "$R" profile:plain.mbp --format twitter -o cap.csv
mb_expect_status 0 "$R" twitter:cap.csv --keep-keys -o back.mbp
"$MB_BIN/membench-analyze" --json plain.mbp >cap.json
"$MB_BIN/membench-analyze" --json back.mbp >back.json
$J cap.json back.json --only .requests .ops .connections .keys.unique .keys.top .key_size \
  .value_size .popularity .reuse.first_accesses .reuse.reuses .reuse.distance_requests \
  .ttl_s || mb_fail "capture round trip"
# A live capture straight to another format: ebpf: --format twitter (rec_start's output name
# ends in .mbp, the content is the CSV).
rec_start direct ebpf:any --port "$MC_PORT" --keep-keys --format twitter
printf 'set d1 0 0 3\r\nabc\r\nget d1\r\nget d2\r\ndelete d1\r\nquit\r\n' |
  nc -q 2 127.0.0.1 "$MC_PORT" >/dev/null
rec_stop
expect_eq "direct twitter" "$(cut -d, -f2- direct.mbp | tr '\n' ' ')" \
  "d1,2,3,0,set,0 d1,2,3,0,get,0 d2,2,0,0,get,0 d1,2,0,0,delete,0 "
ls | grep -q '\.mbp\.' && mb_fail "a temporary profile was left behind: $(ls)"
echo "profile source on a capture: ok"
