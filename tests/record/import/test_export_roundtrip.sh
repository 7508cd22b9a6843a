# --format twitter|oracle: import(export(p)) keeps every `membench analyze --json` figure the
# format can carry (compared field by field by jsondiff.py), the oracleGeneral records and their
# next-access times are checked one by one against a brute-force computation, and .zst outputs
# decompress to the plain ones. The profiles come from a 200,000-request Zipf workload written
# as a Twitter trace and imported (so requests sit evenly within whole seconds, which both
# formats can express).
source "$MB_SOURCE_DIR/tests/lib.sh"
R="$MB_BIN/membench-record"
A="$MB_BIN/membench-analyze"
J="python3 $MB_SOURCE_DIR/tests/record/import/jsondiff.py"
cd "$MB_TMP"

mb_expect_status 0 "$R" synth:zipf --ops 200000 --keys 20000 --alpha 0.9 --rate 5000 \
  --connections 8 --mix get:0.8,set:0.15,delete:0.05 --value-size uniform:10,5000 --seed 3 \
  --format twitter -o z.csv
[ "$(wc -l <z.csv)" = 200000 ] || mb_fail "synth --format twitter wrote $(wc -l <z.csv) lines"
mb_expect_status 0 "$R" twitter:z.csv -o p.mbp
"$A" --json p.mbp >p.json

# Twitter carries everything but the header's source/params: ops, sizes, TTLs, connections,
# keys, popularity, reuse, per-second rates, inter-arrival times (same even placement).
mb_expect_status 0 "$R" profile:p.mbp --format twitter -o p.csv.zst
zstd -q -t p.csv.zst || mb_fail "p.csv.zst is not zstd"
mb_expect_status 0 "$R" twitter:p.csv.zst -o p2.mbp
"$A" --json p2.mbp >p2.json
$J p.json p2.json --skip .file .profile.source .profile.params || mb_fail "twitter round trip"

# oracleGeneral carries requests, time (whole seconds), keys and values; every record is a get
# on one connection with --key-size bytes, so ops, connections, key sizes and TTLs are not.
mb_expect_status 0 "$R" profile:p.mbp --format oracle -o p.og
[ "$(stat -c %s p.og)" = $((200000 * 24)) ] || mb_fail "p.og has $(stat -c %s p.og) bytes"
mb_expect_status 0 "$R" oracle:p.og -o po.mbp
"$A" --json po.mbp >po.json
$J p.json po.json --only .requests .commands .start_s .duration_s .keys .popularity .reuse \
  .rate .inter_arrival_ns.global .inter_arrival_ns.cdf .profile.start_wall_ns \
  || mb_fail "oracle round trip"
# ... and an oracle-imported profile is a fixed point of export + import, .zst included.
mb_expect_status 0 "$R" profile:po.mbp --format oracle -o po.og.zst
mb_expect_status 0 "$R" oracle:po.og.zst -o po2.mbp
"$A" --json po2.mbp >po2.json
$J po.json po2.json --skip .file .profile.source .profile.params || mb_fail "oracle fixed point"
zstd -q -dc po.og.zst | cmp -s - p.og || mb_fail "po.og.zst differs from p.og"

# Every record against the trace: time, id in first-seen order, size (a delete's or a miss's
# size is the key's first known one), next access = 1-based index of the next request for the
# same object (libCacheSim traceConv), -1 for the last.
python3 - z.csv p.og <<'PY' || mb_fail "oracleGeneral records are wrong"
import struct, sys
rows = [l.rstrip("\n").split(",") for l in open(sys.argv[1])]
data = open(sys.argv[2], "rb").read()
ids, first_size, nxt, last = {}, {}, [-1] * len(rows), {}
for i, r in enumerate(rows):
    ids.setdefault(r[1], len(ids))
    if int(r[3]) and r[1] not in first_size:
        first_size[r[1]] = int(r[3])
for i in range(len(rows) - 1, -1, -1):
    k = rows[i][1]
    nxt[i] = last.get(k, -1)
    last[k] = i + 1
bad = 0
for i, r in enumerate(rows):
    t, oid, size, na = struct.unpack_from("<IQIq", data, 24 * i)
    want = (int(r[0]), ids[r[1]], int(r[3]) or first_size.get(r[1], 0), nxt[i])
    if (t, oid, size, na) != want:
        bad += 1
        if bad < 5:
            print("record %d: %r, expected %r" % (i, (t, oid, size, na), want))
print("%d records checked, %d wrong" % (len(rows), bad))
sys.exit(1 if bad else 0)
PY

# Records the formats cannot carry are left out with a warning; bad --format values exit 2.
mb_expect_status 2 "$R" profile:p.mbp --format csv -o x.out
grep -q "bad value for --format: 'csv'" err || mb_fail "wrong message: $(cat err)"
mb_expect_status 2 "$R" profile:p.mbp -o x.out --format
[ ! -e x.out ] || mb_fail "x.out written by a failed run"
ls | grep -q '\.mbp\.' && mb_fail "a temporary profile was left behind: $(ls)"
mb_expect_status 0 "$R" --help
grep -q -- "--format mbp|twitter|oracle" out || mb_fail "record --help does not mention --format"
# Ctrl-C while the output is converted (every request already written): the output is whole,
# so the run ends as if uninterrupted (it said "interrupted: holds the first N requests", exit 1).
"$R" synth:zipf --ops 6000000 --keys 100000 --rate 20000 --seed 1 --format oracle -o big.og 2>big.err &
pid=$!
for _ in $(seq 12000); do [ -s big.og ] && break; sleep 0.005; done
[ -s big.og ] || mb_fail "the conversion did not start"
kill -INT "$pid"
st=0; wait "$pid" || st=$?
[ "$st" = 0 ] || mb_fail "Ctrl-C during the conversion: exit $st: $(cat big.err)"
grep -q interrupted big.err && mb_fail "Ctrl-C during the conversion reported: $(cat big.err)"
[ "$(stat -c %s big.og)" = $((6000000 * 24)) ] || mb_fail "big.og: $(stat -c %s big.og) bytes"
rm -f big.og
echo "Ctrl-C during the conversion: ok"

echo "export round trip: ok"
