# root-bpf: the recorder's command line and life cycle.
#  - bad command lines exit 2 with a message (an empty --port list among them); --help exits 0;
#  - without privileges: exit 4 and a message naming CAP_BPF/CAP_PERFMON (not RLIMIT_MEMLOCK);
#  - --duration and --count end the capture by themselves; under sudo the profile (0600) belongs
#    to the invoking user;
#  - the live status line appears only on a terminal;
#  - SIGKILL leaves a file that reads back to its last flushed block;
#  - ebpf:cgroup=PATH records the processes of that cgroup only.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
REC="$MB_BIN/membench-record"

# ---- command line (no privileges needed) -------------------------------------------------------
mb_expect_status 0 "$REC" ebpf:any --help
grep -q 'usage: membench record ebpf:TARGET' "$MB_TMP/out" || mb_fail "--help: $(cat "$MB_TMP/out")"
mb_expect_status 2 "$REC" ebpf:any
grep -q 'no output file' "$MB_TMP/err" || mb_fail "no -o: $(cat "$MB_TMP/err")"
mb_expect_status 2 "$REC" ebpf:bogus -o "$MB_TMP/x.mbp"
grep -q "unknown eBPF target 'ebpf:bogus'" "$MB_TMP/err" || mb_fail "target: $(cat "$MB_TMP/err")"
mb_expect_status 2 "$REC" ebpf:pid=abc -o "$MB_TMP/x.mbp"
# ebpf:pid=$(pidof memcached) with several memcacheds: say what went wrong, not just "unexpected"
mb_expect_status 2 "$REC" ebpf:pid=1 2 3 -o "$MB_TMP/x.mbp"
grep -q "unexpected argument '2': ebpf:pid= takes one process (did pidof find several?" "$MB_TMP/err" ||
  mb_fail "several pids: $(cat "$MB_TMP/err")"
mb_expect_status 2 "$REC" ebpf:any -o "$MB_TMP/x.mbp" --port 70000
grep -q "bad port '70000'" "$MB_TMP/err" || mb_fail "port: $(cat "$MB_TMP/err")"
# the bug: an empty list recorded the default port 11211 instead of failing
for empty in "" "," "11211," ",11211" "11211,,11212"; do
  mb_expect_status 2 "$REC" ebpf:any -o "$MB_TMP/x.mbp" --port "$empty"
  grep -q -- "--port: empty port in '$empty'" "$MB_TMP/err" ||
    mb_fail "--port '$empty': $(cat "$MB_TMP/err")"
  [ "$(wc -l <"$MB_TMP/err")" -eq 1 ] || mb_fail "--port '$empty': not one line: $(cat "$MB_TMP/err")"
done
mb_expect_status 2 "$REC" ebpf:any -o "$MB_TMP/x.mbp" --max-bytes 10
mb_expect_status 2 "$REC" ebpf:any -o "$MB_TMP/x.mbp" --side sideways
mb_expect_status 2 "$REC" ebpf:any -o "$MB_TMP/x.mbp" --bogus
[ ! -e "$MB_TMP/x.mbp" ] || mb_fail "a failed command line created the output"

rec_need_bpf

# ---- privileges ---------------------------------------------------------------------------------
if command -v setpriv >/dev/null; then
  chmod 755 "$MB_TMP"
  mb_expect_status 4 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$REC" ebpf:any -o "$MB_TMP/np.mbp"
  grep -q 'CAP_BPF and CAP_PERFMON' "$MB_TMP/err" || mb_fail "privilege message: $(cat "$MB_TMP/err")"
  if grep -qi 'memlock' "$MB_TMP/err"; then mb_fail "blames RLIMIT_MEMLOCK: $(cat "$MB_TMP/err")"; fi
  echo "ok: unprivileged run refused: $(cat "$MB_TMP/err")"
fi

mb_start_memcached

# A steady client for the timed checks: one get every 2 ms until killed.
steady_client() {
  $PY - "$MC_PORT" <<'EOF' &
import sys, time
from pymemcache.client.base import Client
c = Client(("127.0.0.1", int(sys.argv[1])), default_noreply=False)
while True:
    c.get("steady")
    time.sleep(0.002)
EOF
  CLIENT=$!
  MB_PIDS+=("$CLIENT")
}

# ---- --duration, --count ---------------------------------------------------------------------
steady_client
start=$(date +%s%N)
mb_expect_status 0 "$REC" ebpf:any --port "$MC_PORT" -o "$MB_TMP/dur.mbp" --duration 1500ms
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt 15000 ] || mb_fail "--duration 1500ms took ${elapsed_ms} ms"
grep -q 'wrote .*dur.mbp' "$MB_TMP/err" || mb_fail "no summary: $(cat "$MB_TMP/err")"
rec_dump dur
[ "$(rec_count dur '$4=="get"')" -gt 10 ] || mb_fail "--duration recorded too little"
# (as if run through sudo by uid 65534: the profile is handed to that user)
SUDO_UID=65534 SUDO_GID=65534 mb_expect_status 0 "$REC" ebpf:any --port "$MC_PORT" \
  -o "$MB_TMP/cnt.mbp" --count 100
expect_eq "owner under sudo" "$(stat -c %u:%g "$MB_TMP/cnt.mbp")" 65534:65534
expect_eq "mode" "$(stat -c %a "$MB_TMP/cnt.mbp")" 600
rec_dump cnt
[ "$(rec_stat cnt requests)" -ge 100 ] || mb_fail "--count 100 stopped at $(rec_stat cnt requests)"
echo "ok: --duration and --count"

# ---- status line only on a terminal -----------------------------------------------------------
grep -q 'req/s' "$MB_TMP/err" && mb_fail "status line written to a non-terminal"
if command -v script >/dev/null; then
  script -qec "$REC ebpf:any --port $MC_PORT -o $MB_TMP/tty.mbp --duration 2500ms" /dev/null \
    >"$MB_TMP/tty.out" 2>&1 </dev/null || true
  grep -q 'req/s' "$MB_TMP/tty.out" || mb_fail "no status line on a terminal: $(cat "$MB_TMP/tty.out")"
  echo "ok: status line on a terminal"
fi

# ---- SIGKILL ----------------------------------------------------------------------------------
rec_start killed ebpf:any --port "$MC_PORT"
sleep 2.5 # at least two flushes
kill -KILL "$REC_PID"
wait "$REC_PID" 2>/dev/null || true
rec_dump killed
expect_eq "killed file is flagged as cut short" "$(rec_stat killed truncated_file)" 1
[ "$(rec_count killed '$4=="get"')" -gt 100 ] || mb_fail "killed capture kept too little"
# the file is damaged (cut short): analyze refuses it naming the flag, and reads it with it
mb_expect_status 3 "$MB_BIN/membench-analyze" "$MB_TMP/killed.mbp"
grep -q "cut short" "$MB_TMP/err" && grep -q -- "--allow-damaged" "$MB_TMP/err" ||
  mb_fail "analyze of a killed capture: $(cat "$MB_TMP/err")"
mb_expect_status 0 "$MB_BIN/membench-analyze" --allow-damaged "$MB_TMP/killed.mbp"
echo "ok: SIGKILL left $(rec_count killed '$4=="get"') readable records (analyze --allow-damaged)"
kill "$CLIENT" 2>/dev/null || true

# ---- ebpf:cgroup=PATH -------------------------------------------------------------------------
CG=$(awk '$(NF-2)=="cgroup2" {print $5; exit}' /proc/self/mountinfo) # unified or hybrid
if [ -n "$CG" ] && mkdir "$CG/mbtest.$$" 2>/dev/null; then
  mkdir "$CG/mbtest.$$/empty"
  cleanup_cg() { rmdir "$CG/mbtest.$$/srv" "$CG/mbtest.$$/empty" "$CG/mbtest.$$" 2>/dev/null || true; }
  mkdir "$CG/mbtest.$$/srv"
  echo "$MC_PID" >"$CG/mbtest.$$/srv/cgroup.procs"
  # the parent cgroup matches its descendants; a sibling does not
  rec_start cg "ebpf:cgroup=mbtest.$$" --port "$MC_PORT"
  memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=1 --execute-number=20 --test=get >/dev/null
  rec_stop
  rec_dump cg
  rec_start cgempty "ebpf:cgroup=$CG/mbtest.$$/empty" --port "$MC_PORT"
  memcslap --servers="127.0.0.1:$MC_PORT" --concurrency=1 --execute-number=20 --test=get >/dev/null
  rec_stop
  rec_dump cgempty
  echo "$MC_PID" >"$CG/cgroup.procs"
  cleanup_cg
  expect_eq "cgroup: gets" "$(rec_count cg '$4=="get" && $6=="hit"')" 20
  expect_eq "sibling cgroup: records" "$(rec_count cgempty '1')" 0
  mb_expect_status 2 "$REC" ebpf:cgroup=/nonexistent/cg -o "$MB_TMP/y.mbp"
else
  echo "note: cgroup v2 not writable here; cgroup filter not tested"
fi
echo "test_record_cli: all checks passed"
