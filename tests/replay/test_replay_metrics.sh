# membench-replay --metrics (issue 17), against a real memcached on loopback:
#  1. a paced run (about 6 s; gets, sets, deletes) with --metrics 127.0.0.1:0: the URL
#     printed on stderr; /metrics scraped every 0.3 s while it runs; every scrape passes the
#     strict exposition checker (tests/util/promcheck.py, which also runs python3-prometheus-
#     client's parser); the Content-Type is the 0.0.4 text format; at least three scrapes come
#     while it runs, with the sent counters growing between them; every counter (and every
#     summary's _count and _sum) never goes back; once running is 0 the counters equal the JSON
#     report's totals exactly (requests, commands, responses, bytes and statuses per command,
#     errors by kind, latency counts), its quantiles agree with the JSON percentiles, and the
#     per-server gauges name the server. Other paths answer 404, POST 405.
#  1b. --warmup 2.5s: scrapes inside the warm-up show no request counted; the last_second
#     gauges' warm-up mark follows the second they describe; the final figures are the JSON's
#     measured part, and warm-up + measured = the profile.
#  2. --metrics-linger keeps the final figures up after the report; Ctrl-C ends it, exit 0.
#  3. Ctrl-C in the middle of a run: exit 0, the server is gone afterwards.
#  4. Bind errors exit 2 at once with one line naming --metrics and the address, before any
#     connection to the target: a port in use, an unknown host, a bad port, no port;
#     --metrics-linger without --metrics is a usage error.
#  5. MPI builds (argument ON): under mpirun -np 2, rank r serves at PORT + r, and the two ranks'
#     final counters add up to rank 0's combined JSON report.
source "$MB_SOURCE_DIR/tests/lib.sh"
source "$MB_SOURCE_DIR/tests/util/prom.sh"
R="$MB_BIN/membench-replay"
PY=/usr/bin/python3
cd "$MB_TMP"
command -v curl >/dev/null || mb_skip "curl not installed"
mb_start_memcached
S=127.0.0.1:$MC_PORT

# About 6 s at 4000 req/s over 8 recorded connections: gets (some multigets), sets, deletes.
$PY - <<'PY'
rows = []
n = 24000
for i in range(n):
    t = i // 4000
    k = f"k{(i // 3) % 3000}"
    op = "set" if i % 10 == 0 else "delete" if i % 97 == 0 else "get"
    rows.append(f"{t},{k},{len(k)},{100 + i % 400},{i % 8},{op},0")
open("mix.csv", "w").write("\n".join(rows) + "\n")
PY
mb_expect_status 0 "$MB_BIN/membench-record" twitter:mix.csv -o mix.mbp

# wait_url ERRFILE PID: the metrics URL the replay printed on stderr.
wait_url() {
  local i
  for i in $(seq 1 100); do
    URL=$(grep -o 'http://[^ ]*/metrics' "$1" 2>/dev/null | head -1 || true)
    [ -n "$URL" ] && return 0
    kill -0 "$2" 2>/dev/null || { cat "$1"; mb_fail "membench-replay exited before serving"; }
    sleep 0.05
  done
  cat "$1"; mb_fail "no metrics URL on stderr"
}

# scrape_until_done PREFIX: scrapes $URL every 0.3 s into PREFIX1.txt, PREFIX2.txt, ... until
# every worker finished; sets n to the number of scrapes.
scrape_until_done() {
  local fin tot
  n=0
  while :; do
    n=$((n + 1))
    curl -sS -o "$1$n.txt" "$URL" || mb_fail "scrape $n of $URL failed"
    # the end: every worker finished (running is also 0 before the start, while connecting)
    fin=$(awk '$1=="membench_replay_workers{state=\"finished\"}" {print $2}' "$1$n.txt")
    tot=$(awk '$1=="membench_replay_workers{state=\"total\"}" {print $2}' "$1$n.txt")
    [ "${tot:-0}" -gt 0 ] && [ "$fin" = "$tot" ] && break
    [ "$n" -lt 200 ] || mb_fail "the run did not end within 60 s of scrapes"
    sleep 0.3
  done
}

# ---- 1. scrapes during a run, compared with its JSON ------------------------------------------
"$R" mix.mbp --server "$S" --threads 2 --metrics 127.0.0.1:0 --metrics-linger 60 \
  --json run.json -q --no-progress 2>run.err &
RP=$!
MB_PIDS+=("$RP")
wait_url run.err "$RP"
echo "metrics at $URL"
curl -sS -D h1.txt -o /dev/null "$URL" || mb_fail "scrape of $URL failed"
scrape_until_done s
# the run is over: the report was written before the linger began
for i in $(seq 1 100); do grep -q 'serving the final metrics' run.err && break; sleep 0.05; done
curl -sS -o final.txt "$URL" || mb_fail "the final figures are not served during --metrics-linger"
tr -d '\r' <h1.txt | grep -qi '^Content-Type: text/plain; version=0.0.4' ||
  { cat h1.txt; mb_fail "Content-Type is not the 0.0.4 text format"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "${URL%/metrics}/other")
[ "$code" = 404 ] || mb_fail "/other answered $code, expected 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL")
[ "$code" = 405 ] || mb_fail "POST answered $code, expected 405"
files=$(seq -f 's%g.txt' 1 "$n" | tr '\n' ' ')
# shellcheck disable=SC2086
prom_check membench_replay_ scrapes.json $files final.txt
kill -INT "$RP"
rc=0; wait "$RP" || rc=$?
[ "$rc" -eq 0 ] || { cat run.err; mb_fail "replay exited $rc after Ctrl-C in the linger"; }
$PY - "$S" <<'PY' || mb_fail "metrics against the JSON report (above)"
import json, sys
scrapes = json.load(open("scrapes.json"))
j = json.load(open("run.json"))
server = sys.argv[1]
ok = True
def fail(msg):
    global ok
    print("FAIL:", msg)
    ok = False
def total(s, name):
    return sum(v for k, v in s.items() if k == name or k.startswith(name + "{"))
running = [s for s in scrapes if s.get("membench_replay_running") == 1]
sent = [total(s, "membench_replay_requests_sent_total") for s in running]
print("scrapes:", len(scrapes), "while running:", len(running), "requests sent then:", sent)
if len(running) < 3:
    fail("fewer than 3 scrapes while the replay ran")
if len(set(v for v in sent if v > 0)) < 2:
    fail("the sent counter did not grow between scrapes during the run")
# monotonic: every counter, and every summary's _count and _sum, across all scrapes
for a, b in zip(scrapes, scrapes[1:]):
    for k, v in a.items():
        mono = k.split("{")[0].endswith(("_total", "_count", "_sum", "_bucket"))
        if mono and b.get(k, -1) < v:
            fail(f"{k} went back from {v} to {b.get(k)}")
f = scrapes[-1]
# the scrape that saw every worker finished and the one during --metrics-linger: same counters
for k in set(f) | set(scrapes[-2]):
    if k.split("{")[0].endswith(("_total", "_count", "_sum")) and f.get(k) != scrapes[-2].get(k):
        fail(f"{k} changed after every worker finished: {scrapes[-2].get(k)} -> {f.get(k)}")
if f.get("membench_replay_running") != 0:
    fail("running is not 0 after the run")
def eq(what, got, want):
    if got != want:
        fail(f"{what}: metrics {got}, JSON {want}")
eq("requests_sent", total(f, "membench_replay_requests_sent_total"), j["requests_sent"])
eq("commands_sent", total(f, "membench_replay_commands_sent_total"), j["commands_sent"])
eq("responses", total(f, "membench_replay_responses_total"), j["responses"])
eq("bytes_sent", f["membench_replay_bytes_sent_total"], j["bytes_sent"])
eq("bytes_received", f["membench_replay_bytes_received_total"], j["bytes_received"])
if not j["commands"]["get"]["status"].get("hit") or not j["commands"]["get"]["bytes_received"]:
    fail("no get hit with a value: the run does not exercise the value byte counters")
eq("noreply", f["membench_replay_noreply_sent_total"], j["noreply_sent"])
eq("stalls", f["membench_replay_stalls_total"], j["stalls"])
eq("reconnects", f["membench_replay_reconnects_total"], j["reconnects"])
eq("skipped_late", f["membench_replay_skipped_late_total"], j["skipped_late"])
for kind, v in j["errors"].items():
    if kind != "total":
        eq(f"errors {kind}", f[f'membench_replay_errors_total{{kind="{kind}"}}'], v)
eq("latency count", f["membench_replay_latency_seconds_count"], j["latency_us"]["corrected"]["count"])
eq("service latency count", f["membench_replay_service_latency_seconds_count"],
   j["latency_us"]["uncorrected"]["count"])
eq("lag count", f["membench_replay_schedule_lag_seconds_count"], j["schedule_lag_us"]["count"])
for q, p in (("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99"), ("0.999", "p999")):
    got = f[f'membench_replay_latency_seconds{{quantile="{q}"}}'] * 1e6
    want = j["latency_us"]["corrected"][p]
    if abs(got - want) > 0.002 + 1e-9 * want:
        fail(f"latency {p}: metrics {got} us, JSON {want} us")
# the histogram: its count is the latency count, and the median lies in the bucket the JSON's
# p50 says (bounds placed to within the histogram's 0.1%)
h = "membench_replay_latency_histogram_seconds"
eq("histogram count", f[h + "_count"], j["latency_us"]["corrected"]["count"])
p50 = j["latency_us"]["corrected"]["p50"] * 1e-6
cum = {}
for k, v in f.items():
    if k.startswith(h + "_bucket{"):
        cum[float(k.split('le="')[1].split('"')[0].replace("+Inf", "inf"))] = v
les = sorted(cum)
half = f[h + "_count"] / 2
above = [le for le in les if le >= p50 * 1.001]
below = [le for le in les if le < p50 * 0.999]
if above and cum[above[0]] < half:
    fail(f"histogram: {cum[above[0]]} values <= {above[0]} s, but the p50 is {p50} s")
if below and cum[below[-1]] > half:
    fail(f"histogram: {cum[below[-1]]} values <= {below[-1]} s, but the p50 is {p50} s")
if len(j["commands"]) < 3:
    fail(f"expected get, set and delete in the run, got {list(j['commands'])}")
for op, c in j["commands"].items():
    lb = f'{{op="{op}"}}'
    eq(f"{op} sent", f["membench_replay_commands_sent_total" + lb], c["sent"])
    eq(f"{op} keys", f["membench_replay_requests_sent_total" + lb], c["keys"])
    eq(f"{op} responses", f["membench_replay_responses_total" + lb], c["responses"])
    eq(f"{op} bytes_sent", f["membench_replay_command_bytes_sent_total" + lb], c["bytes_sent"])
    eq(f"{op} bytes_received", f["membench_replay_command_value_bytes_received_total" + lb],
       c["bytes_received"])
    eq(f"{op} latency count", f["membench_replay_command_latency_seconds_count" + lb],
       c["latency_us"]["corrected"]["count"])
    eq(f"{op} histogram count", f["membench_replay_command_latency_histogram_seconds_count" + lb],
       c["latency_us"]["corrected"]["count"])
    for st, v in c["status"].items():
        eq(f"{op} {st}", f[f'membench_replay_statuses_total{{op="{op}",status="{st}"}}'], v)
if j["requests_sent"] != 24000:
    fail(f"the run sent {j['requests_sent']} requests, expected 24000")
# gauges: the target rate is the profile's; the server is named; nothing in flight at the end
eq("target rate", round(f["membench_replay_target_rate_requests_per_second"]), round(j["target_rate"]))
if f.get(f'membench_replay_server_connections{{server="{server}"}}') is None:
    fail(f"no membench_replay_server_connections for {server}")
if not any(s.get(f'membench_replay_server_connections{{server="{server}"}}', 0) > 0 for s in running):
    fail("no scrape while running saw a connection up")
eq("in flight at the end", f["membench_replay_in_flight"], 0)
if not any(s.get("membench_replay_achieved_rate_requests_per_second", 0) > 1000 for s in running):
    fail("no scrape while running showed an achieved rate above 1000 req/s")
sys.exit(0 if ok else 1)
PY
echo "ok: $n scrapes during the run, monotonic, final figures equal to the JSON report"

# ---- 1b. --warmup: the counters are the measured part's (docs/metrics.md) ----------------------
# 6 s with --warmup 2.5s: the workers publish on their 1 s and 2 s ticks inside the warm-up, so a
# warm-up counted by mistake shows in the scrapes taken before 2.5 s
"$R" mix.mbp --server "$S" --warmup 2.5s --metrics 127.0.0.1:0 --metrics-linger 60 \
  --json wu.json -q --no-progress 2>wu.err &
RP=$!
MB_PIDS+=("$RP")
wait_url wu.err "$RP"
scrape_until_done w
files=$(seq -f 'w%g.txt' 1 "$n" | tr '\n' ' ')
# shellcheck disable=SC2086
prom_check membench_replay_ wscrapes.json $files
kill -INT "$RP"
rc=0; wait "$RP" || rc=$?
[ "$rc" -eq 0 ] || { cat wu.err; mb_fail "--warmup replay exited $rc after Ctrl-C in the linger"; }
$PY - <<'PY' || mb_fail "--warmup metrics (above)"
import json, sys
scrapes = json.load(open("wscrapes.json"))
j = json.load(open("wu.json"))
def total(s, name):
    return sum(v for k, v in s.items() if k == name or k.startswith(name + "{"))
ok = True
early = [s for s in scrapes if s.get("membench_replay_running") == 1
         and s.get("membench_replay_elapsed_seconds", 9) < 2.4]
late = [s for s in scrapes if "membench_replay_last_second_start_seconds" in s]
print("scrapes:", len(scrapes), "in the warm-up:", len(early))
if len(early) < 3:
    print("FAIL: fewer than 3 scrapes in the warm-up"); ok = False
for s in early:
    for name in ("membench_replay_requests_sent_total", "membench_replay_responses_total",
                 "membench_replay_latency_seconds_count", "membench_replay_bytes_sent_total"):
        if total(s, name):
            print(f"FAIL: {name} {total(s, name)} at {s['membench_replay_elapsed_seconds']} s, "
                  "inside the warm-up"); ok = False
for s in late:
    sec = s["membench_replay_last_second_start_seconds"]
    want = 1 if sec < 2.5 else 0
    if s.get("membench_replay_last_second_warmup") != want:
        print(f"FAIL: last_second_warmup {s.get('membench_replay_last_second_warmup')} for second {sec}"); ok = False
if not any(s.get("membench_replay_last_second_warmup") == 1 for s in late):
    print("FAIL: no scrape described a warm-up second"); ok = False
f = scrapes[-1]
for name, want in (("membench_replay_requests_sent_total", j["requests_sent"]),
                   ("membench_replay_responses_total", j["responses"]),
                   ("membench_replay_latency_seconds_count", j["latency_us"]["corrected"]["count"])):
    if total(f, name) != want:
        print(f"FAIL: final {name} {total(f, name)}, JSON (measured part) {want}"); ok = False
if j["warmup"]["requests_sent"] + j["requests_sent"] != 24000 or not j["warmup"]["requests_sent"]:
    print(f"FAIL: warm-up {j['warmup']['requests_sent']} + measured {j['requests_sent']} != 24000"); ok = False
sys.exit(0 if ok else 1)
PY
echo "ok: --warmup: nothing counted in the warm-up, final figures those of the measured part"

# ---- 2/3. Ctrl-C in the middle of a run --------------------------------------------------------
"$R" mix.mbp --server "$S" --metrics 127.0.0.1:0 -q --no-progress 2>int.err &
RP=$!
MB_PIDS+=("$RP")
wait_url int.err "$RP"
sleep 1.5
curl -sfS -o mid.txt "$URL" || mb_fail "scrape mid-run failed"
grep -qx 'membench_replay_running 1' mid.txt || mb_fail "not running at 1.5 s"
kill -INT "$RP"
rc=0; wait "$RP" || rc=$?
[ "$rc" -eq 0 ] || { cat int.err; mb_fail "Ctrl-C mid-run exited $rc, expected 0"; }
if curl -s -o /dev/null "$URL"; then mb_fail "the metrics server still answers after exit"; fi
echo "ok: Ctrl-C mid-run exits 0 and the server is gone"

# ---- 4. bind errors: exit 2, one line naming the flag and the address, before the target -------
conns_before=$(mb_mc_stat total_connections)
$PY -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >busy.port &
BUSY=$!
MB_PIDS+=("$BUSY")
for i in $(seq 1 100); do [ -s busy.port ] && break; sleep 0.05; done
busy=$(cat busy.port)
check_bind() { # ADDR PATTERN
  mb_expect_status 2 "$R" mix.mbp --server "$S" --metrics "$1" -q
  [ "$(wc -l <"$MB_TMP/err")" -eq 1 ] || { cat "$MB_TMP/err"; mb_fail "--metrics $1: more than one line"; }
  grep -q -- "--metrics $1: .*$2" "$MB_TMP/err" ||
    { cat "$MB_TMP/err"; mb_fail "--metrics $1: message does not name the flag, address and '$2'"; }
  echo "ok: --metrics $1: $(cat "$MB_TMP/err")"
}
check_bind "127.0.0.1:$busy" "Address already in use"
check_bind "nohost.invalid:9100" "cannot resolve"
check_bind "127.0.0.1:70000" "bad port"
check_bind "9100" "expected ADDR:PORT"
check_bind "192.0.2.1:9100" "Cannot assign requested address"
conns_after=$(mb_mc_stat total_connections)
# the two stats reads are the only connections in between
[ $((conns_after - conns_before)) -eq 1 ] ||
  mb_fail "the target saw $((conns_after - conns_before - 1)) connections from failed --metrics runs"
mb_expect_status 2 "$R" mix.mbp --server "$S" --metrics-linger 5s -q
grep -q -- "--metrics-linger needs --metrics" "$MB_TMP/err" || mb_fail "--metrics-linger alone accepted"
"$R" --help >help.txt # (a file, not a pipe: grep -q would leave the rest to SIGPIPE)
grep -q -- "--metrics ADDR:PORT" help.txt || mb_fail "--metrics missing from --help"
echo "ok: bind errors"

# ---- 5. under mpirun (MPI build only): rank r serves its share at PORT + r; the ranks' final
#         counters add up to the combined JSON report of rank 0 --------------------------------
if [ "${1:-OFF}" != ON ] || ! command -v mpirun >/dev/null; then
  echo "skip: mpirun part (not an MPI build, or no mpirun)"
  exit 0
fi
export OMPI_MCA_btl_vader_single_copy_mechanism=none
P=$($PY -c '
import socket
for _ in range(50):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass
')
# leak checking off under mpirun, as in test_replay_mpi.sh (Open MPI's own allocations)
env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 \
  "$R" mix.mbp --server "$S" --metrics "127.0.0.1:$P" --metrics-linger 5s --json mpi.json -q \
  --no-progress >mpi.out 2>mpi.err &
MP=$!
MB_PIDS+=("$MP")
for r in 0 1; do
  for i in $(seq 1 200); do
    grep -q "metrics at http://127.0.0.1:$((P + r))/metrics" mpi.err && break
    kill -0 "$MP" 2>/dev/null || { cat mpi.err; mb_fail "mpirun exited early"; }
    sleep 0.05
  done
done
for i in $(seq 1 100); do [ "$(grep -c 'serving the final metrics' mpi.err)" -ge 2 ] && break; sleep 0.3; done
[ "$(grep -c 'serving the final metrics' mpi.err)" -ge 2 ] || { cat mpi.err; mb_fail "the ranks did not reach the linger"; }
for r in 0 1; do curl -sS -o "rank$r.txt" "http://127.0.0.1:$((P + r))/metrics" || mb_fail "rank $r not served"; done
# (no Ctrl-C here: mpirun exits 1 after one, docs/distributed.md; the linger ends by itself)
rc=0; wait "$MP" || rc=$?
[ "$rc" -eq 0 ] || { cat mpi.err; mb_fail "mpirun exited $rc"; }
prom_check membench_replay_ ranks.json rank0.txt rank1.txt
$PY - <<'PY' || mb_fail "ranks' metrics against the combined report"
import json
r0, r1 = json.load(open("ranks.json"))
j = json.load(open("mpi.json"))
def total(s, name):
    return sum(v for k, v in s.items() if k == name or k.startswith(name + "{"))
for name, field in (("membench_replay_requests_sent_total", "requests_sent"),
                    ("membench_replay_responses_total", "responses"),
                    ("membench_replay_latency_seconds_count", None)):
    want = j[field] if field else j["latency_us"]["corrected"]["count"]
    a, b = total(r0, name), total(r1, name)
    print(f"{name}: rank 0 {a} + rank 1 {b}, report {want}")
    if a + b != want or not a or not b:
        raise SystemExit("FAIL: the ranks' shares do not add up to the report")
PY
echo "ok: under mpirun each rank serves its share, and the shares add up"
