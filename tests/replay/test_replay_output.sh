# membench-replay's output (issue 16), against a real memcached on loopback:
#  - the JSON time series has one entry per second from 0 to the end and its counts sum to the
#    totals; each second holds the requests sent in it (bursts recorded at 0 s, 1 s and 2 s
#    land in seconds 0, 1 and 2; the old tick-driven series put a burst sent just after a
#    boundary, before the tick fired, in the second before, or folded the last second into
#    the next);
#  - the per-second progress line is printed when stderr is not a terminal (a file here),
#    every --interval, and not at all with --no-progress;
#  - an unwritable --json path fails at once with exit 1 naming it, before any request is sent;
#  - closed loop (--rate max): no "stalls" (0; it was most requests), one latency row per command (corrected
#    and uncorrected are the same figures there);
#  - ops/s and KB/s per command in the text and JSON reports.
source "$MB_SOURCE_DIR/tests/lib.sh"
R="$MB_BIN/membench-replay"
cd "$MB_TMP"
mb_start_memcached
S=127.0.0.1:$MC_PORT

# Bursts: 1000 requests recorded at 0 s, 1000 at 1 s, 500 at 2 s (90% get, 10% set).
python3 - <<'PY'
rows = []
for sec, n in ((0, 1000), (1, 1000), (2, 500)):
    for i in range(n):
        rows.append(f"{sec},k{i % 200},4,100,{i % 4},{'set' if i % 10 == 0 else 'get'},0")
open("burst.csv", "w").write("\n".join(rows) + "\n")
PY
mb_expect_status 0 "$MB_BIN/membench-record" twitter:burst.csv --spread burst -o burst.mbp

# check_series JSON EXPECTED: one entry per second from 0, sums equal to the totals, and (when
# EXPECTED is given, "1000,1000,500") the sends of each second.
check_series() {
  python3 - "$1" "$2" <<'PY' || mb_fail "time series of $1 (above)"
import json, sys
j = json.load(open(sys.argv[1]))
s = j["timeseries"]
ts = [p["t"] for p in s]
print("series t:", ts, "sent:", [p["sent"] for p in s])
ok = ts == list(range(len(s))) and len(s) > 0
for k, total in (("sent", j["requests_sent"]), ("responses", j["responses"]),
                 ("errors", j["errors"]["total"])):
    got = sum(p[k] for p in s)
    if got != total:
        print(f"sum of {k} {got} != total {total}")
        ok = False
for op, c in j["commands"].items():
    got = sum(p.get("commands", {}).get(op, {}).get("sent", 0) for p in s)
    if got != c["sent"]:
        print(f"sum of {op} sent {got} != {c['sent']}")
        ok = False
if sys.argv[2]:
    want = [int(x) for x in sys.argv[2].split(",")]
    if [p["sent"] for p in s][:len(want)] != want or any(p["sent"] for p in s[len(want):]):
        print("expected sends per second", want)
        ok = False
sys.exit(0 if ok else 1)
PY
}

# 1. The series, three runs (the old series was wrong in about half of the runs).
for run in 1 2 3; do
  mb_expect_status 0 "$R" burst.mbp --server "$S" --json "s$run.json" -q
  check_series "s$run.json" 1000,1000,500
  # the progress line: stderr is a file here, one line per second of the run
  n=$(grep -c '^\[ *[0-9]*s\] sent [0-9]*/[0-9]* req/s | get [0-9]* ops/s [0-9.]* KB/s set' "$MB_TMP/err" || true)
  [ "$n" -ge 3 ] || { cat "$MB_TMP/err"; mb_fail "expected a progress line per second on stderr, got $n"; }
  grep -q 'p99 [0-9]* us | errors 0 | lag p99 [0-9]* us' "$MB_TMP/err" ||
    { cat "$MB_TMP/err"; mb_fail "progress line without p99/errors/lag"; }
done
echo "ok: series per second, progress lines"

# 2. --interval 2s: one line per two seconds (the 3 s run: at 2 s, and the rest at the end);
#    --no-progress: none. Closed loop, several threads: the series still sums to the totals.
mb_expect_status 0 "$R" burst.mbp --server "$S" --interval 2s -q
n=$(grep -c '^\[' "$MB_TMP/err" || true)
[ "$n" -eq 2 ] || { cat "$MB_TMP/err"; mb_fail "--interval 2s: expected 2 lines, got $n"; }
mb_expect_status 0 "$R" burst.mbp --server "$S" --no-progress -q
[ ! -s "$MB_TMP/err" ] || { cat "$MB_TMP/err"; mb_fail "--no-progress printed something"; }
mb_expect_status 2 "$R" burst.mbp --server "$S" --interval 1500ms
grep -q -- '--interval 1500ms' "$MB_TMP/err" || mb_fail "bad --interval not named"
echo "ok: --interval, --no-progress"

# 3. Closed loop: stalls are not counted (0), one latency row per command, the series
#    adds up; per-command rates in text and JSON.
mb_expect_status 0 "$R" burst.mbp --server "$S" --rate max --threads 2 --json max.json
check_series max.json ""
python3 - <<'PY' || mb_fail "closed-loop JSON"
import json
j = json.load(open("max.json"))
assert j["stalls"] == 0, j["stalls"]
g = j["commands"]["get"]
assert g["ops_per_s"] > 0 and g["kb_per_s"] > 0 and g["bytes_sent"] > 0, g
PY
if grep -q uncorrected "$MB_TMP/out"; then cat "$MB_TMP/out"; mb_fail "closed loop printed uncorrected rows"; fi
grep -q '^get: 2250 sent ([0-9.]* ops/s, [0-9.]* KB/s)' "$MB_TMP/out" ||
  { cat "$MB_TMP/out"; mb_fail "no ops/s and KB/s per command in the text report"; }
# open loop: a burst of 1000 on 4 connections at --depth 64 does stall
mb_expect_status 0 "$R" burst.mbp --server "$S" --json open.json -q
python3 -c 'import json; j = json.load(open("open.json")); assert j["stalls"] > 0, j["stalls"]' ||
  mb_fail "open loop: no stalls counted for a burst beyond --depth"
echo "ok: closed loop report, per-command rates"

# 4. An unwritable --json fails before the run (exit 1, the path named, nothing sent).
before=$(mb_mc_stat cmd_get)
for bad in "$MB_TMP/no/such/dir/r.json" "$MB_TMP"; do
  start=$(date +%s%N)
  mb_expect_status 1 "$R" burst.mbp --server "$S" --json "$bad"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  grep -q -- "--json $bad: cannot write" "$MB_TMP/err" || { cat "$MB_TMP/err"; mb_fail "path not named"; }
  [ "$ms" -lt 1500 ] || mb_fail "--json $bad failed after $ms ms: the run went first"
  [ ! -s "$MB_TMP/out" ] || mb_fail "a report was printed"
done
[ "$(mb_mc_stat cmd_get)" = "$before" ] || mb_fail "requests were sent before the --json check"
# a writable path that does not exist yet is not left behind by the check when the run fails
mb_expect_status 3 "$R" /dev/null --server "$S" --json fresh.json
[ ! -e fresh.json ] || mb_fail "the --json check left fresh.json behind"
echo "ok: --json checked first"
