#!/usr/bin/env bash
# TLS and authentication of membench-replay's connections (issue 19), against real memcached:
#   -Z  TLS with a self-signed certificate made here with the openssl command; every protocol
#       (text, meta, binary) sends every request once with 0 errors, the server's own counters
#       (read over TLS with `openssl s_client`) agree; an untrusted certificate or a wrong --sni
#       fails with exit 5 naming HOST:PORT and OpenSSL's reason, and nothing is sent; it runs
#       with --tls-skip-verify; a client certificate is required by ssl_verify_mode=2 and
#       presented with --cert/--key; reconnects resume their TLS session.
#   -Y  the auth file: text and meta with --authenticate USER:PASSWORD and @FILE; a wrong
#       password is exit 5 with one line, before any request is sent.
#   -S  SASL (a sasldb made here with saslpasswd2): binary with --authenticate, and with --tls
#       too; a wrong password is exit 5.
source "$(dirname "$0")/../lib.sh"

command -v memcached >/dev/null || mb_skip "memcached not installed"
command -v openssl >/dev/null || mb_skip "openssl not installed"
command -v python3 >/dev/null || mb_skip "python3 not installed"
RP=$MB_BIN/membench-replay
MK=$MB_BIN/bench-replay-mkprofile
[ -x "$MK" ] || mb_fail "$MK not built"
chmod 755 "$MB_TMP" # memcached runs as nobody: it must read the certificates and auth files
T=$MB_TMP

# ---- fixtures ---------------------------------------------------------------------------
mkcert() { # NAME SUBJECT_ALT_NAMES
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.pem" -days 2 \
    -subj "/CN=$1" -addext "subjectAltName=$2" 2>/dev/null || mb_fail "openssl req failed"
  chmod 644 "$T/$1.key" "$T/$1.pem"
}
mkcert server "IP:127.0.0.1,DNS:localhost"
mkcert other "IP:127.0.0.1,DNS:localhost"   # a different self-signed certificate: not trusted
mkcert client "DNS:membench-client"
N=600
for p in text meta binary; do
  "$MK" "$T/$p.mbp" $N 2000 4 50 300 64 $p >/dev/null
done
TLSOPT=ssl_chain_cert=$T/server.pem,ssl_key=$T/server.key
printf 'alice:s3cret\n' >"$T/auth.txt"
chmod 644 "$T/auth.txt"

# json FILE EXPR: a value of the replay's JSON report (python expression on `j`)
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# replay NAME EXPECTED_RC args...: runs the replay (JSON in $T/NAME.json, stderr in $T/NAME.err)
replay() {
  local name=$1 want=$2; shift 2
  local got=0
  timeout 60 "$RP" "$@" -q --json "$T/$name.json" >"$T/$name.out" 2>"$T/$name.err" || got=$?
  if [ "$got" -ne "$want" ]; then
    cat "$T/$name.out" "$T/$name.err"
    mb_fail "$name: exit $got, expected $want"
  fi
}

# all_sent NAME: every request sent once and answered, 0 errors
all_sent() {
  local s e r
  s=$(json "$T/$1.json" 'j["requests_sent"]')
  r=$(json "$T/$1.json" 'j["responses"]')
  e=$(json "$T/$1.json" 'j["errors"]["total"]')
  [ "$s" -eq $N ] && [ "$r" -eq $N ] && [ "$e" -eq 0 ] ||
    { cat "$T/$1.err"; mb_fail "$1: sent $s, answered $r, errors $e (expected $N, $N, 0)"; }
}

# counts of gets and sets in a profile's first run (from the replay's per-command figures)
op_sent() { json "$T/$1.json" "sum(v['sent'] for k, v in j['commands'].items() if k in ($2,))"; }

# tls_stat PORT NAME [s_client args]: a counter of the TLS server, read with openssl s_client
tls_stat() {
  local port=$1 name=$2; shift 2
  printf 'stats\r\nquit\r\n' |
    timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" -verify_quiet "$@" 2>/dev/null |
    tr -d '\r' | awk -v k="$name" '$1=="STAT" && $2==k {print $3}'
}
get_set() { echo $(( $(tls_stat "$@" cmd_get) + $(tls_stat "$@" cmd_set) )); }

# ---- TLS (-Z) ----------------------------------------------------------------------------
mb_start_memcached -Z -o "$TLSOPT"
P=$MC_PORT
for p in text meta binary; do
  b=$(get_set $P)
  replay tls-$p 0 "$T/$p.mbp" --server 127.0.0.1:$P --tls --cacert "$T/server.pem"
  all_sent tls-$p
  a=$(get_set $P)
  [ $((a - b)) -eq $N ] || mb_fail "tls-$p: the server counted $((a - b)) gets+sets, expected $N"
  hs=$(json "$T/tls-$p.json" 'j["tls"]["handshakes"]')
  [ "$hs" -ge 4 ] || mb_fail "tls-$p: $hs TLS handshakes for 4 connections"
  echo "tls $p: $N requests, 0 errors, server +$((a - b)), $hs handshakes"
done

# an untrusted certificate, a wrong name: exit 5, host:port and the reason; nothing sent
b=$(get_set $P)
replay untrusted 5 "$T/text.mbp" --server 127.0.0.1:$P --tls
grep -q "127.0.0.1:$P" "$T/untrusted.err" && grep -q "certificate verify failed" "$T/untrusted.err" ||
  { cat "$T/untrusted.err"; mb_fail "untrusted: the message does not name the server and the reason"; }
[ "$(wc -l <"$T/untrusted.err")" -eq 1 ] || { cat "$T/untrusted.err"; mb_fail "untrusted: not one line"; }
echo "untrusted: $(cat "$T/untrusted.err")"
replay other-ca 5 "$T/text.mbp" --server 127.0.0.1:$P --cacert "$T/other.pem"
grep -q "certificate verify failed" "$T/other-ca.err" || mb_fail "other CA: $(cat "$T/other-ca.err")"
replay wrong-sni 5 "$T/text.mbp" --server 127.0.0.1:$P --cacert "$T/server.pem" --sni db.example
grep -q "127.0.0.1:$P.*hostname mismatch" "$T/wrong-sni.err" || mb_fail "wrong sni: $(cat "$T/wrong-sni.err")"
[ "$(get_set $P)" -eq "$b" ] || mb_fail "a failed handshake still sent requests"
replay sni 0 "$T/text.mbp" --server 127.0.0.1:$P --cacert "$T/server.pem" --sni localhost
all_sent sni
replay skip-verify 0 "$T/text.mbp" --server 127.0.0.1:$P --tls --tls-skip-verify
all_sent skip-verify
# plain text to a TLS port: the handshake error names the server, exit 5 (the check is TLS-aware)
replay not-tls 5 "$T/text.mbp" --server 127.0.0.1:$(mb_free_port) --tls --tls-skip-verify

# reconnects resume their session: the server stops answering for a while (SIGSTOP), --timeout
# drops the connections, they reconnect with the ticket the server gave them
"$MK" "$T/long.mbp" 2000 1000 2 50 300 64 text >/dev/null
timeout 60 "$RP" "$T/long.mbp" --server 127.0.0.1:$P --cacert "$T/server.pem" --timeout 200ms -q \
  --json "$T/resume.json" 2>"$T/resume.err" & R=$!
sleep 0.8; kill -STOP "$MC_PID"; sleep 0.5; kill -CONT "$MC_PID"
wait $R || { cat "$T/resume.err"; mb_fail "resume: the replay failed"; }
rec=$(json "$T/resume.json" 'j["reconnects"]')
res=$(json "$T/resume.json" 'j["tls"]["resumed"]')
echo "resume: $rec reconnects, $res resumed TLS sessions"
[ "$rec" -ge 1 ] && [ "$res" -ge "$rec" ] || mb_fail "resume: $res of $rec reconnects resumed"

# a client certificate, required by the server
mb_start_memcached -Z -o "$TLSOPT,ssl_verify_mode=2,ssl_ca_cert=$T/client.pem"
replay no-client-cert 5 "$T/text.mbp" --server 127.0.0.1:$MC_PORT --cacert "$T/server.pem"
# OpenSSL's alert, or (when the server's reset overtakes its alert) the hint at --cert/--key
grep -q "127.0.0.1:$MC_PORT: .*certificate required\|127.0.0.1:$MC_PORT: .*client certificate" \
  "$T/no-client-cert.err" ||
  mb_fail "no client certificate: $(cat "$T/no-client-cert.err")"
echo "no client certificate: $(cat "$T/no-client-cert.err")"
replay client-cert 0 "$T/text.mbp" --server 127.0.0.1:$MC_PORT --cacert "$T/server.pem" \
  --cert "$T/client.pem" --key "$T/client.key"
all_sent client-cert
echo "client certificate: refused without, $N requests with"

# ---- auth file (-Y), text and meta ------------------------------------------------------
mb_start_memcached -Y "$T/auth.txt"
P=$MC_PORT
ystat() { # counter of the -Y server (authenticating first)
  printf 'set a 0 0 12\r\nalice s3cret\r\nstats\r\nquit\r\n' | nc -q 1 127.0.0.1 $P | tr -d '\r' |
    awk -v k="$1" '$1=="STAT" && $2==k {print $3}'
}
for p in text meta; do
  g=$(ystat cmd_get); s=$(ystat cmd_set)
  replay y-$p 0 "$T/$p.mbp" --server 127.0.0.1:$P --authenticate alice:s3cret
  all_sent y-$p
  dg=$(( $(ystat cmd_get) - g )); ds=$(( $(ystat cmd_set) - s ))
  gets=$(op_sent y-$p "'get','mg'"); sets=$(op_sent y-$p "'set','ms'")
  # (an authenticating set is not counted as a set by memcached)
  [ "$dg" -eq "$gets" ] && [ "$ds" -eq "$sets" ] ||
    mb_fail "-Y $p: server +$dg gets +$ds sets; replay sent $gets gets, $sets sets"
  echo "-Y $p: $N requests, 0 errors; server +$dg gets, +$ds sets"
done
replay y-file 0 "$T/text.mbp" --server 127.0.0.1:$P --authenticate "@$T/auth.txt"
all_sent y-file
g=$(ystat cmd_get)
replay y-wrong 5 "$T/text.mbp" --server 127.0.0.1:$P --authenticate alice:wrong
[ "$(wc -l <"$T/y-wrong.err")" -eq 1 ] && grep -q "127.0.0.1:$P.*rejected" "$T/y-wrong.err" ||
  { cat "$T/y-wrong.err"; mb_fail "-Y wrong password: not one line naming the server"; }
[ "$(ystat cmd_get)" -eq $((g)) ] || mb_fail "-Y wrong password: requests were sent"
grep -q s3cret "$T/y-wrong.err" && mb_fail "the message shows a password"
echo "-Y wrong password: $(cat "$T/y-wrong.err")"

# ---- SASL (-S), binary; with TLS too ----------------------------------------------------
if ! command -v saslpasswd2 >/dev/null; then
  echo "saslpasswd2 not installed (sasl2-bin): -S part skipped" >&2
  exit 0
fi
mkdir "$T/sasl"
echo s3cret | saslpasswd2 -a memcached -c -f "$T/sasl/db" -p alice
printf 'mech_list: plain\nsasldb_path: %s\n' "$T/sasl/db" >"$T/sasl/memcached.conf"
chmod 755 "$T/sasl"; chmod 644 "$T/sasl/"*
export SASL_CONF_PATH=$T/sasl
mb_start_memcached -S
replay s-bin 0 "$T/binary.mbp" --server 127.0.0.1:$MC_PORT --authenticate alice:s3cret
all_sent s-bin
# the replay's own stats connection authenticated too: its delta is there, and exact
dg=$(json "$T/s-bin.json" 'j["server_stats"][0]["delta"]["cmd_get"]')
[ "$dg" -eq "$(op_sent s-bin "'get'")" ] || mb_fail "-S: server delta $dg gets"
replay s-wrong 5 "$T/binary.mbp" --server 127.0.0.1:$MC_PORT --authenticate alice:wrong
grep -q "127.0.0.1:$MC_PORT.*rejected" "$T/s-wrong.err" || mb_fail "-S wrong: $(cat "$T/s-wrong.err")"
echo "-S wrong password: $(cat "$T/s-wrong.err")"
mb_start_memcached -S -Z -o "$TLSOPT"
replay s-tls 0 "$T/binary.mbp" --server 127.0.0.1:$MC_PORT --authenticate alice:s3cret \
  --cacert "$T/server.pem" --warm
all_sent s-tls
echo "-S -Z binary: $N requests, 0 errors, $(json "$T/s-tls.json" 'j["warm"]["stored"]') warmed"
echo "ok"
