#!/usr/bin/env bash
# Fidelity at load (issue 9, docs/fidelity.md): a synth:etc profile is replayed against a local
# memcached at 25%, 50% and 75% of the saturation rate, at --rate 1x (profile generated at the
# target rate) and at --rate 2x (profile generated at half of it), while membench-record
# ebpf:any records the replay; `membench analyze --compare ORIG REPLAYED --speed N` gives the
# fidelity figures, and the replayer's JSON the schedule lag (generator) and latency (target)
# that explain where fidelity degrades. Before those, the same at fixed low rates (RATES), to
# show where the inter-arrival check stops passing. Prints one table row per run. Needs root
# with BTF.
# Usage: bench/fidelity/run.sh BIN_DIR [SATURATION_RPS [SECONDS]]
#   SATURATION_RPS defaults to a measurement with `membench replay --rate max` (median of 3).
#   RATES="1000 2000 5000 10000 20000" (req/s, the server's rate at 1x and 2x alike)
#   REPLAY_ARGS="--threads 2" (extra membench replay flags, e.g. "--threads 1 --spin 0")
set -euo pipefail
bin=${1:?usage: run.sh BIN_DIR [SATURATION_RPS [SECONDS]]}
sat=${2:-}
secs=${3:-4}
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (eBPF capture)" >&2; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mbfid.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
memcached -l 127.0.0.1 -p "$port" -U 0 -m 1024 -u nobody &
pids+=($!)
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.01; done

if [ -z "$sat" ]; then
  "$bin/membench-record" synth:etc --ops 300000 --rate 100000 --connections 8 --keys 10000 \
    --seed 1 -o "$work/max.mbp" 2>/dev/null
  runs=()
  for _ in 1 2 3; do
    "$bin/membench-replay" "$work/max.mbp" --server "127.0.0.1:$port" --rate max --depth 16 \
      --quiet --json "$work/max.json"
    runs+=("$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["achieved_rate"]))' "$work/max.json")")
  done
  sat=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
  echo "saturation (replay --rate max --depth 16, 8 connections, median of ${runs[*]}): $sat req/s"
fi

capture() { # capture NAME CMD...
  local name=$1; shift
  "$bin/membench-record" ebpf:any --port "$port" -o "$work/$name.mbp" 2>"$work/$name.rec.log" &
  local rec=$!
  for _ in $(seq 1 300); do [ -e "$work/$name.mbp" ] && break; sleep 0.1; done
  "$@"
  sleep 0.5
  kill -INT "$rec"
  wait "$rec"
}

rates=${RATES-1000 2000 5000 10000 20000}
replay_args=${REPLAY_ARGS---threads 2}
echo "replay flags: $replay_args"
loads=()
for r in $rates; do loads+=("$((r / 1000))k:$r"); done
for pct in 25 50 75; do loads+=("$pct%:$((sat * pct / 100))"); done

printf '%-5s %-5s %8s | %8s %6s %6s %7s %7s %6s %6s %6s | %8s %8s %8s | %s\n' load speed \
  "req/s" "d_req" op keyks valks rate_err rms iat_ks order "lag_p50" "lag_p99" "lat_p99" verdict
for load in "${loads[@]}"; do
  label=${load%%:*} target=${load#*:}
  for speed in 1 2; do
    name="l$target.x$speed"
    "$bin/membench-record" synth:etc --rate $((target / speed)) --duration "$((secs * speed))s" \
      --connections 8 --keys 10000 --seed "$target" -o "$work/$name.orig.mbp" 2>/dev/null
    # shellcheck disable=SC2086 # replay_args is a list of flags
    capture "$name" "$bin/membench-replay" "$work/$name.orig.mbp" --server "127.0.0.1:$port" \
      --rate "${speed}x" --quiet --json "$work/$name.json" $replay_args
    "$bin/membench-analyze" --compare --json "$work/$name.orig.mbp" "$work/$name.mbp" \
      --speed "$speed" >"$work/$name.cmp.json" 2>/dev/null || true
    python3 - "$work/$name.cmp.json" "$work/$name.json" "$label" "$speed" "$target" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["fidelity"]
r = json.load(open(sys.argv[2]))
v = {k["name"]: k["value"] for k in c["checks"]}
f = lambda x, d=4: "-" if x is None else ("%.*f" % (d, x))
lag = r["schedule_lag_us"]
lat = r["latency_us"]["uncorrected"]
print("%-5s %-5s %8s | %8s %6s %6s %7s %7s %6s %6s %6s | %8.0f %8.0f %8.0f | %s" % (
    sys.argv[3], sys.argv[4] + "x", sys.argv[5], f(v["requests"], 0), f(v["op_mix"]),
    f(v["key_size_ks"]), f(v["value_size_ks"]), f(v["mean_rate_error"]), f(v["rate_series_rms"]),
    f(v["inter_arrival_ks"]), f(v["conn_order"]), lag["p50"], lag["p99"], lat["p99"],
    "PASS" if c["pass"] else "FAIL"))
PY
  done
done
echo "(lag = replayer schedule lag, lat = uncorrected latency, both us; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
