#!/usr/bin/env bash
# Connection set-up and target restarts (issue 16), against a real listener and real memcached.
#
# 1. test_connect_full_backlog_sigint: a listener whose accept queue is full (listen backlog 0,
#    never accepts) lets the start-up check in and then drops every SYN; a blocking connect
#    retried for ~130 s with SIGINT/SIGTERM blocked (`timeout 60` could not stop it). Now SIGINT
#    and SIGTERM stop it at once (exit 130), and without a signal --connect-timeout ends it
#    (exit 5, naming the server and the flag).
# 2. test_restart_stats: memcached is killed mid-run and started again on the same port; the
#    report says the server restarted (pid before/after), and its delta covers the new process
#    only, read again when the replay reconnected (it used to vanish without a word).
source "$(dirname "$0")/../lib.sh"

command -v memcached >/dev/null || mb_skip "memcached not installed"
command -v python3 >/dev/null || mb_skip "python3 not installed"
RP=$MB_BIN/membench-replay
MK=$MB_BIN/bench-replay-mkprofile
[ -x "$MK" ] || mb_fail "$MK not built"
T=$MB_TMP
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }

"$MK" "$T/p.mbp" 3000 1000 2 50 300 32 >/dev/null

# ---- 1. full backlog ----------------------------------------------------------------------
# a listener with a full accept queue: the first connection (the replay's check) is queued, the
# rest get their SYN dropped
BP=$(mb_free_port)
python3 -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(0)
print("listening", flush=True); time.sleep(120)' "$BP" >"$T/listener.out" &
MB_PIDS+=($!)
for i in $(seq 100); do [ -s "$T/listener.out" ] && break; sleep 0.05; done

# stop SIG: the replay is signalled after 1.5 s (in the middle of connecting) and must be gone
# within 2 s, exit 130, saying nothing was sent
stop() {
  local sig=$1
  "$RP" "$T/p.mbp" --server 127.0.0.1:$BP -q 2>"$T/stop.err" & local r=$!
  sleep 1.5
  kill -0 $r 2>/dev/null || { cat "$T/stop.err"; mb_fail "$sig: the replay ended before the signal"; }
  local t; t=$(now)
  kill -"$sig" $r
  for i in $(seq 40); do kill -0 $r 2>/dev/null || break; sleep 0.05; done
  if kill -0 $r 2>/dev/null; then
    kill -KILL $r; wait $r 2>/dev/null || true
    mb_fail "SIG$sig during connect: still running 2 s later"
  fi
  local rc=0; wait $r || rc=$?
  echo "SIG$sig while connecting to a full backlog: exit $rc after $(since "$t") s: $(cat "$T/stop.err")"
  [ $rc -eq 130 ] || mb_fail "SIG$sig during connect: exit $rc, expected 130"
  grep -q "nothing was sent" "$T/stop.err" || mb_fail "SIG$sig: $(cat "$T/stop.err")"
}
stop INT
stop TERM

# no signal: --connect-timeout ends it, exit 5 naming the server and the flag
t=$(now)
rc=0; timeout 30 "$RP" "$T/p.mbp" --server 127.0.0.1:$BP -q --connect-timeout 1s 2>"$T/to.err" || rc=$?
took=$(since "$t")
echo "full backlog, --connect-timeout 1s: exit $rc after $took s: $(cat "$T/to.err")"
[ $rc -eq 5 ] || mb_fail "connect timeout: exit $rc, expected 5"
grep -q "127.0.0.1:$BP.*--connect-timeout" "$T/to.err" || mb_fail "connect timeout: $(cat "$T/to.err")"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 4 else 1)" "$took" ||
  mb_fail "connect timeout 1s took $took s"

# ---- 2. restart mid-run --------------------------------------------------------------------
mb_start_memcached
P=$MC_PORT
OLD=$MC_PID
"$RP" "$T/p.mbp" --server 127.0.0.1:$P --timeout 300ms --json "$T/r.json" >"$T/r.out" 2>"$T/r.err" &
R=$!
sleep 1
kill -KILL $OLD; wait $OLD 2>/dev/null || true
sleep 0.3
user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
memcached -l 127.0.0.1 -p $P -U 0 "${user[@]}" & NEW=$!
MB_PIDS+=($NEW)
wait $R || { cat "$T/r.out" "$T/r.err"; mb_fail "restart: the replay failed"; }
sed -n '/^server stats/,$p' "$T/r.out"
grep -q "127.0.0.1:$P restarted during the run (pid $OLD -> $NEW" "$T/r.out" ||
  { cat "$T/r.out" "$T/r.err"; mb_fail "restart: the report does not say the server restarted"; }
s=$(json "$T/r.json" 'j["server_stats"][0]')
[ "$(json "$T/r.json" 'j["server_stats"][0]["restarted"]')" = True ] || mb_fail "restart: JSON $s"
[ "$(json "$T/r.json" 'j["server_stats"][0]["pid_after"]')" -eq $NEW ] || mb_fail "restart: JSON $s"
# the delta is the new process's own count: exactly what it counted (nothing else talks to it)
sent=$(json "$T/r.json" 'j["requests_sent"]')
d=$(json "$T/r.json" 'j["server_stats"][0]["delta"]["cmd_get"] + j["server_stats"][0]["delta"]["cmd_set"]')
newc=$(printf 'stats\r\nquit\r\n' | nc -q 1 127.0.0.1 $P | tr -d '\r' |
  awk '$2=="cmd_get"{g=$3} $2=="cmd_set"{s=$3} END{print g+s}')
echo "restart: the new process counted $newc gets+sets, the report's delta $d, $sent sent in all"
[ "$d" -gt 1000 ] && [ "$d" -eq "$newc" ] || mb_fail "restart: delta $d (new process: $newc)"
echo ok
