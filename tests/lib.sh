# Shell test helpers, sourced by tests/*/*.sh. ctest sets MB_BIN (built binaries) and
# MB_SOURCE_DIR. A test that cannot run here calls mb_skip (exit 77: ctest reports "skipped").
set -euo pipefail

MB_BIN=${MB_BIN:?MB_BIN must point at the build bin directory}
MB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbtest.XXXXXX")
MB_PIDS=()

mb_cleanup() {
  local pid
  for pid in "${MB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${MB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$MB_TMP"
}
trap mb_cleanup EXIT

mb_skip() { echo "skip: $*" >&2; exit 77; }
mb_fail() { echo "FAIL: $*" >&2; exit 1; }
mb_need_root() { [ "$(id -u)" -eq 0 ] || mb_skip "needs root"; }

# mb_expect_status <expected> <command...>: runs command, fails unless it exits <expected>.
mb_expect_status() {
  local want=$1; shift
  local got=0
  "$@" >"$MB_TMP/out" 2>"$MB_TMP/err" || got=$?
  if [ "$got" -ne "$want" ]; then
    echo "--- stdout"; cat "$MB_TMP/out"; echo "--- stderr"; cat "$MB_TMP/err"
    mb_fail "'$*' exited $got, expected $want"
  fi
}

# mb_free_port: prints a free TCP port on 127.0.0.1.
mb_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# mb_start_memcached [extra args]: starts memcached on 127.0.0.1, sets MC_PORT and MC_PID.
mb_start_memcached() {
  command -v memcached >/dev/null || mb_skip "memcached not installed"
  local user=()
  [ "$(id -u)" -eq 0 ] && user=(-u nobody)
  local try
  for try in 1 2 3 4 5; do
    MC_PORT=$(mb_free_port)
    memcached -l 127.0.0.1 -p "$MC_PORT" -U 0 "${user[@]}" "$@" &
    MC_PID=$!
    local i
    for i in $(seq 1 200); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$MC_PORT") 2>/dev/null; then
        MB_PIDS+=("$MC_PID"); return 0
      fi
      kill -0 "$MC_PID" 2>/dev/null || break
      sleep 0.01
    done
    kill "$MC_PID" 2>/dev/null || true
  done
  mb_fail "could not start memcached"
}

# mb_mc_stat <name>: prints one counter from memcached's `stats`.
mb_mc_stat() {
  printf 'stats\r\nquit\r\n' | nc -q 1 127.0.0.1 "$MC_PORT" | tr -d '\r' | awk -v k="$1" '$1=="STAT" && $2==k {print $3}'
}
