#!/usr/bin/env python3
"""A deliberately slow memcached text-protocol server for the replayer's memory-bound test.

usage: slow_server.py PORTFILE [CHUNK_BYTES] [PAUSE_S] [LOGFILE]

Listens on 127.0.0.1 (a free port, written to PORTFILE once listening) and answers each
connection in its own thread: `set/add/replace` -> STORED once the whole value has been read,
`get` -> END, `stats` -> END, `version` -> VERSION, `quit` closes. It reads at most CHUNK_BYTES
(default 65536) per recv() and then sleeps PAUSE_S (default 0.0005 s), i.e. ~100 MB/s: a client
sending 1 MB values fills its socket buffer (the server's receive buffer is fixed at 128 KiB)
and must wait for it to drain. With LOGFILE, each recv() appends a line to it as it happens:
the CLOCK_MONOTONIC time (ns) at which it returned and the first word received (a test then
knows when a request arrived, and that its reply follows PAUSE_S later).
"""
import os
import socket
import sys
import threading
import time


def serve(conn, chunk, pause, log):
    buf = b""
    need = 0  # bytes of a value (+ \r\n) still to be read
    with conn:
        while True:
            data = conn.recv(chunk)
            if not data:
                return
            if log:
                with open(log, "a") as f:
                    word = data.split(maxsplit=1)[0].decode(errors="replace") if data.split() else "-"
                    f.write("%d %s\n" % (time.monotonic_ns(), word))
            time.sleep(pause)
            buf += data
            out = []
            while True:
                if need:
                    take = min(need, len(buf))
                    buf = buf[take:]
                    need -= take
                    if need:
                        break
                    out.append(b"STORED\r\n")
                    continue
                nl = buf.find(b"\r\n")
                if nl < 0:
                    break
                words = buf[:nl].split()
                buf = buf[nl + 2:]
                cmd = words[0] if words else b""
                if cmd in (b"set", b"add", b"replace") and len(words) >= 5:
                    need = int(words[4]) + 2
                elif cmd == b"version":
                    out.append(b"VERSION 0.0-slow\r\n")
                elif cmd == b"quit":
                    return
                elif cmd in (b"get", b"gets", b"stats"):
                    out.append(b"END\r\n")
                else:
                    out.append(b"ERROR\r\n")
            if out:
                conn.sendall(b"".join(out))


def main():
    portfile = sys.argv[1]
    chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 65536
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0005
    log = sys.argv[4] if len(sys.argv) > 4 else None
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # a small fixed receive buffer (inherited by accepted sockets; no autotuning to MBs), so
    # the kernel holds little of what the client sends and the client's own buffers fill
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 128 * 1024)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, chunk, pause, log), daemon=True).start()


if __name__ == "__main__":
    main()
