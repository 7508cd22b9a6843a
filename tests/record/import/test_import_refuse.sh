# Trace import input rules (docs/import.md, "Input rules"): gzip input is recognised by its
# magic like zstd (several members, cut short); an input with no requests is refused the same way
# by every importer; an input that is not the format asked for is refused, never imported:
# random bytes or a gzip of text fed to oracle: with a length that is a multiple of 24, an
# all-zero file, random bytes to twitter: even with --skip-bad. Each refusal is exit 3 with a
# message naming the file, and leaves no output.
source "$MB_SOURCE_DIR/tests/lib.sh"
DUMP="$MB_BINARY_DIR/tests/record/capture/mbp_dump"
R="$MB_BIN/membench-record"
cd "$MB_TMP"
nrec() { "$DUMP" "$1" | grep -c '^rec' || true; }
refused() { # refused FILE-IN-MESSAGE TEXT-IN-MESSAGE ARGS...
  local f=$1 t=$2; shift 2
  mb_expect_status 3 "$R" "$@" -o out.mbp
  grep -q -- "$f" err || mb_fail "message does not name $f: $(cat err)"
  grep -q -- "$t" err || mb_fail "message lacks '$t': $(cat err)"
  [ ! -e out.mbp ] || mb_fail "out.mbp was written by a refused import ($*)"
  echo "ok: refused $* ($(head -c 120 err))"
}

# Real data: a Zipf workload exported to each format.
mb_expect_status 0 "$R" synth:zipf --ops 20000 --keys 2000 --rate 1000 --connections 4 --seed 9 \
  --format twitter -o z.csv
mb_expect_status 0 "$R" twitter:z.csv --keep-keys -o z.mbp
mb_expect_status 0 "$R" profile:z.mbp --format oracle -o z.og
{ echo "key,op,size,op_time"; awk -F, '{print $2 "," toupper($6) "," $4 "," $1}' z.csv; } >z.cl.csv

# gzip, detected by magic whatever the name, for every format; members concatenated; cut short.
for f in z.csv z.og z.cl.csv; do gzip -c "$f" >"$f.data"; done
mb_expect_status 0 "$R" twitter:z.csv.data --keep-keys -o g.mbp
cmp -s <("$DUMP" g.mbp | grep '^rec') <("$DUMP" z.mbp | grep '^rec') || mb_fail "gzip twitter differs"
"$MB_BIN/membench-analyze" --info g.mbp | grep -q "compression=gzip" || mb_fail "params lack gzip"
mb_expect_status 0 "$R" oracle:z.og.data -o go.mbp
[ "$(nrec go.mbp)" = 20000 ] || mb_fail "gzip oracle: $(nrec go.mbp) records"
mb_expect_status 0 "$R" cachelib:z.cl.csv.data -o gc.mbp
[ "$(nrec gc.mbp)" = 20000 ] || mb_fail "gzip cachelib: $(nrec gc.mbp) records"
head -n 10000 z.csv | gzip -c >two.gz
tail -n +10001 z.csv | gzip -c >>two.gz
mb_expect_status 0 "$R" twitter:two.gz --keep-keys -o two.mbp
cmp -s <("$DUMP" two.mbp | grep '^rec') <("$DUMP" z.mbp | grep '^rec') || mb_fail "2-member gzip differs"
head -c 5000 z.csv.data >cut.gz
refused cut.gz "gzip stream ends in the middle" twitter:cut.gz

# One empty-input rule: no requests in the input is exit 3 for every importer.
: >empty
printf '\n\n' >blank
echo "key,op,size,op_time" >header.csv
: | gzip -c >empty.gz
for s in twitter oracle cachelib; do refused empty "empty" "$s:empty"; done
refused blank "no requests in the input" twitter:blank
refused header.csv "a header row alone" cachelib:header.csv
refused empty.gz "no requests in the input" oracle:empty.gz
refused "-" "no requests in the input" twitter:- </dev/null

# Not the format asked for.
head -c 24000 /dev/urandom >random.bin
refused random.bin "not a libCacheSim oracleGeneral trace" oracle:random.bin
head -c 24000 /dev/zero >zero.bin
refused zero.bin "not a libCacheSim oracleGeneral trace" oracle:zero.bin
head -c 48000 z.csv | gzip -c >text.gz # a gzip of text, 48000 bytes inside
refused text.gz "not a libCacheSim oracleGeneral trace" oracle:text.gz
refused random.bin "is this a Twitter cache trace" twitter:random.bin --skip-bad
refused z.og "is this a Twitter cache trace" twitter:z.og --skip-bad
refused random.bin "header has no 'key' column" cachelib:random.bin
refused z.csv "not a libCacheSim oracleGeneral trace" oracle:z.csv

# ... while real oracleGeneral traces pass the check in every convention in use: 1-based
# indices (libCacheSim traceConv, what --format oracle writes), 0-based, distances, and no
# next-access times at all (-1 everywhere).
python3 - z.og <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
recs = [struct.unpack_from("<IQIq", d, i) for i in range(0, len(d), 24)]
def write(name, f):
    with open(name, "wb") as o:
        for i, (t, oid, size, nxt) in enumerate(recs):
            o.write(struct.pack("<IQIq", t, oid, size, f(i, nxt)))
write("zero-based.og", lambda i, n: n - 1 if n != -1 else -1)
write("distance.og", lambda i, n: n - 1 - i if n != -1 else -1)
write("none.og", lambda i, n: -1)
write("wrong.og", lambda i, n: n + 1 if n != -1 else -1)
PY
for f in z.og zero-based.og distance.og none.og; do
  mb_expect_status 0 "$R" "oracle:$f" -o ok.mbp
  [ "$(nrec ok.mbp)" = 20000 ] || mb_fail "$f: $(nrec ok.mbp) records"
done
refused wrong.og "does not fit obj_id" oracle:wrong.og
echo "import input rules: ok"
