# Helpers for the eBPF recorder's shell tests (sourced after tests/lib.sh).
#   rec_need_bpf                skip unless root with BTF
#   rec_start NAME [args...]    starts membench-record ebpf:... -o $MB_TMP/NAME.mbp [args] in the
#                               background and waits until it is attached (the profile is
#                               created only then); REC_PID
#   rec_stop [ERR]              SIGINT, waits, fails unless it exited 0; stderr in $MB_TMP/rec.err
#                               (or ERR, for a recorder started otherwise with its pid in REC_PID)
#   rec_dump NAME               mbp_dump of $MB_TMP/NAME.mbp into $MB_TMP/NAME.txt
#   rec_count NAME AWK-COND     number of records matching an awk condition over the fields
#                               $2 time $3 conn $4 op $5 proto $6 status $7 flags $8 key_len
#                               $9 value_len $10 client_flags $11 ttl $12 latency $13 key
#   rec_stat NAME FIELD         a trailer counter
#   expect_eq WHAT GOT WANT     fails with a message unless GOT == WANT

MBP_DUMP="$MB_BINARY_DIR/tests/record/capture/mbp_dump"
PY=/usr/bin/python3

rec_need_bpf() {
  mb_need_root
  [ -r /sys/kernel/btf/vmlinux ] || mb_skip "kernel has no BTF"
  [ -x "$MBP_DUMP" ] || mb_fail "mbp_dump not built at $MBP_DUMP"
}

rec_start() {
  local name=$1; shift
  rm -f "$MB_TMP/$name.mbp"
  "$MB_BIN/membench-record" "$@" -o "$MB_TMP/$name.mbp" 2>"$MB_TMP/rec.err" &
  REC_PID=$!
  MB_PIDS+=("$REC_PID")
  local i
  for i in $(seq 1 300); do
    [ -e "$MB_TMP/$name.mbp" ] && return 0
    if ! kill -0 "$REC_PID" 2>/dev/null; then
      cat "$MB_TMP/rec.err" >&2
      mb_fail "membench-record exited before attaching"
    fi
    sleep 0.1
  done
  mb_fail "membench-record did not attach within 30 s"
}

rec_stop() {
  local err=${1:-$MB_TMP/rec.err}
  kill -INT "$REC_PID"
  local rc=0
  wait "$REC_PID" || rc=$?
  [ "$rc" -eq 0 ] || { cat "$err" >&2; mb_fail "membench-record exited $rc"; }
}

rec_dump() {
  "$MBP_DUMP" "$MB_TMP/$1.mbp" >"$MB_TMP/$1.txt" || mb_fail "cannot read $1.mbp back"
}

rec_count() {
  awk "\$1==\"rec\" && ($2) {n++} END {print n+0}" "$MB_TMP/$1.txt"
}

rec_stat() {
  awk -v k="$2" '$1=="stat" && $2==k {print $3}' "$MB_TMP/$1.txt"
}

expect_eq() {
  [ "$2" = "$3" ] || mb_fail "$1: got $2, expected $3"
  echo "ok: $1 = $3"
}

# mc_wait_idle: waits (up to 5 s) until memcached holds no client connection, so a client that
# exits right after sending "quit" has had that quit read (and recorded) before rec_stop. Uses
# ss, not a stats request, which a capture in progress would record.
mc_wait_idle() {
  local i
  for i in $(seq 1 50); do
    [ -z "$(ss -Htn state established state close-wait "( sport = :$MC_PORT )")" ] && return 0
    sleep 0.1
  done
  echo "mc_wait_idle: memcached still holds connections after 5 s" >&2
}

# mc_stats FILE: all of memcached's counters as "name value" lines.
mc_stats() {
  printf 'stats\r\nquit\r\n' | nc -q 2 127.0.0.1 "$MC_PORT" | tr -d '\r' |
    awk '$1=="STAT" {print $2, $3}' >"$1"
}

# mc_delta BEFORE AFTER NAME: after - before for one counter.
mc_delta() {
  local a b
  a=$(awk -v k="$3" '$1==k {print $2}' "$1")
  b=$(awk -v k="$3" '$1==k {print $2}' "$2")
  echo $((b - a))
}

# MB_KEEP_TMP=1: keep $MB_TMP (profiles, dumps, stderr) for a look after a failure.
if [ -n "${MB_KEEP_TMP:-}" ]; then
  trap 'for p in "${MB_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; echo "kept $MB_TMP" >&2' EXIT
fi
