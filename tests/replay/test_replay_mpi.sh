#!/usr/bin/env bash
# Distributed replay (issue 10): membench-replay under `mpirun -np 2` and `-np 3` on this machine.
#
# Usage: test_replay_mpi.sh ON|OFF   (whether the build has -DMEMBENCH_MPI=ON; OFF skips, exit 77)
#
# 1. Loopback: one memcached; a single-process replay, then -np 2, -np 3 and -np 2 --fold key of
#    the same profile. Exact checks: requests sent by all ranks = the profile's commands; per
#    command sent/keys/responses = the single-process run's; per-rank sums (requests, responses,
#    histogram counts) = the merged figures; memcached's stat deltas = the report's counts; the
#    merged per-second series sums to the totals. Percentiles: merged p50 within a factor of 5
#    (+500 us) of the single-process run: the histogram's own error is 0.1 % (3 significant
#    digits), everything beyond that is run-to-run latency noise of 1-3 processes sharing two
#    cores with memcached under sanitizers, so only the order of magnitude can be asserted.
# 2. Network namespaces: memcached in its own namespace behind a bridge on 10.213.77.0/24 (exists
#    only inside these namespaces), ranks in two client namespaces via `ip netns exec` (MPMD
#    app contexts), so the replay traffic crosses veth links. Then a rank in a namespace without
#    a route to the server: the run must stop (exit 5) with a message naming that rank and host,
#    within a time limit (no hang).
# 1b. --warmup over 2 ranks: the same warm-up/measured split as one process, merged.
source "$(dirname "$0")/../lib.sh"

[ "${1:-OFF}" = ON ] || mb_skip "built without -DMEMBENCH_MPI=ON"
command -v mpirun >/dev/null || mb_skip "mpirun not installed (openmpi-bin)"
command -v python3 >/dev/null || mb_skip "python3 not installed"
RP=$MB_BIN/membench-replay
MK=$MB_BIN/bench-replay-mkprofile
[ -x "$MK" ] || mb_fail "$MK not built"
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
# ASan builds: Open MPI's components (dlopen'ed, dlclose'd at MPI_Finalize) leave allocations
# that LeakSanitizer reports from an "<unknown module>", which no suppression can name; leak
# checking is therefore off for processes under mpirun (the single-process runs keep it, and
# every other replay test covers the same engine with it on). ASan/UBSan errors still fail.
MPIRUN=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "${MPIRUN[@]}")
export OMPI_MCA_btl_vader_single_copy_mechanism=none  # no CMA/ptrace between namespaces

"$MK" "$MB_TMP/p.mbp" 6000 3000 7 80 2000 64 >/dev/null
mb_start_memcached
SRV=127.0.0.1:$MC_PORT

stat_snapshot() { # -> "cmd_get get_hits get_misses cmd_set"
  printf 'stats\r\nquit\r\n' | timeout 5 nc -q1 "$1" "$2" |
    awk '$2=="cmd_get"{g=$3} $2=="get_hits"{h=$3} $2=="get_misses"{m=$3} $2=="cmd_set"{s=$3}
         END{printf "%d %d %d %d\n", g, h, m, s}' | tr -d '\r'
}

# run NAME [mpirun args...] -- [replay args]: one replay, JSON in $MB_TMP/NAME.json, memcached's
# stat deltas in $MB_TMP/NAME.stats
run() {
  local name=$1; shift
  local pre=() ; while [ "$1" != -- ]; do pre+=("$1"); shift; done; shift
  local b a
  b=$(stat_snapshot 127.0.0.1 "$MC_PORT")
  timeout 120 "${pre[@]}" "$RP" "$MB_TMP/p.mbp" --server "$SRV" --rate 2x -q \
    --json "$MB_TMP/$name.json" "$@" >"$MB_TMP/$name.out" 2>&1 ||
    { cat "$MB_TMP/$name.out"; mb_fail "$name: replay failed"; }
  a=$(stat_snapshot 127.0.0.1 "$MC_PORT")
  echo "$b $a" >"$MB_TMP/$name.stats"
}

run single --
run np2 "${MPIRUN[@]}" -np 2 --
run np3 "${MPIRUN[@]}" -np 3 --
run np2key "${MPIRUN[@]}" -np 2 -- --fold key --connections 6
run single_key -- --fold key --connections 6

python3 - "$MB_TMP" <<'PY'
import json, sys
d = sys.argv[1]
def load(n):
    j = json.load(open(f"{d}/{n}.json"))
    st = [int(x) for x in open(f"{d}/{n}.stats").read().split()]
    return j, st
def fail(m):
    print("FAIL:", m); sys.exit(1)
single, _ = load("single")
for name, ref, nranks in (("np2", "single", 2), ("np3", "single", 3), ("np2key", "single_key", 2)):
    j, st = load(name)
    r, _ = load(ref)
    if j["requests_sent"] != j["profile_commands"] or j["requests_sent"] != 6000:
        fail(f"{name}: sent {j['requests_sent']} of the profile's {j['profile_commands']}")
    if j["errors"]["total"] != 0 or j["responses"] != 6000:
        fail(f"{name}: errors {j['errors']} responses {j['responses']}")
    ranks = j.get("ranks")
    if not ranks or len(ranks) != nranks:
        fail(f"{name}: expected {nranks} ranks, got {ranks}")
    for f, tot in (("requests_sent", j["requests_sent"]), ("responses", j["responses"]),
                   ("latency_count", j["latency_us"]["corrected"]["count"])):
        if sum(k[f] for k in ranks) != tot:
            fail(f"{name}: per-rank {f} sum {sum(k[f] for k in ranks)} != merged {tot}")
    # one start: every rank's t0 within the 20 ms start delay of rank 0's (on rank 0's clock)
    if any(abs(k["start_skew_us"]) >= 20000 for k in ranks):
        fail(f"{name}: ranks' t0 apart by 20 ms or more: {[k['start_skew_us'] for k in ranks]}")
    if any(k["requests_sent"] == 0 for k in ranks):
        fail(f"{name}: a rank sent nothing: {ranks}")
    for op, c in r["commands"].items():
        m = j["commands"].get(op)
        if not m or any(m[f] != c[f] for f in ("sent", "keys", "responses")):
            fail(f"{name}: {op} {m} != single-process {c}")
        if sum(m["status"].values()) != m["keys"]:
            fail(f"{name}: {op} statuses {m['status']} do not add up to {m['keys']} keys")
        if m["latency_us"]["corrected"]["count"] != m["responses"]:
            fail(f"{name}: {op} histogram count != responses")
    # memcached's own deltas agree with the merged report
    b, a = st[:4], st[4:]
    g, h, mi, s = (a[i] - b[i] for i in range(4))
    get, set_ = j["commands"]["get"], j["commands"]["set"]
    hits = get["status"].get("hit", 0); miss = get["status"].get("miss", 0)
    if (g, h, mi, s) != (get["keys"], hits, miss, set_["sent"]):
        fail(f"{name}: memcached deltas get/hit/miss/set {(g, h, mi, s)} != report "
             f"{(get['keys'], hits, miss, set_['sent'])}")
    if j["server_stats"][0]["delta"]["cmd_get"] != g or j["server_stats"][0]["delta"]["cmd_set"] != s:
        fail(f"{name}: server_stats delta {j['server_stats'][0]['delta']} != {(g, s)}")
    ts = j["timeseries"]
    if sum(p["sent"] for p in ts) != j["requests_sent"] or len({p["t"] for p in ts}) != len(ts):
        fail(f"{name}: the per-second series does not add up: {ts}")
    p50, rp50 = j["latency_us"]["corrected"]["p50"], r["latency_us"]["corrected"]["p50"]
    if not (p50 <= 5 * rp50 + 500 and rp50 <= 5 * p50 + 500):
        fail(f"{name}: merged p50 {p50} us vs single-process {rp50} us")
    print(f"{name}: ok ({nranks} ranks, sent per rank {[k['requests_sent'] for k in ranks]}, "
          f"p50 {p50} vs {rp50} us, offsets {[k['clock_offset_us'] for k in ranks]} us, "
          f"t0 skew {[k['start_skew_us'] for k in ranks]} us)")
PY
[ $? -eq 0 ] || exit 1

# more ranks than lanes: a 2-connection profile over 3 ranks; the third idles and reports 0
"$MK" "$MB_TMP/few.mbp" 1000 2000 2 >/dev/null
timeout 120 "${MPIRUN[@]}" -np 3 "$RP" "$MB_TMP/few.mbp" --server "$SRV" -q --json "$MB_TMP/few.json" \
  >"$MB_TMP/few.out" 2>&1 || { cat "$MB_TMP/few.out"; mb_fail "3 ranks over 2 lanes failed"; }
python3 - "$MB_TMP/few.json" <<'PY' || exit 1
import json, sys
j = json.load(open(sys.argv[1]))
sent = [k["requests_sent"] for k in j["ranks"]]
assert j["requests_sent"] == 1000 and sent[2] == 0 and sum(sent) == 1000, sent
print("more ranks than lanes: ok", sent)
PY

# --warmup over 2 ranks (issue 17): each rank splits by intended time from its own t0, so the
# split is the single process's exactly (500 ms at 2x = the profile's first second = 3000
# requests), and the warm-up blocks are merged like the measured ones
run wu_single -- --warmup 500ms
run wu_np2 "${MPIRUN[@]}" -np 2 -- --warmup 500ms
python3 - "$MB_TMP" <<'PY' || exit 1
import json, sys
d = sys.argv[1]
s, m = (json.load(open(f"{d}/{n}.json")) for n in ("wu_single", "wu_np2"))
for name, j in (("single", s), ("np2", m)):
    w = j["warmup"]
    print(f"--warmup {name}: warm-up {w['requests_sent']}, measured {j['requests_sent']}")
    assert abs(w["requests_sent"] - 3000) <= 1, w["requests_sent"]
    assert w["requests_sent"] + j["requests_sent"] == 6000
    assert w["responses"] + j["responses"] == 6000 and w["errors"]["total"] == 0
    assert w["latency_us"]["corrected"]["count"] == w["responses"]
    assert sum(p["sent"] for p in j["timeseries"]) == 6000
assert m["warmup"]["requests_sent"] == s["warmup"]["requests_sent"]
for op, c in s["warmup"]["commands"].items():
    assert m["warmup"]["commands"][op]["sent"] == c["sent"], (op, c, m["warmup"]["commands"])
assert sum(k["requests_sent"] for k in m["ranks"]) == m["requests_sent"]
print("--warmup over 2 ranks: ok")
PY

# ---- 2. ranks in network namespaces ---------------------------------------------------------
# Namespaces: srv (memcached at 10.213.77.1, mpirun at 10.213.77.1/.2 on bridge br0), c1, c2, c3
# (clients 10.213.77.11-13 on veth links into the bridge). mpirun runs in srv and starts its
# daemons in the client namespaces through netns-agent.sh (an ssh stand-in: `-H c1,c2` are
# "hosts" with their own network stack and host name). c3 has an `unreachable` route to
# 10.213.77.1: it reaches mpirun (10.213.77.2) but not memcached.
[ "$(id -u)" -eq 0 ] || { echo "network-namespace part skipped: needs root"; exit 0; }
command -v ip >/dev/null && command -v unshare >/dev/null ||
  { echo "network-namespace part skipped: no ip(8)/unshare(1)"; exit 0; }
NS=mbmpi$$
NSS=("$NS-srv" "$NS-c1" "$NS-c2" "$NS-c3")
ns_cleanup() {
  local n p
  for n in "${NSS[@]}"; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  done
  sleep 0.2
  for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  mb_cleanup
}
trap ns_cleanup EXIT
for n in "${NSS[@]}"; do ip netns add "$n" || mb_skip "cannot create network namespaces"; done
ip -n "$NS-srv" link add br0 type bridge || mb_skip "no bridge support"
ip -n "$NS-srv" addr add 10.213.77.1/24 dev br0
ip -n "$NS-srv" addr add 10.213.77.2/24 dev br0
ip -n "$NS-srv" link set br0 up
ip -n "$NS-srv" link set lo up
for i in 1 2 3; do
  ip link add "$NS-v$i" type veth peer name "$NS-p$i"
  ip link set "$NS-v$i" netns "$NS-c$i"
  ip link set "$NS-p$i" netns "$NS-srv"
  ip -n "$NS-srv" link set "$NS-p$i" master br0 up
  ip -n "$NS-c$i" link set lo up
  ip -n "$NS-c$i" addr add "10.213.77.1$i/24" dev "$NS-v$i"
  ip -n "$NS-c$i" link set "$NS-v$i" up
done
ip -n "$NS-c3" route add unreachable 10.213.77.1/32
ip netns exec "$NS-srv" memcached -l 10.213.77.1 -p 11211 -U 0 -u nobody &
MB_PIDS+=($!)
for i in $(seq 1 200); do
  ip netns exec "$NS-c1" bash -c 'exec 3<>/dev/tcp/10.213.77.1/11211' 2>/dev/null && break
  sleep 0.02
done
NSRV=10.213.77.1:11211
AGENT=$MB_SOURCE_DIR/tests/replay/netns-agent.sh
# nsrun NAME HOSTS NP [replay args]: prints mpirun's exit status
nsrun() {
  local name=$1 hosts=$2 np=$3; shift 3
  local rc=0
  timeout 120 ip netns exec "$NS-srv" env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    mpirun --allow-run-as-root --oversubscribe --bind-to none --mca plm_rsh_agent "$AGENT" \
    -x ASAN_OPTIONS -x UBSAN_OPTIONS -H "$hosts" -np "$np" \
    "$RP" "$MB_TMP/p.mbp" --server "$NSRV" -q --json "$MB_TMP/$name.json" "$@" \
    >"$MB_TMP/$name.out" 2>&1 || rc=$?
  echo $rc
}
snap() { ip netns exec "$NS-c1" bash -c "$(declare -f stat_snapshot); stat_snapshot 10.213.77.1 11211"; }
b=$(snap)
rc=$(nsrun netns "$NS-c1:2,$NS-c2:1" 3 --rate 2x)
[ "$rc" -eq 0 ] || { cat "$MB_TMP/netns.out"; mb_fail "replay across namespaces exited $rc"; }
a=$(snap)
python3 - "$MB_TMP/netns.json" "$b" "$a" "$NS" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
b = [int(x) for x in sys.argv[2].split()]; a = [int(x) for x in sys.argv[3].split()]
ns = sys.argv[4]
ranks = j["ranks"]
assert len(ranks) == 3, ranks
assert [k["host"] for k in ranks] == [ns + "-c1", ns + "-c1", ns + "-c2"], ranks
assert j["requests_sent"] == j["profile_commands"] == 6000, j["requests_sent"]
assert sum(k["requests_sent"] for k in ranks) == 6000, ranks
assert sum(k["latency_count"] for k in ranks) == j["latency_us"]["corrected"]["count"], ranks
assert j["errors"]["total"] == 0, j["errors"]
assert a[0] - b[0] == j["commands"]["get"]["keys"], (a, b)
assert a[3] - b[3] == j["commands"]["set"]["sent"], (a, b)
assert all(abs(k["start_skew_us"]) < 20000 for k in ranks), ranks
print("netns: ok, sent per rank", [k["requests_sent"] for k in ranks],
      "offsets us", [k["clock_offset_us"] for k in ranks],
      "t0 skew us", [k["start_skew_us"] for k in ranks])
PY

# a rank whose host has no route to the server: everything stops at start, exit 5, and the
# message names that rank and host
t=$(date +%s)
rc=$(nsrun unreach "$NS-c1:1,$NS-c3:1" 2 --rate 2x)
[ $(( $(date +%s) - t )) -lt 60 ] || mb_fail "an unreachable rank took $(( $(date +%s) - t )) s to stop the run"
[ "$rc" -eq 5 ] || { cat "$MB_TMP/unreach.out"; mb_fail "unreachable rank: mpirun exited $rc, expected 5"; }
grep -q "rank 1 on $NS-c3\]: cannot connect to $NSRV" "$MB_TMP/unreach.out" ||
  { cat "$MB_TMP/unreach.out"; mb_fail "no message naming rank 1, its host and the server"; }
echo "unreachable: ok (exit $rc)"

# a rank killed mid-run: mpirun aborts the job, naming the rank and the host, no hang
t=$(date +%s)
nsrun killed "$NS-c1:1,$NS-c2:1" 2 --rate 0.2x >"$MB_TMP/killed.rc" &
runner=$!
victim=
for i in $(seq 1 100); do
  for p in $(ip netns pids "$NS-c2"); do
    [ "$(cat /proc/"$p"/comm 2>/dev/null)" = membench-replay ] && victim=$p
  done
  [ -n "$victim" ] && break
  sleep 0.1
done
[ -n "$victim" ] || mb_fail "rank 1 never started in $NS-c2"
sleep 1
kill -9 "$victim"
wait "$runner"
rc=$(cat "$MB_TMP/killed.rc")
[ $(( $(date +%s) - t )) -lt 30 ] || mb_fail "a killed rank took $(( $(date +%s) - t )) s to end the run"
[ "$rc" -ne 0 ] || mb_fail "a killed rank: mpirun exited 0"
grep -q "rank 1 with PID $victim on node $NS-c2 exited on signal 9" "$MB_TMP/killed.out" ||
  { cat "$MB_TMP/killed.out"; mb_fail "mpirun did not name the killed rank and its host"; }
echo "killed rank: ok (mpirun exit $rc)"
