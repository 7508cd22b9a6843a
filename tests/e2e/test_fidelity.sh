#!/usr/bin/env bash
# End to end fidelity (issue 9, docs/fidelity.md): a profile is replayed against a real memcached
# on loopback while membench-record ebpf:any captures the replay, and
# `membench analyze --compare ORIGINAL REPLAYED --speed N` must pass every default threshold:
# requests equal, op mix and key/value size distributions identical, mean rate within 0.5%,
# per-second rate within 2% RMS, inter-arrival KS distance at most 0.05, every connection's
# request order preserved, the status mix of answered requests within 0.01 TVD per command and
# no error response the original did not have. Two profiles, each replayed at 1x and at 2x:
#   synth   synth:etc at 1000 req/s for 8 s over 4 connections (no key bytes: the replayer
#           generates keys, the recorder sees bytes)
#   live    real clients recorded with eBPF: four pymemcache clients at once (gets, sets,
#           multigets, deletes; noreply storage commands, Nagle left on as pymemcache does),
#           about 400 req/s
#   counters  a mix whose outcomes depend on what the server holds (scripts/counter-client.py,
#           issue 15): counters set by the client then incr/decr'd, gets then cas (some with a
#           stale unique: exists), touch, absolute exptimes, meta ma N0 J13 / MD D2, mg c then
#           ms C. Its replays must also answer no error, store as many cas as production did,
#           and count no cas outcome that differs; and a copy of the profile without its
#           numeric and meta flags (profile 1.1) must fail the compare: the checks can tell.
# Replays use --threads 2: one thread's sends are serialised, and on this machine a loopback
# send costs ~20 us, so requests of different connections recorded closer than that cannot
# all be reproduced by one thread (docs/replay.md, "Pacing"; bench/fidelity shows where
# fidelity degrades with the rate and why).
#
# Attempts: a case passes when one of at most 5 replays passes every check. The machine's
# hypervisor stalls a vCPU now and then (an idle busy loop here sees ~100 gaps > 100 us and a
# few > 1 ms per 5 s), and a stall inside a replay moves requests by milliseconds. Every attempt's
# figures are printed. A systematic loss of fidelity fails them all. Measured per replay with
# the sanitizer build (2026-11-22): about one in five lands on such a stall and measures
# 0.050-0.053 instead of 0.014-0.036; with 3 attempts a case still failed once in ~8 runs.
#
# Root with BTF is needed (exit 77 otherwise). Runtime about 1 min, up to 5 min with retries.
source "$MB_SOURCE_DIR/tests/lib.sh"
mb_need_root
[ -r /sys/kernel/btf/vmlinux ] || mb_skip "kernel has no BTF"
PY=/usr/bin/python3
$PY -c 'import pymemcache' 2>/dev/null || mb_skip "python3-pymemcache not installed"

if [ -n "${MB_KEEP_TMP:-}" ]; then # keep the profiles and reports for a look after a failure
  trap 'for p in "${MB_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; echo "kept $MB_TMP" >&2' EXIT
fi
mb_start_memcached -m 256 -t 2

# capture NAME CMD...: records ebpf:any on $MC_PORT into $MB_TMP/NAME.mbp while CMD runs.
capture() {
  local name=$1; shift
  rm -f "$MB_TMP/$name.mbp"
  "$MB_BIN/membench-record" ebpf:any --port "$MC_PORT" -o "$MB_TMP/$name.mbp" \
    2>"$MB_TMP/$name.rec.log" &
  local rec=$!
  MB_PIDS+=("$rec")
  local i
  for i in $(seq 1 300); do
    [ -e "$MB_TMP/$name.mbp" ] && break
    kill -0 "$rec" 2>/dev/null || { cat "$MB_TMP/$name.rec.log" >&2; mb_fail "recorder exited"; }
    sleep 0.1
  done
  [ -e "$MB_TMP/$name.mbp" ] || mb_fail "recorder did not attach within 30 s"
  "$@"
  sleep 0.5 # the last requests reach the ring buffer
  kill -INT "$rec"
  local rc=0
  wait "$rec" || rc=$?
  [ "$rc" -eq 0 ] || { cat "$MB_TMP/$name.rec.log" >&2; mb_fail "recorder exited $rc"; }
}

live_clients() {
  local pids=() s
  for s in 1 2 3 4; do
    $PY "$MB_SOURCE_DIR/scripts/mixed-client.py" "$MC_PORT" 600 "$s" &
    pids+=($!)
  done
  wait "${pids[@]}"
}

# check ORIG SPEED [THREADS]: replay ORIG at SPEEDx (--threads THREADS, default 2) while
# recording, then compare with the defaults.
# Every replay starts from an empty server, as the live capture did, so hits, misses and stores
# can match (the outcome checks). --warm would store nothing more for the live profile (its keys
# are all written before they are first read with a hit), and its stores would be recorded
# with the replay.
# cpu_ticks: the hypervisor's steal time and all time so far, in ticks over every CPU
# (/proc/stat's cpu line: user nice system idle iowait irq softirq steal ...).
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }

# Steal: an attempt during which the hypervisor took more than STEAL_MAX percent of the CPUs
# (other guests of the host ran on them) is disturbed: its replay could not keep time however
# well it paces (at 12% steal every attempt measured schedule lag p99 3-9 ms, 2026-12-02), so
# its timing checks (inter-arrival, rate series, mean rate) say nothing about membench. Such an
# attempt must still pass every other check. A case passes when an attempt passes every check,
# or when every attempt was disturbed and each failed timing checks only; the test says so.
STEAL_MAX=${STEAL_MAX:-2}
check() {
  local orig=$1 speed=$2 threads=${3:-2} name="$1.x$2" attempt rc s0 s1 steal disturbed=0
  for attempt in 1 2 3 4 5; do
    [ "$(printf 'flush_all\r\nquit\r\n' | nc -q 1 127.0.0.1 "$MC_PORT" | tr -d '\r')" = OK ] ||
      mb_fail "flush_all failed"
    s0=$(cpu_ticks)
    capture "$name" "$MB_BIN/membench-replay" "$MB_TMP/$orig.mbp" \
      --server "127.0.0.1:$MC_PORT" --rate "${speed}x" --threads "$threads" --quiet \
      --json "$MB_TMP/$name.json"
    rc=0
    "$MB_BIN/membench-analyze" --compare "$MB_TMP/$orig.mbp" "$MB_TMP/$name.mbp" \
      --speed "$speed" >"$MB_TMP/$name.cmp" 2>"$MB_TMP/$name.cmp.err" || rc=$?
    s1=$(cpu_ticks)
    steal=$(echo "$s0 $s1" | awk '{ d = $4 - $2; printf "%.1f", (d > 0 ? 100 * ($3 - $1) / d : 0) }')
    echo "== $name, attempt $attempt: $($PY -c 'import json,sys
l = json.load(open(sys.argv[1]))["schedule_lag_us"]
print("schedule lag p50 %.0f us, p99 %.0f us, max %.0f us" % (l["p50"], l["p99"], l["max"]))' \
      "$MB_TMP/$name.json"), hypervisor steal $steal%"
    sed -n '/^Fidelity/,$p' "$MB_TMP/$name.cmp"
    [ "$rc" -eq 0 ] && break
    [ "$rc" -eq 6 ] || { cat "$MB_TMP/$name.cmp.err" >&2; mb_fail "$name: compare exited $rc"; }
    if awk -v s="$steal" -v m="$STEAL_MAX" '
         $3 == "FAIL" && $1 !~ /^(inter_arrival_ks|rate_series_rms|mean_rate_error)$/ { other = 1 }
         $4 == "FAIL" && $1 !~ /^(inter_arrival_ks|rate_series_rms|mean_rate_error)$/ { other = 1 }
         END { exit !(s > m && !other) }' "$MB_TMP/$name.cmp"; then
      disturbed=$((disturbed + 1)) # timing checks only, with the CPU taken away
    fi
    sleep 1 # let a disturbed moment pass
  done
  if [ "$rc" -eq 0 ]; then
    echo "ok: $name (attempt $attempt)"
  elif [ "$disturbed" -eq 5 ]; then
    echo "ok: $name: every check but timing passed; timing not judged: the hypervisor took more" \
      "than $STEAL_MAX% of the CPUs in all 5 attempts"
  else
    failures+=("$name")
  fi
  # the JSON carries the same verdict
  "$MB_BIN/membench-analyze" --compare --json "$MB_TMP/$orig.mbp" "$MB_TMP/$name.mbp" \
    --speed "$speed" >"$MB_TMP/$name.cmp.json" 2>/dev/null || true
  $PY - "$MB_TMP/$name.cmp.json" "$rc" <<'PY' || mb_fail "$name: JSON verdict differs from the exit status"
import json, sys
f = json.load(open(sys.argv[1]))["fidelity"]
assert len(f["checks"]) == 10, f
assert f["pass"] == (sys.argv[2] == "0"), f
PY
}

failures=()
"$MB_BIN/membench-record" synth:etc --rate 1000 --duration 8s --connections 4 --keys 5000 \
  --seed 9 -o "$MB_TMP/synth.mbp" 2>/dev/null
capture live live_clients
capture counters $PY "$MB_SOURCE_DIR/scripts/counter-client.py" "$MC_PORT" 800 3
# Arrival stamps are on (docs/record-ebpf.md, "Time"): nearly every request byte has one.
stamped=$(sed -n 's/.*server ends: \([0-9.]*\)% stamped on arrival.*/\1/p' "$MB_TMP/live.rec.log")
awk -v p="${stamped:-0}" 'BEGIN { exit !(p >= 99) }' ||
  { cat "$MB_TMP/live.rec.log" >&2; mb_fail "live capture: only ${stamped:-0}% stamped on arrival"; }

# A self-comparison must pass and a clearly different profile must fail (exit 6): the checks
# can fail.
mb_expect_status 0 "$MB_BIN/membench-analyze" --compare "$MB_TMP/synth.mbp" "$MB_TMP/synth.mbp"
mb_expect_status 6 "$MB_BIN/membench-analyze" --compare "$MB_TMP/synth.mbp" "$MB_TMP/live.mbp"

# cas_stored PROFILE: cas (text cas and meta ms, which the counter mix sends only with C)
# answered stored.
cas_stored() {
  "$MB_BIN/membench-record" "profile:$1" --ops cas,ms -o "$1.cas.mbp" 2>/dev/null
  "$MB_BIN/membench-analyze" --json "$1.cas.mbp" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["outcomes"]["status"].get("stored", 0))'
}

# The counter mix comes from one client thread: one replay thread keeps its two connections'
# sends serialised as they were (two threads add gaps near zero it never had: inter-arrival KS
# 0.07-0.12 against 0.03-0.05 with one, measured by hand on a loaded machine, 2026-12-02).
for p in synth live counters; do
  for s in 1 2; do
    if [ "$p" != counters ]; then
      check "$p" "$s"
      continue
    fi
    check "$p" "$s" 1
    # the replay of the passing attempt: no error, every cas stored as in production
    $PY - "$MB_TMP/counters.x$s.json" <<'PY' || mb_fail "counters.x$s: error responses or cas outcomes differ"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["errors"]["total"] == 0, j["errors"]
assert j["cas_outcomes"]["compared"] > 100 and j["cas_outcomes"]["differ"] == 0, j["cas_outcomes"]
PY
    a=$(cas_stored "$MB_TMP/counters.mbp") b=$(cas_stored "$MB_TMP/counters.x$s.mbp")
    echo "counters.x$s: cas stored: recorded $a, replayed $b"
    [ "$a" -gt 50 ] && [ "$a" = "$b" ] || mb_fail "counters.x$s: cas stored $b, recorded $a"
  done
done
grep -q "errors A 0" "$MB_TMP/counters.x1.cmp" || mb_fail "the counter mix had error responses"

# Without its numeric flags and meta flags the same replay does not do what production did:
# counters are patterns (incr: CLIENT_ERROR), ma without N0 J13 finds nothing. The compare fails
# on the outcome checks.
"$MB_BINARY_DIR/tests/e2e/profile_strip" "$MB_TMP/counters.mbp" "$MB_TMP/stripped.mbp" numeric meta ||
  mb_fail "profile_strip failed"
[ "$(printf 'flush_all\r\nquit\r\n' | nc -q 1 127.0.0.1 "$MC_PORT" | tr -d '\r')" = OK ] ||
  mb_fail "flush_all failed"
capture stripped.x1 "$MB_BIN/membench-replay" "$MB_TMP/stripped.mbp" \
  --server "127.0.0.1:$MC_PORT" --threads 2 --quiet --json "$MB_TMP/stripped.x1.json"
rc=0
"$MB_BIN/membench-analyze" --compare "$MB_TMP/counters.mbp" "$MB_TMP/stripped.x1.mbp" \
  >"$MB_TMP/stripped.cmp" 2>&1 || rc=$?
sed -n '/^Fidelity/,$p' "$MB_TMP/stripped.cmp"
[ "$rc" -eq 6 ] || mb_fail "a replay without numeric/meta flags passed --compare (exit $rc)"
grep -q "^  outcomes .* FAIL" "$MB_TMP/stripped.cmp" || mb_fail "outcomes did not fail"
grep -q "^  new_errors .* FAIL" "$MB_TMP/stripped.cmp" || mb_fail "new_errors did not fail"
# Without --speed a 2x replay is twice as fast: the rate checks must fail, so --speed matters.
mb_expect_status 6 "$MB_BIN/membench-analyze" --compare "$MB_TMP/synth.mbp" "$MB_TMP/synth.x2.mbp"
grep -q "mean_rate_error .* FAIL" "$MB_TMP/out" || mb_fail "a 2x replay passed the rate check"
[ ${#failures[@]} -eq 0 ] || mb_fail "fidelity not met after 5 attempts: ${failures[*]}"
