# root-bpf: a replay over TLS (membench-replay --tls against memcached -Z, self-signed certificate
# made here) next to a plain one, both recorded: the TLS connections are said to carry TLS once
# and skipped (0 records, 0 protocol errors, counted in the summary), the plain ones recorded.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf
command -v openssl >/dev/null || mb_skip "openssl not installed"
chmod 755 "$MB_TMP" # memcached runs as nobody
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$MB_TMP/key.pem" -out "$MB_TMP/cert.pem" \
  -days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
chmod 644 "$MB_TMP/key.pem" "$MB_TMP/cert.pem"
"$MB_BIN/bench-replay-mkprofile" "$MB_TMP/p.mbp" 400 2000 2 >/dev/null
mb_start_memcached -Z -o "ssl_chain_cert=$MB_TMP/cert.pem,ssl_key=$MB_TMP/key.pem"
TLS_PORT=$MC_PORT
mb_start_memcached
PLAIN_PORT=$MC_PORT

rec_start tls ebpf:any --port "$TLS_PORT" --port "$PLAIN_PORT"
"$MB_BIN/membench-replay" "$MB_TMP/p.mbp" --server 127.0.0.1:$TLS_PORT --tls \
  --cacert "$MB_TMP/cert.pem" -q || mb_fail "TLS replay failed"
"$MB_BIN/membench-replay" "$MB_TMP/p.mbp" --server 127.0.0.1:$PLAIN_PORT -q ||
  mb_fail "plain replay failed"
sleep 0.5
rec_stop
cat "$MB_TMP/rec.err"
[ "$(grep -c "carries TLS" "$MB_TMP/rec.err")" -eq 1 ] || mb_fail "the TLS warning is not said once"
grep -q "TLS connections skipped" "$MB_TMP/rec.err" || mb_fail "no TLS count in the summary"
rec_dump tls
# the plain replay's 400 requests (beside them, its two stats commands)
expect_eq "gets and sets" "$(rec_count tls '$4=="get" || $4=="set"')" 400
expect_eq "protocol errors" "$(rec_stat tls protocol_errors)" 0
echo ok
