# membench-replay --loop N and --warmup D (issue 17), against a real memcached on loopback.
#  1. --loop 3 sends exactly 3x the profile's requests (the JSON's requests_sent and settings,
#     and memcached's cmd_get), time keeps advancing between passes (the run lasts at least the
#     three passes' schedule), --loop 1 is one pass, --loop=2 and --loop before the profile
#     work, and --rate max --loop 2 sends exactly 2x;
#  2. --warmup on a profile of 200 evenly spaced requests per second: the first second's 200 go
#     to the warm-up object and the other 400 are measured (each within one request), warm-up +
#     measured = the 600 sent = the time series' sum; the series marks second 0 only; the
#     server stat deltas start at the warm-up's end; --rate 2x scales it (500ms of replay =
#     1 s of profile); --duration counts measured time after the warm-up;
#  3. a slow warm-up stays out of the measured latency: a burst of 20000 requests at 0 s (queued
#     behind --depth on one connection: tens of ms of corrected latency) then small bursts from
#     1 s on; with --warmup 10ms every burst request is the warm-up's, also the many answered
#     after those 10 ms (counted by their intended time, not by when they were answered), and
#     the measured p50 is a fraction of the warm-up's (a p50: a hypervisor stall during one small
#     burst, a sixth of the measured requests, must not fail the test);
#  4. --rate max --warmup: split by send time, the parts add up to the series;
#  4b. Ctrl-C inside the warm-up: exit 0, the measured part empty with duration 0;
#  5. bad values exit 2 naming the flag, before anything is sent.
source "$MB_SOURCE_DIR/tests/lib.sh"
R="$MB_BIN/membench-replay"
cd "$MB_TMP"
mb_start_memcached
S=127.0.0.1:$MC_PORT

# 200 gets per second for 3 s, evenly spaced (5 ms), on 2 connections
python3 - <<'PY'
rows = [f"{s},k{i % 100},4,100,{i % 2},get,0" for s in range(3) for i in range(200)]
open("even.csv", "w").write("\n".join(rows) + "\n")
# 20000 gets at 0 s on one connection, then 30 per second (6 connections) for 6 s
rows = [f"0,h{i % 500},8,100,0,get,0" for i in range(20000)]
rows += [f"{s},m{i},8,100,{1 + i % 6},get,0" for s in range(1, 7) for i in range(30)]
open("heavy.csv", "w").write("\n".join(rows) + "\n")
PY
mb_expect_status 0 "$MB_BIN/membench-record" twitter:even.csv -o even.mbp
mb_expect_status 0 "$MB_BIN/membench-record" twitter:heavy.csv --spread burst -o heavy.mbp

# json FILE EXPR: prints a Python expression evaluated on the JSON (as j)
json() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($2)" "$1"; }

# 1. --loop N
before=$(mb_mc_stat cmd_get)
mb_expect_status 0 timeout 60 "$R" even.mbp --server "$S" --rate 10x --loop 3 --json l3.json -q
after=$(mb_mc_stat cmd_get)
python3 - <<'PY' || mb_fail "--loop 3 (above)"
import json
j = json.load(open("l3.json"))
print("loop 3:", j["requests_sent"], "of", j["profile_records"], "x 3;", j["settings"],
      "duration", j["duration_s"])
assert j["profile_records"] == 600
assert j["requests_sent"] == 3 * 600 and j["responses"] == 3 * 600, j["requests_sent"]
assert j["settings"]["loop"] is True and j["settings"]["passes"] == 3
# time keeps advancing: the last request is due 2 spans + 2 mean gaps + 1 span after the
# first: (2 * 3.0 + 2.995) / 10 = 0.8995 s (passes sent back to back would take ~0.3 s)
assert j["duration_s"] > 0.85, j["duration_s"]
PY
[ $((after - before)) -eq 1800 ] || mb_fail "--loop 3: memcached counted $((after - before)) gets, expected 1800"
mb_expect_status 0 timeout 60 "$R" --loop 1 even.mbp --server "$S" --rate 10x --json l1.json -q
[ "$(json l1.json 'j["requests_sent"], j["settings"]["loop"], j["settings"]["passes"]')" = "600 False 1" ] ||
  mb_fail "--loop 1: $(json l1.json 'j["requests_sent"], j["settings"]')"
mb_expect_status 0 timeout 60 "$R" --loop=2 even.mbp --server "$S" --rate 10x --json l2.json -q
[ "$(json l2.json 'j["requests_sent"]')" = 1200 ] || mb_fail "--loop=2: $(json l2.json 'j["requests_sent"]')"
# closed loop: passes are counted the same way
mb_expect_status 0 timeout 60 "$R" even.mbp --server "$S" --rate max --loop 2 --json lm.json -q
[ "$(json lm.json 'j["requests_sent"], j["responses"]')" = "1200 1200" ] ||
  mb_fail "--rate max --loop 2: $(json lm.json 'j["requests_sent"], j["responses"]')"
echo "ok: --loop N"

# 2. --warmup at a known rate: the counts, the series, the server deltas
check_split() { # JSON WARMUP_REQUESTS TOTAL
  python3 - "$@" <<'PY' || mb_fail "--warmup split of $1 (above)"
import json, sys
j = json.load(open(sys.argv[1]))
want_w, total = int(sys.argv[2]), int(sys.argv[3])
w = j["warmup"]
print(f"{sys.argv[1]}: warm-up {w['requests_sent']} (want {want_w} +-1), measured",
      j["requests_sent"], "series", [(p["t"], p["sent"], p.get("warmup", False))
                                     for p in j["timeseries"]])
assert abs(w["requests_sent"] - want_w) <= 1, "warm-up count"
assert w["requests_sent"] + j["requests_sent"] == total, "warm-up + measured != sent"
assert w["responses"] + j["responses"] == total and w["errors"]["total"] == 0
assert sum(p["sent"] for p in j["timeseries"]) == total, "series"
assert w["latency_us"]["corrected"]["count"] == w["responses"]
assert j["latency_us"]["corrected"]["count"] == j["responses"]
assert w["commands"]["get"]["sent"] == w["commands_sent"]
assert j["commands"]["get"]["sent"] == j["commands_sent"]
# the series' warm-up marks: the seconds that begin before the warm-up's end
ws = j["settings"]["warmup_s"]
for p in j["timeseries"]:
    assert p.get("warmup", False) == (p["t"] < ws), p
# the deltas start at the warm-up's end, read then: the requests sent before the reading was
# complete (server_stats_late_s after the end, at target_rate) may land in the warm-up's
# delta; the warm-up's own delta is beside them
ss = j["server_stats"][0]
assert w["server_stats_excluded"] is True
rate = j["target_rate"]
slack = 2 + rate * w["server_stats_late_s"]
print("server deltas: measured", ss["delta"]["cmd_get"], "warm-up", ss["warmup_delta"]["cmd_get"],
      "read", w["server_stats_late_s"] * 1e3, "ms late: slack", slack)
assert 0 <= w["server_stats_late_s"] < 1
assert abs(ss["delta"]["cmd_get"] - j["requests_sent"]) <= slack, ss["delta"]
assert ss["delta"]["cmd_get"] + ss["warmup_delta"]["cmd_get"] == total, ss
PY
}
mb_expect_status 0 "$R" even.mbp --server "$S" --warmup 1s --json w1.json
check_split w1.json 200 600
grep -q '^warm-up (--warmup: the first 1.000 s of the run.*: 200 requests' "$MB_TMP/out" ||
  grep -q '^warm-up (--warmup: the first 1.000 s of the run.*: 199 requests\|: 201 requests' "$MB_TMP/out" ||
  { cat "$MB_TMP/out"; mb_fail "no warm-up section in the text report"; }
grep -q '^requests sent in all: 600 = ' "$MB_TMP/out" || { cat "$MB_TMP/out"; mb_fail "no total line"; }
grep -q 'server stats (after - at the end of the warm-up, read [0-9.]* ms after it):' "$MB_TMP/out" ||
  { cat "$MB_TMP/out"; mb_fail "server stats not said to start at the warm-up's end"; }
grep -q '^\[    1s\] .*| warm-up$' "$MB_TMP/err" || { cat "$MB_TMP/err"; mb_fail "progress line of second 0 not marked"; }
if grep -q '^\[    2s\] .*warm-up' "$MB_TMP/err"; then cat "$MB_TMP/err"; mb_fail "second 1 marked warm-up"; fi
# replay time, after --rate: 500ms at 2x is the profile's first second
mb_expect_status 0 "$R" even.mbp --server "$S" --warmup 500ms --rate 2x --json w2.json -q
check_split w2.json 200 600
# --duration is measured time after the warm-up: 500ms + 1s of an endless loop at 1x
mb_expect_status 0 timeout 60 "$R" even.mbp --server "$S" --warmup 500ms --loop --duration 1s --json w3.json -q
python3 - <<'PY' || mb_fail "--warmup with --duration (above)"
import json
j = json.load(open("w3.json"))
w = j["warmup"]
print("warmup 500ms + duration 1s: warm-up", w["requests_sent"], "measured", j["requests_sent"])
assert abs(w["requests_sent"] - 100) <= 1
assert abs(j["requests_sent"] - 200) <= 1
PY
echo "ok: --warmup counts, series, server deltas, --rate, --duration"

# 3. A slow warm-up is kept out of the measured latency (by intended time)
mb_expect_status 0 "$R" heavy.mbp --server "$S" --warmup 10ms --json h.json -q
python3 - <<'PY' || mb_fail "slow warm-up (above)"
import json
j = json.load(open("h.json"))
w = j["warmup"]
wl, ml = w["latency_us"]["corrected"], j["latency_us"]["corrected"]
print("warm-up", w["requests_sent"], "p50", wl["p50"], "max", wl["max"], "us; measured",
      j["requests_sent"], "p50", ml["p50"], "p90", ml["p90"], "max", ml["max"], "us")
# without --warmup's split the measured figures would be the burst's: 20000 of 20180
# all 20000 burst requests are scheduled at 0 s: the warm-up's, however late they were
# answered, and many were answered after its 10 ms
assert w["requests_sent"] == 20000 and w["responses"] == 20000, w["requests_sent"]
assert j["requests_sent"] == 180 and j["responses"] == 180
assert wl["count"] == 20000 and ml["count"] == 180
assert wl["max"] > 10000, "no burst request was answered after the warm-up's end"

# the burst waits behind --depth 64 on one connection: tens of ms; the measured requests
# (bursts of 30 over 6 connections) a small fraction of that
assert wl["p50"] > 5000, "the burst was not slow: the test shows nothing"
assert ml["p50"] < wl["p50"] / 4, "measured latency includes the warm-up"
PY
echo "ok: slow warm-up out of the measured latency"

# 4. --rate max: split by send time; the parts add up
mb_expect_status 0 timeout 60 "$R" even.mbp --server "$S" --rate max --loop --duration 1s --warmup 500ms --json m.json -q
python3 - <<'PY' || mb_fail "--rate max --warmup (above)"
import json
j = json.load(open("m.json"))
w = j["warmup"]
tot = sum(p["sent"] for p in j["timeseries"])
print("max: warm-up", w["requests_sent"], "measured", j["requests_sent"], "series", tot)
assert w["requests_sent"] > 0 and j["requests_sent"] > 0
assert w["requests_sent"] + j["requests_sent"] == tot
assert w["responses"] + j["responses"] + w["errors"]["total"] + j["errors"]["total"] >= tot - 2
# the measured second lasts about --duration (first measured send to last reply)
assert 0.9 < j["duration_s"] < 1.5, j["duration_s"]
PY
echo "ok: --rate max --warmup"

# 4b. Ctrl-C inside the warm-up: exit 0 (requests were sent), everything in the warm-up object,
# the measured part empty, its duration 0 (not the time since the start)
"$R" even.mbp --server "$S" --warmup 2s --json int.json -q --no-progress 2>int.err &
rp=$!
MB_PIDS+=("$rp")
sleep 1
kill -INT "$rp"
rc=0; wait "$rp" || rc=$?
[ "$rc" -eq 0 ] || { cat int.err; mb_fail "Ctrl-C in the warm-up: exit $rc, expected 0"; }
python3 - <<'PY' || mb_fail "Ctrl-C in the warm-up (above)"
import json
j = json.load(open("int.json"))
print("interrupted in the warm-up:", j["warmup"]["requests_sent"], "warm-up,", j["requests_sent"],
      "measured, duration_s", j["duration_s"], "achieved", j["achieved_rate"])
assert j["interrupted"] and j["warmup"]["requests_sent"] > 0
assert j["requests_sent"] == 0 and j["duration_s"] == 0 and j["achieved_rate"] == 0
PY
echo "ok: Ctrl-C in the warm-up"

# 5. Bad values: exit 2 naming the flag, nothing sent
before=$(mb_mc_stat cmd_get)
for bad in "--loop 0" "--loop -1" "--loop 2.5" "--loop 2x" "--loop=x" "--loop=" "--warmup 0" "--warmup abc" \
           "--warmup -1s" "--warmup"; do
  # shellcheck disable=SC2086
  mb_expect_status 2 "$R" even.mbp --server "$S" $bad
  flag=${bad%%[ =]*}
  grep -q -- "membench replay: $flag" "$MB_TMP/err" || { cat "$MB_TMP/err"; mb_fail "'$bad': $flag not named"; }
done
# a warm-up as long as the whole replay leaves nothing to measure: refused before the run
mb_expect_status 2 "$R" even.mbp --server "$S" --warmup 3s
grep -q -- '--warmup 3.000 s: the replay.s last request is due 2.995 s after its first' "$MB_TMP/err" ||
  { cat "$MB_TMP/err"; mb_fail "--warmup longer than the replay: message"; }
mb_expect_status 2 "$R" even.mbp --server "$S" --warmup 1600ms --rate 2x
[ "$(mb_mc_stat cmd_get)" = "$before" ] || mb_fail "requests were sent despite a bad flag"
echo "ok: bad values"
