#!/usr/bin/env bash
# The main job (README): installs what is needed, builds, starts a local memcached on loopback as
# the embedded default target, drives real client traffic at it, records it with eBPF, analyzes
# the profile and replays it at 2x, printing each step. Steps whose part is not built yet say so
# and are skipped; nothing is faked.
# Usage: sudo scripts/demo.sh        (root: eBPF capture needs it)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
not_built() { echo "   (not built yet: $*)"; }

step "Installing Debian packages"
./scripts/install-deps.sh

step "Building into build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" 2>&1 | tail -n 1
bin=$top/build/bin
"$bin/membench" --version

work=$(mktemp -d "${TMPDIR:-/tmp}/membench-demo.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

step "Starting memcached on 127.0.0.1 (the demo's target)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
memcached -l 127.0.0.1 -p "$port" -U 0 -m 256 "${user[@]}" &
pids+=($!)
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.01; done
echo "memcached $(memcached -V | awk '{print $2}') listening on 127.0.0.1:$port"

status=0
"$bin/membench" record --help >/dev/null
if ! "$bin/membench-record" ebpf:any --help | grep -q "NOT BUILT YET"; then
  step "Recording with eBPF while memcslap drives traffic"
  "$bin/membench" record ebpf:any --port "$port" --duration 5 -o "$work/demo.mbp" &
  rec=$!
  sleep 1
  memcslap --servers="127.0.0.1:$port" --concurrency=4 --execute-number=5000 >/dev/null
  wait "$rec" || status=$?
else
  step "Recording with eBPF"
  not_built "membench record (eBPF recorder)"
fi

if [ -f "$work/demo.mbp" ] && ! grep -q "NOT BUILT YET" <("$bin/membench-analyze" --help); then
  step "Analyzing the profile"
  "$bin/membench" analyze "$work/demo.mbp" || status=$?
else
  step "Analyzing the profile"
  not_built "membench analyze, or no profile was recorded"
fi

if [ -f "$work/demo.mbp" ] && ! grep -q "NOT BUILT YET" <("$bin/membench-replay" --help); then
  step "Replaying at 2x against 127.0.0.1:$port"
  "$bin/membench" replay "$work/demo.mbp" --server "127.0.0.1:$port" --rate 2x || status=$?
else
  step "Replaying at 2x"
  not_built "membench replay, or no profile was recorded"
fi

step "Done"
echo "work files in $work"
exit $status
