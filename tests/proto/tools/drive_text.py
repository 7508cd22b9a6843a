#!/usr/bin/python3
"""Drives one raw text connection (netcat style) through the corners: a 100-key multiget, a
40 KB value (more than memcached's 16 KiB read buffer), gat/gats, stats sub-commands, verbosity,
noreply, and commands memcached refuses. Each batch is pipelined and ends with mn, whose MN reply marks the end. Usage: drive_text.py PORT."""
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
batch(b"".join(b"set key:%d 0 0 %d noreply\r\n%s\r\n" % (i, i % 7, b"v" * (i % 7))
               for i in range(0, 100, 3)))
batch(b"get " + b" ".join(b"key:%d" % i for i in range(100)) + b"\r\n")
big = bytes((i * 7) % 251 for i in range(40000))
batch(b"set big 9 0 %d\r\n%s\r\n" % (len(big), big))
batch(b"get big\r\ngets big key:3\r\n")
batch(b"gat 100 big key:0 nokey\r\ngats 0 key:3\r\ntouch key:6 10 noreply\r\n")
batch(b"stats\r\nstats settings\r\nstats items\r\nstats slabs\r\nstats sizes\r\nstats detail dump\r\n")
batch(b"verbosity 1\r\nverbosity 0 noreply\r\nversion\r\n")
batch(b"incr key:3 1\r\n")                             # value "vvv": CLIENT_ERROR non-numeric
batch(b"set cnt 0 0 1\r\n5\r\nincr cnt 18446744073709551615\r\ndecr cnt 100\r\n")
batch(b"bogus command\r\nget\r\n")                      # ERROR, ERROR
batch(b"set neg 0 0 -1\r\nabc\r\n")                     # CLIENT_ERROR, then "abc" -> ERROR
batch(b"set k" + b"x" * 300 + b" 0 0 1\r\n1\r\n")     # key too long: CLIENT_ERROR, "1" -> ERROR
batch(b"cas big 0 0 1 1\r\nx\r\ncas nokey 0 0 1 1\r\ny\r\n")
batch(b"delete big 0\r\ndelete big\r\ndelete key:0 noreply\r\nflush_all 0\r\n")
s.sendall(b"quit\r\n")
s.close()
