#!/usr/bin/python3
"""Drives one raw connection with meta commands (netcat style: pipelined lines, each batch
ended by mn whose MN reply marks the end). Usage: drive_meta.py PORT."""
import socket
import sys

port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))


def batch(data):
    s.sendall(data + b"mn\r\n")
    buf = b""
    while not buf.endswith(b"MN\r\n"):
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("server closed")
        buf += chunk
    return buf


batch(b"flush_all\r\n")
# stores: plain, with flags/ttl, modes, quiet, opaque, key echo, base64 key
batch(b"ms foo 3 T0 F5\r\nbar\r\n"
      b"ms big 20 T100\r\n01234567890123456789\r\n"
      b"ms foo 3 ME\r\nxyz\r\n"                      # add on existing: NS
      b"ms new 2 ME q\r\nab\r\n"                     # add quiet: HD suppressed
      b"ms foo 2 MA O17 k\r\n++\r\n"                 # append with opaque + key echo
      b"ms nokey 2 MR\r\nzz\r\n"                     # replace missing: NS
      b"ms Zm9vYg== 4 b\r\nb64v\r\n"                 # base64 key "foob"
      b"ms foo 3 I\r\nabc\r\n")                      # invalidate mode flag
# reads: hit with value, hit without value, miss, quiet miss (omitted), quiet hit, flags
batch(b"mg foo v\r\n"
      b"mg foo s t f\r\n"
      b"mg missing v\r\n"
      b"mg missing2 v q\r\n"
      b"mg big v q k O99\r\n"
      b"mg Zm9vYg== b v k\r\n"
      b"mg foo T30 v\r\n"                            # touch + get
      b"mg viv N30 v\r\n")                           # autovivify on miss
# quiet miss resolved by the next reply, not by mn
batch(b"mg q1 v q k\r\nmg q2 v q k\r\nmg foo v k\r\nmg q3 v q O1\r\nmg foo v O2\r\n")
# arithmetic
batch(b"ma cnt\r\n"                                  # NF
      b"ma cnt N0 J10 v\r\n"                         # vivify to 10: VA
      b"ma cnt D5 v\r\n"                             # 15
      b"ma cnt MD D3\r\n"                            # HD
      b"ma cnt q\r\n"                                # quiet success: omitted
      b"ma foo\r\n")                                 # non-numeric: CLIENT_ERROR
# deletes
batch(b"md foo\r\nmd foo\r\nmd big q k\r\nmd nothere q k\r\nmd new O5\r\n")
# debug and errors
batch(b"me viv\r\nme nothere\r\nmg\r\nmg foo zz\r\n")
s.sendall(b"quit\r\n")
s.close()
