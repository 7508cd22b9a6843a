#!/usr/bin/env bash
# A reply is timed by its arrival, not by when the replayer reads it (docs/replay.md, "Pacing":
# kernel receive stamps, SO_TIMESTAMPNS). One get, to slow_server.py, which answers 100 ms after
# the request arrived and logs that moment (CLOCK_MONOTONIC); as soon as the log shows the get, the
# replayer is stopped (SIGSTOP) until 600 ms after it, so the reply sits in its socket for
# ~500 ms before it is read. Asserts: the latency measured is 100 ms (the server's pause) and
# well under 300 ms; stamped when read, as before, it was ~600 ms.
source "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || mb_skip "python3 not installed"
RP=$MB_BIN/membench-replay
MK=$MB_BIN/bench-replay-mkprofile
[ -x "$MK" ] || mb_fail "$MK not built"
"$MK" "$MB_TMP/one.mbp" 1 1000 1 100 >/dev/null
python3 "$(dirname "$0")/slow_server.py" "$MB_TMP/port" 65536 0.1 "$MB_TMP/arrivals" &
MB_PIDS+=($!)
for _ in $(seq 1 300); do [ -s "$MB_TMP/port" ] && break; sleep 0.01; done
[ -s "$MB_TMP/port" ] || mb_fail "slow server did not start"
python3 - "$RP" "$MB_TMP/one.mbp" --server "127.0.0.1:$(cat "$MB_TMP/port")" --threads 1 -q \
  --no-progress --json "$MB_TMP/run.json" <<'PY' "$MB_TMP/arrivals"
import os, signal, subprocess, sys, time
log = sys.argv[-1]
rp = subprocess.Popen(sys.argv[1:-1])
arrived = None
give_up = time.monotonic() + 30
while arrived is None and time.monotonic() < give_up and rp.poll() is None:
    try:
        with open(log) as f:
            gets = [int(l.split()[0]) for l in f if l.split()[1:] == ["get"]]
        if gets:
            arrived = gets[0]
    except FileNotFoundError:
        pass
    time.sleep(0.001)
if arrived is None:
    rp.kill()
    sys.exit("the request never reached the server")
os.kill(rp.pid, signal.SIGSTOP)
stopped = time.monotonic_ns()
time.sleep(max(0, (arrived + 600_000_000 - time.monotonic_ns()) / 1e9))
os.kill(rp.pid, signal.SIGCONT)
print("stopped %.1f ms after the request arrived, continued %.1f ms after" %
      ((stopped - arrived) / 1e6, (time.monotonic_ns() - arrived) / 1e6))
if stopped - arrived > 90_000_000:
    sys.exit("stopped too late to hold the reply back (a loaded machine?)")
sys.exit(rp.wait())
PY
python3 - "$MB_TMP/run.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
lat = j["latency_us"]
assert j["responses"] == 1, j["responses"]
u, c = lat["uncorrected"]["max"], lat["corrected"]["max"]
print("latency: uncorrected %.0f us, corrected %.0f us" % (u, c))
if not 99000 <= u < 300000:
    sys.exit("FAIL: the reply arrived 100 ms after the request, measured %.0f us" % u)
assert c >= u, (c, u)
print("ok")
PY
