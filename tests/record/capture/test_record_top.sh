# root-bpf: membench record --top (live hot keys) against a real memcached and pymemcache.
# A known skewed workload: HOT 500 requests, WARM 300, COOL 100 (each one set, the rest gets
# that hit), BIG one 100,000-byte value set and read once, MISS read 70 times and MISS2 20
# times (never set), 400 other keys set once. Checked, on real captures:
#  - --keep-keys: the final table lists them in order with exact counts: by requests HOT 500,
#    WARM 300, COOL 100, MISS 70, MISS2 20; by bytes BIG 200000 then HOT 5000; by misses MISS 70
#    then MISS2 20; largest BIG 100000; hit% and misses columns; the profile written at the
#    same time has the same counts;
#  - rates: a refresh block is printed per interval; summing HOT's req/s x interval over the
#    blocks gives its 500 requests back, it falls to 0 once the client is idle, and its average
#    is requests / time since the start;
#  - anonymous (default) with -o: no raw key appears anywhere in the output, the keys are #ID
#    and those ids and counts are the ones `membench analyze --json` reports for the profile
#    (ebpf:pid=MEMCACHED, so the pid filter applies too);
#  - no -o: ~HASH identities, no raw key, nothing written; --key-prefix shows the namespace;
#    --sample notes the fraction, and a connection is counted whole or not at all;
#  - on a terminal (script(1) pty): redrawn in place, cut to the terminal's height, no status
#    line, the final table in full;
#  - more keys than counters: the requests list states its bound W/4096 and HOT, evicted once
#    among 6000 keys, is still listed first within it;
#  - `--top | head`: the capture ends cleanly, the profile complete;
#  - bad --top/--refresh values are refused with exit 2.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1

HOT=hot:alpha-7f3 WARM=warm:beta-91c COOL=cool:gamma-2d0 BIG=big:blob-55e
MISS=miss:never-0a1 MISS2=miss:rarely-b2
RAW_KEYS=("$HOT" "$WARM" "$COOL" "$BIG" "$MISS" "$MISS2" alpha-7f3 never-0a1 one:0007-zz)

# Bad values: usage errors before anything is loaded (no root needed).
for bad in "--top 0" "--top=abc" "--top 1001" "--top --refresh 10ms" "--refresh 1s"; do
  # shellcheck disable=SC2086
  mb_expect_status 2 "$MB_BIN/membench-record" ebpf:any $bad
  [ "$(wc -l <"$MB_TMP/err")" -eq 1 ] || mb_fail "'$bad': $(cat "$MB_TMP/err")"
done
grep -q -- "--refresh applies to --top only" "$MB_TMP/err" || mb_fail "--refresh alone: $(cat "$MB_TMP/err")"
# the count as a separate argument is checked as one, and the message names the flag
mb_expect_status 2 "$MB_BIN/membench-record" ebpf:any --top abc
grep -q -- "--top: bad row count 'abc'" "$MB_TMP/err" || mb_fail "--top abc: $(cat "$MB_TMP/err")"
echo "ok: bad --top/--refresh refused"

rec_need_bpf
mb_start_memcached

cat >"$MB_TMP/work.py" <<'PYEOF'
import sys, time
from pymemcache.client.base import Client
port, hot, warm, cool, big, miss, miss2 = int(sys.argv[1]), *sys.argv[2:8]
c = Client(("127.0.0.1", port))
for k in (hot, warm, cool):
    c.set(k, b"0123456789")
c.set(big, b"x" * 100000)
assert len(c.get(big)) == 100000
for i in range(400):
    c.set("one:%04d-zz" % i, b"v" * (1 + i % 50))
for i in range(499):
    assert c.get(hot) is not None
    if i < 299:
        assert c.get(warm) is not None
    if i < 99:
        assert c.get(cool) is not None
    if i < 70:
        assert c.get(miss) is None
    if i < 20:
        assert c.get(miss2) is None
c.close()
PYEOF
work() { $PY "$MB_TMP/work.py" "$MC_PORT" "$HOT" "$WARM" "$COOL" "$BIG" "$MISS" "$MISS2"; }

# top_start NAME ARGS...: membench-record --top in the background, stdout in NAME.out; waits
# for the first refresh block (printed once attached).
top_start() {
  local name=$1; shift
  "$MB_BIN/membench-record" "$@" >"$MB_TMP/$name.out" 2>"$MB_TMP/$name.err" &
  REC_PID=$!
  MB_PIDS+=("$REC_PID")
  local i
  for i in $(seq 1 300); do
    grep -q '^--- ' "$MB_TMP/$name.out" && return 0
    kill -0 "$REC_PID" 2>/dev/null || { cat "$MB_TMP/$name.err" >&2; mb_fail "$name: membench-record exited"; }
    sleep 0.1
  done
  mb_fail "$name: no --top block within 30 s"
}
# final NAME LIST: the rows of one list in the final block: "rank key requests misses bytes largest hit%"
final() {
  awk -v l="$2" '/^--- final/ {f=1} f && $1==l && $2 ~ /^[0-9]+$/ {print $2, $3, $5, $9, $10, $11, $8}' \
    "$MB_TMP/$1.out"
}
no_raw_keys() {
  local k
  for k in "${RAW_KEYS[@]}"; do
    if grep -qF -- "$k" "$MB_TMP/$1.out" "$MB_TMP/$1.err"; then
      mb_fail "$1: raw key '$k' in the output: $(grep -F -- "$k" "$MB_TMP/$1.out" | head -3)"
    fi
  done
  echo "ok: $1: no raw key in the output"
}

# ---- 1: --keep-keys, with a profile ----
top_start kept ebpf:any --port "$MC_PORT" --top 5 --keep-keys -o "$MB_TMP/kept.mbp"
work
sleep 3.5 # idle: the window releases everything, and at least two refreshes see no traffic
rec_stop "$MB_TMP/kept.err"
cat "$MB_TMP/kept.out" | tail -32
expect_eq "kept: by requests" "$(final kept requests | awk '{print $1, $2, $3}' | tr '\n' ' ')" \
  "1 $HOT 500 2 $WARM 300 3 $COOL 100 4 $MISS 70 5 $MISS2 20 "
expect_eq "kept: HOT hit% and misses" "$(final kept requests | awk 'NR==1 {print $7, $4}')" "100.0 0"
expect_eq "kept: MISS hit% and misses" "$(final kept requests | awk 'NR==4 {print $7, $4}')" "0.0 70"
expect_eq "kept: by bytes" "$(final kept bytes | awk 'NR<=2 {print $2, $5}' | tr '\n' ' ')" \
  "$BIG 200000 $HOT 5000 "
expect_eq "kept: by misses" "$(final kept misses | awk 'NR<=2 {print $2, $4}' | tr '\n' ' ')" \
  "$MISS 70 $MISS2 20 "
expect_eq "kept: largest" "$(final kept largest | awk 'NR==1 {print $2, $6}')" "$BIG 100000"
grep -q '^# hot keys by requests: [0-9]* requests in all, exact$' "$MB_TMP/kept.out" ||
  mb_fail "kept: the requests list does not say it is exact"
rec_dump kept
for k in "$HOT:500" "$WARM:300" "$COOL:100" "$MISS:70"; do
  expect_eq "kept: profile records of ${k%:*}" "$(rec_count kept "\$13 == \"${k%:*}\"")" "${k##*:}"
done

# Rates: per block "dt" from its header, HOT's req/s; sum(req/s x dt) = 500.
$PY - "$MB_TMP/kept.out" "$HOT" <<'PYEOF'
import re, sys
blocks, cur = [], None
for line in open(sys.argv[1]):
    m = re.match(r"^--- (final )?\S+ \+([0-9.]+)s: \d+ requests, [0-9.]+ req/s over the last ([0-9.]+)s", line)
    if m:
        cur = {"final": bool(m.group(1)), "up": float(m.group(2)), "dt": float(m.group(3)), "rate": 0.0}
        blocks.append(cur)
        continue
    f = line.split()
    if cur is not None and len(f) >= 7 and f[0] == "requests" and f[2] == sys.argv[2]:
        cur["rate"], cur["avg"], cur["n"] = float(f[5]), float(f[6]), int(f[4])
n_periodic = sum(1 for b in blocks if not b["final"])
assert n_periodic >= 4, f"only {n_periodic} refresh blocks"
total = sum(b["rate"] * b["dt"] for b in blocks)
assert abs(total - 500) <= 10, f"sum of req/s x interval = {total:.1f}, expected 500"
busy = [b for b in blocks if b["rate"] > 0]
assert busy, "HOT never had a rate"
last = blocks[-1]
assert last["final"] and last["rate"] == 0.0, f"HOT still has a rate when idle: {last}"
assert blocks[-2]["rate"] == 0.0 and blocks[-2].get("n") == 500, blocks[-2]
assert abs(last["avg"] - 500 / last["up"]) <= 0.01 * 500 / last["up"] + 0.1, last
print(f"ok: HOT req/s x interval sums to {total:.1f} over {len(blocks)} blocks; 0 when idle; avg {last['avg']}")
PYEOF

# ---- 2: anonymous (default), with a profile, pid filter ----
top_start anon "ebpf:pid=$MC_PID" --port "$MC_PORT" --top 5 -o "$MB_TMP/anon.mbp"
work
sleep 1.5
rec_stop "$MB_TMP/anon.err"
no_raw_keys anon
"$MB_BIN/membench-analyze" --json "$MB_TMP/anon.mbp" >"$MB_TMP/anon.json"
got=$(final anon requests | awk '{printf "%s %s ", $2, $3}')
want=$($PY -c '
import json, sys
top = json.load(open(sys.argv[1]))["keys"]["top"][:5]
print("".join("#%d %d " % (t["id"], t["count"]) for t in top))' "$MB_TMP/anon.json")
expect_eq "anon: --top ids and counts = analyze's top keys" "$got" "$want"
expect_eq "anon: counts" "$(final anon requests | awk '{printf "%s ", $3}')" "500 300 100 70 20 "

# ---- 3: no profile: ~HASH, nothing written; --key-prefix; --sample ----
top_start nofile ebpf:any --port "$MC_PORT" --top 5
work
sleep 1.5
rec_stop "$MB_TMP/nofile.err"
no_raw_keys nofile
final nofile requests | awk '$2 !~ /^~[0-9a-f]+$/ || length($2) != 9 {exit 1}' || mb_fail "nofile: keys not ~HASH: $(final nofile requests)"
expect_eq "nofile: counts" "$(final nofile requests | awk '{printf "%s ", $3}')" "500 300 100 70 20 "
grep -q "no profile written" "$MB_TMP/nofile.err" || mb_fail "nofile: $(cat "$MB_TMP/nofile.err")"
[ -z "$(ls "$MB_TMP"/*.mbp 2>/dev/null | grep -v -e kept.mbp -e anon.mbp)" ] || mb_fail "nofile: a profile was written"

top_start prefix ebpf:any --port "$MC_PORT" --top 5 --key-prefix :
work
sleep 1.5
rec_stop "$MB_TMP/prefix.err"
no_raw_keys prefix
expect_eq "prefix: namespaces and counts" \
  "$(final prefix requests | awk '{printf "%s %s ", substr($2, 1, index($2, "*")), $3}')" \
  "hot:* 500 warm:* 300 cool:* 100 miss:* 70 miss:* 20 "

top_start sample ebpf:any --port "$MC_PORT" --top 5 --keep-keys --sample 1/2
work
sleep 1.5
rec_stop "$MB_TMP/sample.err"
grep -q '^--- .*counts are of the 50% of connections sampled' "$MB_TMP/sample.out" ||
  mb_fail "sample: no sampling note"
# the one client connection is in the 1/2 sample or not, as a whole
rows=$(final sample requests | awk '{printf "%s ", $3}')
if [ -n "$rows" ]; then
  expect_eq "sample: counts of a sampled connection" "$rows" "500 300 100 70 20 "
else
  echo "ok: sample: the client's connection is outside the 1/2 sample (nothing listed)"
fi

# ---- 4: on a terminal ----
script -qfec "stty rows 30 cols 120; exec '$MB_BIN/membench-record' ebpf:any --port $MC_PORT --top 5 --keep-keys --refresh 300ms --duration 4s" \
  "$MB_TMP/tty.log" >"$MB_TMP/tty.out" 2>&1 &
TTY_PID=$!
sleep 1.5
work
wait "$TTY_PID" || mb_fail "tty: exited $?: $(tail -5 "$MB_TMP/tty.out")"
redraws=$(grep -o $'\033\\[H' "$MB_TMP/tty.out" | wc -l)
[ "$redraws" -ge 5 ] || mb_fail "tty: only $redraws redraws"
grep -q "events/s" "$MB_TMP/tty.out" && mb_fail "tty: the status line is drawn over the table"
# 30 rows: (30 - 3) / 4 lists - 3 = 3 rows per list while live, all 5 in the final table
live=$(awk '/^FINAL /{exit} /^BY REQUESTS/ {n=0; on=1; next} on && /^ +[0-9]+ / {n++; if (n > m) m = n} /^BY BYTES/ {on=0} END {print m+0}' <(tr -d '\r' <"$MB_TMP/tty.out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g'))
expect_eq "tty: rows per list while live (30-line terminal)" "$live" 3
tr -d '\r' <"$MB_TMP/tty.out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' >"$MB_TMP/tty.txt"
awk '/^FINAL / {f=1} f' "$MB_TMP/tty.txt" | grep -q "^ *5 $MISS2 " ||
  mb_fail "tty: final table without its 5th row: $(awk '/^FINAL / {f=1} f' "$MB_TMP/tty.txt" | head -12)"
echo "ok: tty: $redraws redraws, 3 rows live, 5 in the final table"

# ---- 5: stdout closed (`--top | head`): the capture stops as if interrupted, profile complete ----
( "$MB_BIN/membench-record" ebpf:any --port "$MC_PORT" --top 3 --refresh 200ms -o "$MB_TMP/pipe.mbp" \
    2>"$MB_TMP/pipe.err"; echo $? >"$MB_TMP/pipe.rc" ) | head -2 >"$MB_TMP/pipe.out" &
PIPE_PID=$!
for _ in $(seq 1 100); do [ -e "$MB_TMP/pipe.rc" ] && break; sleep 0.1; done
[ -e "$MB_TMP/pipe.rc" ] || { kill "$PIPE_PID" 2>/dev/null; mb_fail "pipe: still running 10 s after head exited"; }
wait "$PIPE_PID" || true
expect_eq "pipe: exit status" "$(cat "$MB_TMP/pipe.rc")" 0
expect_eq "pipe: lines read by head" "$(wc -l <"$MB_TMP/pipe.out")" 2
rec_dump pipe
expect_eq "pipe: profile complete (not cut short)" "$(rec_stat pipe truncated_file)" 0

# Every line fits the terminal: 120 columns above, and 80 (the key column narrows, keys are cut).
width=$(grep -v '^membench record: ' "$MB_TMP/tty.txt" | awk '{ if (length($0) > m) m = length($0) } END {print m+0}')
[ "$width" -le 120 ] || mb_fail "tty: a line of $width columns on a 120-column terminal"
script -qfec "stty rows 24 cols 80; exec '$MB_BIN/membench-record' ebpf:any --port $MC_PORT --top --keep-keys --refresh 300ms --duration 3s" \
  "$MB_TMP/tty80.log" >"$MB_TMP/tty80.out" 2>&1 &
TTY_PID=$!
sleep 1
work
wait "$TTY_PID" || mb_fail "tty80: exited $?"
tr -d '\r' <"$MB_TMP/tty80.out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -v '^membench record: ' >"$MB_TMP/tty80.txt"
width=$(awk '{ if (length($0) > m) m = length($0) } END {print m+0}' "$MB_TMP/tty80.txt")
[ "$width" -le 80 ] || mb_fail "tty80: a line of $width columns: $(awk 'length($0) > 80' "$MB_TMP/tty80.txt" | head -3)"
grep -q "^ *1 hot:alph\.\. " "$MB_TMP/tty80.txt" || mb_fail "tty80: HOT not shown cut to the key column: $(grep -m3 '^ *1 ' "$MB_TMP/tty80.txt")"
echo "ok: tty: lines fit 120 and 80 columns"

# ---- 6: more keys than counters (4096): the bound is stated and holds ----
# HOT is set once among 6000 keys set once each (it is evicted, a key among many with count 1),
# then read 499 times: listed first, its count within [500, 500 + W/4096], marked ~ when over.
top_start many ebpf:any --port "$MC_PORT" --top 3 --keep-keys
$PY - "$MC_PORT" "$HOT" <<'PYEOF'
import sys
from pymemcache.client.base import Client
c = Client(("127.0.0.1", int(sys.argv[1])))
c.set(sys.argv[2], b"0123456789")
for start in range(0, 6000, 500):
    c.set_many({"many:%05d" % i: b"v" for i in range(start, start + 500)}, noreply=True)
for _ in range(499):
    assert c.get(sys.argv[2]) is not None
c.close()
PYEOF
sleep 1.5
rec_stop "$MB_TMP/many.err"
title=$(awk '/^--- final/ {f=1} f && /^# hot keys by requests/' "$MB_TMP/many.out")
bound=$(echo "$title" | sed -n 's/.*every key above \([0-9]*\) requests is listed; ~ marks a count at most \1 over$/\1/p')
[ -n "$bound" ] || mb_fail "many: the requests list states no bound: $title"
total=$(echo "$title" | sed -n 's/.*: \([0-9]*\) requests in all.*/\1/p')
expect_eq "many: bound = W / 4096" "$bound" $(( total / 4096 ))
row=$(final many requests | head -1)
set -- $row
[ "$2" = "$HOT" ] || mb_fail "many: rank 1 is not HOT: $row"
count=${3#\~}
[ "$count" -ge 500 ] && [ "$count" -le $(( 500 + bound )) ] ||
  mb_fail "many: HOT counted $3, outside [500, $(( 500 + bound ))]"
if [ "$count" -gt 500 ]; then [ "${3:0:1}" = "~" ] || mb_fail "many: over-count $3 not marked ~"; fi
echo "ok: many: $total requests over 6001 keys, HOT listed first with $3 (true 500, bound +$bound)"
