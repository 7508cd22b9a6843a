#!/usr/bin/env bash
# Regenerates the codec's test vectors in tests/proto/transcripts/: starts a real memcached on
# 127.0.0.1 and a recording relay (mcrelay.py) in front of it, runs real clients through the
# relay (libmemcached-tools with and without --binary, python3-pymemcache, raw text/meta/binary
# drivers), and keeps one transcript per client connection. Then writes NAME.expect with the
# codec's rendering (build/.../proto_dump), to be reviewed by hand before committing.
# Usage: make_transcripts.sh PROTO_DUMP_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../transcripts
dump=${1:?usage: make_transcripts.sh path/to/proto_dump}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
user=(); [ "$(id -u)" -eq 0 ] && user=(-u nobody)
mc=$(freeport)
memcached -l 127.0.0.1 -p "$mc" -U 0 "${user[@]}" & pids+=($!)
sleep 0.3

# run NAME CMD...: records the client's connections as NAME-<n>.mct
run() {
  local name=$1; shift
  local rp; rp=$(freeport)
  /usr/bin/python3 "$here/mcrelay.py" --listen "$rp" --target "$mc" --out "$tmp/$name" &
  local relay=$!
  sleep 0.3
  RELAY_PORT=$rp "$@" >/dev/null 2>&1 || echo "note: $name client exited $?" >&2
  sleep 0.2
  kill "$relay"; wait "$relay" 2>/dev/null || true
}

printf 'hello world\n' > "$tmp/small.txt"
head -c 20000 /dev/urandom > "$tmp/blob.bin"
srv() { echo "--servers=127.0.0.1:$RELAY_PORT"; }
run text_pymemcache sh -c '/usr/bin/python3 '"$here"'/drive_pymemcache.py $RELAY_PORT'
run text_raw sh -c '/usr/bin/python3 '"$here"'/drive_text.py $RELAY_PORT'
run meta_raw sh -c '/usr/bin/python3 '"$here"'/drive_meta.py $RELAY_PORT'
run binary_raw sh -c '/usr/bin/python3 '"$here"'/drive_binary.py $RELAY_PORT'
for mode in text binary; do
  b=(); [ $mode = binary ] && b=(--binary)
  run ${mode}_memccp sh -c 'memccp '"${b[*]}"' --servers=127.0.0.1:$RELAY_PORT '"$tmp"'/small.txt '"$tmp"'/blob.bin'
  run ${mode}_memccat sh -c 'memccat '"${b[*]}"' --servers=127.0.0.1:$RELAY_PORT small.txt blob.bin nothere'
  run ${mode}_memcslap sh -c 'memcslap '"${b[*]}"' --servers=127.0.0.1:$RELAY_PORT --concurrency=1 --execute-number=12 --test=set; memcslap '"${b[*]}"' --servers=127.0.0.1:$RELAY_PORT --concurrency=1 --execute-number=12 --test=get'
  run ${mode}_memctools sh -c 'memcexist '"${b[*]}"' --servers=127.0.0.1:$RELAY_PORT small.txt; memctouch '"${b[*]}"' --servers=127.0.0.1:$RELAY_PORT --expire=100 small.txt; memcrm '"${b[*]}"' --servers=127.0.0.1:$RELAY_PORT small.txt nothere; memcflush '"${b[*]}"' --servers=127.0.0.1:$RELAY_PORT'
done

mkdir -p "$out"
for f in "$tmp"/*.mct; do
  base=$(basename "$f" .mct)
  # skip empty connections (a client that connected and said nothing)
  grep -qa '^>' "$f" || continue
  cp "$f" "$out/$base.mct"
  "$dump" "$out/$base.mct" > "$out/$base.expect"
done
ls -la "$out"
