#!/usr/bin/env bash
# The main job (README): installs what is needed, builds, starts a local memcached on loopback as
# the embedded default target, drives real client traffic at it (four pymemcache clients),
# records that traffic with eBPF, analyzes the profile, replays it at 2x while
# recording the replay, and compares the replay with the original.
# Usage: scripts/demo.sh   (as root: the eBPF capture needs it; without root the capture step
#        is replaced by a synthetic profile so analyze and replay still run)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Installing Debian packages"
./scripts/install-deps.sh

step "Building into build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" 2>&1 | tail -n 1
bin=$top/build/bin
export PATH="$bin:$PATH"
membench --version

work=$(mktemp -d "${TMPDIR:-/tmp}/membench-demo.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT


step "Starting memcached on 127.0.0.1 (the demo's target)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
memcached -l 127.0.0.1 -p "$port" -U 0 -m 256 -t 2 "${user[@]}" &
pids+=($!)
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.01; done
echo "memcached $(memcached -V | awk '{print $2}') listening on 127.0.0.1:$port"

# record_while NAME CMD...: records ebpf:any on $port into $work/NAME.mbp while CMD runs.
record_while() {
  local name=$1; shift
  membench record ebpf:any --port "$port" -o "$work/$name.mbp" 2>"$work/$name.rec.log" &
  local rec=$!
  pids+=("$rec")
  for _ in $(seq 1 300); do
    [ -e "$work/$name.mbp" ] && break
    kill -0 "$rec" 2>/dev/null || { cat "$work/$name.rec.log"; return 1; }
    sleep 0.1
  done
  "$@"
  sleep 0.5 # let the last responses reach the ring buffer
  kill -INT "$rec"
  wait "$rec"
  tail -n 3 "$work/$name.rec.log"
}

# Client traffic: four pymemcache clients at once (scripts/mixed-client.py: gets, sets,
# multigets, deletes and misses, with random think times), a moderate ~400 req/s. A flat-out
# closed-loop benchmark (memcslap) would be a saturating load, where one machine cannot replay
# the arrival pattern faithfully: bench/fidelity/RESULTS.md shows where that starts.
drive_clients() {
  local pids=() s
  for s in 1 2 3 4; do
    /usr/bin/python3 scripts/mixed-client.py "$port" 1500 "$s" &
    pids+=($!)
  done
  wait "${pids[@]}"
}

if [ "$(id -u)" -eq 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
  step "Recording real client traffic with eBPF (four pymemcache clients)"
  record_while prod drive_clients
else
  step "Recording with eBPF needs root and BTF: generating a synthetic profile instead"
  membench record synth:zipf --ops 20000 --keys 2000 --rate 5000 --connections 4 --seed 7 \
    -o "$work/prod.mbp"
fi

step "Analyzing the recorded profile"
membench analyze "$work/prod.mbp"
membench analyze --html "$work/prod.html" "$work/prod.mbp"
echo "HTML report: $work/prod.html"

step "Replaying at 2x against 127.0.0.1:$port, emptied first as it was when recorded"
# The recording started from an empty server: so does the replay (flush_all), so that hits,
# misses and stores can match and the outcome checks of the comparison mean something.
printf 'flush_all\r\nquit\r\n' | nc -q 1 127.0.0.1 "$port" >/dev/null
if [ "$(id -u)" -eq 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
  record_while replayed membench replay "$work/prod.mbp" --server "127.0.0.1:$port" --rate 2x \
    --threads 2 --json "$work/replay.json"
  step "Comparing the replay (recorded with eBPF) with the original"
  # --speed 2 undoes the 2x before rates and inter-arrival are compared; exit 6 means a check
  # failed (a stall of this machine during the replay can do that: see docs/fidelity.md).
  verdict=0
  membench analyze --compare "$work/prod.mbp" "$work/replayed.mbp" --speed 2 || verdict=$?
  [ "$verdict" -eq 0 ] || echo "(compare exited $verdict: a fidelity check above did not pass)"
else
  membench replay "$work/prod.mbp" --server "127.0.0.1:$port" --rate 2x --threads 2 \
    --json "$work/replay.json"
fi

step "Done"
echo "profiles, reports and logs in $work"
