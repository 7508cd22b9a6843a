#!/usr/bin/env bash
# Distributed replay benchmark (issue 10): 1 vs 2 vs 3 MPI ranks on this machine against one
# memcached, in one run. For each rank count: total achieved rate, schedule lag p99 (open loop),
# and client CPU per request (user+sys of mpirun and all ranks, from getrusage(RUSAGE_CHILDREN),
# divided by requests sent); memcached's own CPU per request alongside.
#
# usage: bench/replay/mpi.sh BUILD_DIR [REQUESTS]
#   BUILD_DIR: a build configured with -DMEMBENCH_MPI=ON (Release, not sanitized, for figures)
# Modes per rank count: --rate max (closed loop; the profile's 24 recorded connections spread over
# the ranks) and open-loop targets of 30k and 60k req/s (60k is near this machine's saturation).
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR [REQUESTS]}
N=${2:-300000}
RP=$BUILD/bin/membench-replay
MK=$BUILD/bin/bench-replay-mkprofile
command -v mpirun >/dev/null || { echo "mpirun not installed (openmpi-bin)" >&2; exit 1; }
TMP=$(mktemp -d)
MCPID=
cleanup() { [ -n "$MCPID" ] && kill "$MCPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
"$MK" "$TMP/p.mbp" "$N" 30000 24 90 10000 64 >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
memcached -l 127.0.0.1 -p "$PORT" -U 0 -t 2 "${user[@]}" &
MCPID=$!
sleep 0.3
echo "machine: $(nproc) cores, $(uname -r); memcached -t 2; profile: $N requests, 24 connections, 90% get"
python3 - "$RP" "$TMP" "$PORT" "$MCPID" <<'PY'
import json, os, resource, subprocess, sys
rp, tmp, port, mcpid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tck = os.sysconf("SC_CLK_TCK")
def mc_cpu():
    f = open(f"/proc/{mcpid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tck
def run(np, rate):
    out = f"{tmp}/r.json"
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", str(np),
           rp, f"{tmp}/p.mbp", "--server", f"127.0.0.1:{port}", "--rate", rate, "-q",
           "--json", out]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); m0 = mc_cpu()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN); m1 = mc_cpu()
    j = json.load(open(out))
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    sent = j["requests_sent"]
    behind = sum(1 for k in j.get("ranks", []) if k["behind"])
    return (np, rate, sent, j["achieved_rate"], j["latency_us"]["corrected"]["p99"],
            j["schedule_lag_us"]["p99"], cpu / sent * 1e6, (m1 - m0) / sent * 1e6, behind)
print(f"{'ranks':>5} {'rate':>6} {'sent':>8} {'achieved/s':>11} {'p99 us':>9} {'lag p99 us':>11}"
      f" {'client CPU us/req':>18} {'memcached us/req':>17} {'behind':>6}")
for rate in ("max", "30000", "60000"):
    for np in (1, 2, 3):
        r = run(np, rate)
        print(f"{r[0]:>5} {r[1]:>6} {r[2]:>8} {r[3]:>11.0f} {r[4]:>9.1f} {r[5]:>11.1f}"
              f" {r[6]:>18.2f} {r[7]:>17.2f} {r[8]:>6}")
PY
