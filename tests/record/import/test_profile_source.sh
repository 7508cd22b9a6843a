# membench record profile:PATH: slicing, filtering and merging profiles of imported traces with
# exactly known content (two Twitter traces with unix timestamps, keys kept), read back with
# mbp_dump; bad inputs and options give their exit codes and messages.
source "$MB_SOURCE_DIR/tests/lib.sh"
DUMP="$MB_BINARY_DIR/tests/record/capture/mbp_dump"
[ -x "$DUMP" ] || mb_fail "mbp_dump not built at $DUMP"
R="$MB_BIN/membench-record"
cd "$MB_TMP"

cat >a.csv <<'CSV'
1700000000,user:1,6,100,c1,get,0
1700000000,user:2,6,200,c2,set,30
1700000001,sess:1,6,50,c1,get,0
1700000002,user:1,6,100,c2,delete,0
1700000003,sess:2,6,70,c1,get,0
CSV
cat >b.csv <<'CSV'
1700000001,user:1,6,100,x,get,0
1700000002,other,5,10,x,get,0
CSV
mb_expect_status 0 "$R" twitter:a.csv --keep-keys -o a.mbp
mb_expect_status 0 "$R" twitter:b.csv --keep-keys -o b.mbp

# recs FILE: "time conn op key_len value_len ttl key" per record
recs() { "$DUMP" "$1" | awk '$1=="rec" {print $2, $3, $4, $8, $9, $11, $13}'; }
stat() { "$DUMP" "$1" | awk -v k="$2" '$1=="stat" && $2==k {print $3}'; }
expect() { [ "$2" = "$3" ] || mb_fail "$1: got [$2], expected [$3]"; echo "ok: $1"; }

# A plain copy is the same profile: every record, the header start, the analysis.
mb_expect_status 0 "$R" profile:a.mbp -o copy.mbp
expect "copy records" "$(recs copy.mbp)" "$(recs a.mbp)"
expect "copy start" "$(stat copy.mbp start_wall_ns)" "1700000000000000000"
"$MB_BIN/membench-analyze" --json a.mbp | sed '/"file"\|"source"\|"params"/d' >a.json
"$MB_BIN/membench-analyze" --json copy.mbp | sed '/"file"\|"source"\|"params"/d' >copy.json
cmp -s a.json copy.json || { diff a.json copy.json | head; mb_fail "analysis of the copy differs"; }

# Merge: time order by wall clock (b starts 1 s later), b's client is a connection of its own,
# user:1 is one key in both (kept keys), the header names both inputs.
mb_expect_status 0 "$R" profile:a.mbp profile:b.mbp -o ab.mbp
expect "merge" "$(recs ab.mbp)" "0 0 get 6 100 0 user:1
500000000 1 set 6 200 30 user:2
1000000000 0 get 6 50 0 sess:1
1000000000 2 get 6 100 0 user:1
2000000000 1 delete 6 100 0 user:1
2000000000 2 get 5 10 0 other
3000000000 0 get 6 70 0 sess:2"
expect "merge keys" "$(stat ab.mbp keys)" "5"
expect "merge connections" "$(stat ab.mbp connections)" "3"
expect "merge requests" "$(stat ab.mbp requests)" "7"
"$MB_BIN/membench-analyze" --info ab.mbp >info.txt
grep -q "profile:a.mbp profile:b.mbp" info.txt || mb_fail "source does not name the inputs"
# --align start: both inputs start at 0
mb_expect_status 0 "$R" profile:a.mbp profile:b.mbp --align start -o abs.mbp
expect "align start" "$(recs abs.mbp | awk '$2==1 {print $1}' | tr '\n' ' ')" "0 1000000000 "

# Window by offset: [1s, 3s) of a, rebased to start at 1 s.
mb_expect_status 0 "$R" profile:a.mbp --from 1s --to 3s -o w.mbp
expect "window" "$(recs w.mbp)" "0 0 get 6 50 0 sess:1
1000000000 1 delete 6 100 0 user:1"
expect "window start" "$(stat w.mbp start_wall_ns)" "1700000001000000000"
"$MB_BIN/membench-analyze" --info w.mbp | grep -q "from=1s to=3s" || mb_fail "filters not in the header"
# Same window by wall clock (ISO 8601 and @unix), and a compound offset.
mb_expect_status 0 "$R" profile:a.mbp --from 2023-11-14T22:13:21Z --to @1700000003 -o w2.mbp
expect "wall window" "$(recs w2.mbp)" "$(recs w.mbp)"
mb_expect_status 0 "$R" profile:a.mbp --from 0m1s500ms -o w3.mbp
expect "compound offset" "$(recs w3.mbp | wc -l)" "2"

# Commands, key prefix, connections, request count.
mb_expect_status 0 "$R" profile:a.mbp --ops get -o g.mbp
expect "ops get" "$(recs g.mbp | awk '{print $3}' | sort | uniq -c | tr -s ' ')" " 3 get"
mb_expect_status 0 "$R" profile:a.mbp --ops set,delete -o sd.mbp
expect "ops set,delete" "$(recs sd.mbp | wc -l)" "2"
mb_expect_status 0 "$R" profile:a.mbp --key-prefix-only user: -o u.mbp
expect "key prefix" "$(recs u.mbp | awk '{print $7}' | tr '\n' ' ')" "user:1 user:2 user:1 "
mb_expect_status 0 "$R" profile:a.mbp --connections 1 -o c.mbp
expect "connections" "$(recs c.mbp | awk '{print $3}' | tr '\n' ' ')" "set delete "
mb_expect_status 0 "$R" profile:a.mbp --ops 2 -o n.mbp
expect "request count" "$(recs n.mbp | wc -l)" "2"
mb_expect_status 0 "$R" profile:a.mbp --ops incr -o none.mbp
grep -q "no request matched" err || mb_fail "no warning for an empty result"
expect "empty result" "$(stat none.mbp records)" "0"

# Errors: missing file and not a profile (3), filters the input cannot answer, bad values (2).
mb_expect_status 3 "$R" profile:nope.mbp -o x.mbp
grep -q "nope.mbp" err || mb_fail "missing file not named: $(cat err)"
mb_expect_status 3 "$R" profile:a.csv -o x.mbp
grep -q "a.csv" err || mb_fail "non-profile not named: $(cat err)"
mb_expect_status 0 "$R" synth:zipf --ops 100 --seed 1 -o s.mbp
mb_expect_status 3 "$R" profile:s.mbp --key-prefix-only user: -o x.mbp
grep -q "keeps no key bytes" err || mb_fail "wrong message: $(cat err)"
mb_expect_status 2 "$R" profile:s.mbp --from 2023-11-14T22:13:21Z -o x.mbp
grep -q "no wall-clock start" err || mb_fail "wrong message: $(cat err)"
mb_expect_status 2 "$R" profile:a.mbp --ops frob -o x.mbp
grep -q "'frob' is not a command" err || mb_fail "wrong message: $(cat err)"
mb_expect_status 2 "$R" profile:a.mbp --connections 3-1 -o x.mbp
mb_expect_status 2 "$R" profile:a.mbp --from 5s --to 2s -o x.mbp
mb_expect_status 2 "$R" profile:a.mbp twitter:a.csv -o x.mbp
[ ! -e x.mbp ] || mb_fail "an output was left behind by a failed run"
mb_expect_status 0 "$R" profile: --help
grep -q -- "--key-prefix-only" out || mb_fail "help does not list the filters"

# --sample 1/N: whole keys (every request of a kept key, none of the others), about 1 in N,
# the same keys whether sampled on import or from the profile; by connection likewise.
mb_expect_status 0 "$R" synth:zipf --ops 20000 --keys 2000 --connections 16 --seed 4 \
  --format twitter -o zs.csv
mb_expect_status 0 "$R" twitter:zs.csv --keep-keys -o zs.mbp
mb_expect_status 0 "$R" profile:zs.mbp --sample 1/4 -o s4.mbp
mb_expect_status 0 "$R" twitter:zs.csv --keep-keys --sample 1/4 -o s4i.mbp
per_key() { recs "$1" | awk '{n[$7]++} END {for (k in n) print k, n[k]}' | sort; }
per_key zs.mbp >all.keys
per_key s4.mbp >s4.keys
[ -s s4.keys ] || mb_fail "sample kept nothing"
join s4.keys all.keys | awk '$2 != $3 {bad++} END {exit bad > 0}' || mb_fail "a sampled key lost requests"
kept=$(wc -l <s4.keys); total=$(wc -l <all.keys)
[ $((kept * 100 / total)) -ge 20 ] && [ $((kept * 100 / total)) -le 30 ] \
  || mb_fail "sample 1/4 kept $kept of $total keys"
cmp -s s4.keys <(per_key s4i.mbp) || mb_fail "import and profile sampling kept different keys"
"$MB_BIN/membench-analyze" --info s4.mbp | grep -q "sample=1/4" || mb_fail "sample not in the header"
expect "sample ratio" "$("$MB_BIN/membench-analyze" --info s4.mbp | awk '/^sample ratio:/ {print $3}')" "0.25"
mb_expect_status 0 "$R" profile:zs.mbp --sample 1/4 --sample-by connection -o c4.mbp
per_conn() { recs "$1" | awk '{n[$2]++} END {for (k in n) print k, n[k]}' | sort; }
[ "$(recs c4.mbp | wc -l)" -gt 0 ] || mb_fail "connection sample kept nothing"
[ "$(per_conn c4.mbp | wc -l)" -lt 16 ] || mb_fail "connection sample kept every connection"
mb_expect_status 2 "$R" profile:zs.mbp --sample 4 -o x.mbp
mb_expect_status 2 "$R" profile:zs.mbp --sample-by host -o x.mbp

# Prefix-mode profiles (--key-prefix ':'): keys keep their identity and stored prefix; the
# prefix filter works up to the delimiter and refuses to look past it.
mb_expect_status 0 "$R" twitter:a.csv --key-prefix : -o ap.mbp
mb_expect_status 0 "$R" profile:ap.mbp -o apc.mbp
expect "prefix copy" "$(recs apc.mbp)" "$(recs ap.mbp)"
expect "prefix keys" "$(stat apc.mbp keys)" "4"
mb_expect_status 0 "$R" profile:ap.mbp --key-prefix-only us -o apu.mbp
expect "prefix filter" "$(recs apu.mbp | wc -l)" "3"
"$MB_BIN/membench-analyze" --json ap.mbp >ap.json
"$MB_BIN/membench-analyze" --json apc.mbp >apc.json
python3 "$MB_SOURCE_DIR/tests/record/import/jsondiff.py" ap.json apc.json --only .keys.prefixes \
  || mb_fail "prefixes changed"
grep -q '"user:"' apc.json || mb_fail "no user: prefix in the copy"
mb_expect_status 3 "$R" profile:ap.mbp --key-prefix-only user:1 -o x.mbp
grep -q "keeps keys only up to ':'" err || mb_fail "wrong message: $(cat err)"

# The same filters on a trace import: the kept rows keep the times of a full import, shifted
# down by --from; --ops N is still a count.
mb_expect_status 0 "$R" twitter:a.csv --keep-keys --from 1s --to 3s -o tw.mbp
expect "import window" "$(recs tw.mbp)" "$(recs w.mbp)"
expect "import window start" "$(stat tw.mbp start_wall_ns)" "1700000001000000000"
mb_expect_status 0 "$R" twitter:a.csv --keep-keys --ops get --key-prefix-only sess: -o tg.mbp
expect "import ops+prefix" "$(recs tg.mbp)" "1000000000 0 get 6 50 0 sess:1
3000000000 0 get 6 70 0 sess:2"
mb_expect_status 0 "$R" twitter:a.csv --from @1700000002 -o tf.mbp
expect "import wall from" "$(recs tf.mbp | wc -l)" "2"
mb_expect_status 0 "$R" twitter:a.csv --ops 3 -o t3.mbp
expect "import count" "$(recs t3.mbp | wc -l)" "3"
printf 'key,op,size,op_time\nk1,GET,10,100\nk2,SET,20,101\nk3,DELETE,0,102\n' >c.csv
mb_expect_status 0 "$R" cachelib:c.csv --ops set,delete --from 1s -o cl.mbp
expect "cachelib filters" "$(recs cl.mbp | awk '{print $1, $3}' | tr '\n' ' ')" "0 set 1000000000 delete "
mb_expect_status 0 "$R" twitter:a.csv --ops incr -o none2.mbp
grep -q "no request matched" err || mb_fail "no warning for an import that kept nothing"
mb_expect_status 2 "$R" oracle:a.csv --key-prefix-only x -o x.mbp
mb_expect_status 2 "$R" cachelib:c.csv --from 2023-11-14T22:13:21Z -o x.mbp
grep -q "not unix times" err || mb_fail "wrong message: $(cat err)"
[ ! -e x.mbp ] || mb_fail "an output was left behind by a failed import"
echo "profile source: ok"
