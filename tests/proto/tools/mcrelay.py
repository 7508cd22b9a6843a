#!/usr/bin/python3
"""Recording TCP relay for memcached test transcripts.

Listens on 127.0.0.1:LISTEN, forwards every accepted connection to 127.0.0.1:TARGET, and writes
each connection's traffic, both directions, in capture order, to OUT-<n>.mct (format in
tests/proto/transcript.h): one event per recv() "> <time_ns> <len>\\n<bytes>\\n" for client ->
server and "< ..." for server -> client, time in ns since the relay started. Runs until SIGTERM
or SIGINT, then closes the files. Loopback only.
"""
import argparse
import os
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--out", required=True, help="output prefix: OUT-<n>.mct per connection")
    args = ap.parse_args()

    t0 = time.monotonic_ns()
    sel = selectors.DefaultSelector()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.listen))
    lsock.listen(64)
    sel.register(lsock, selectors.EVENT_READ, None)
    nconn = 0
    stop = False

    def on_signal(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    open_files = []

    while not stop:
        for key, _ in sel.select(timeout=0.1):
            if key.data is None:
                client, _ = lsock.accept()
                server = socket.create_connection(("127.0.0.1", args.target))
                for s in (client, server):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                f = open(f"{args.out}-{nconn}.mct", "wb")
                f.write(b"# recorded by tests/proto/tools/mcrelay.py\n")
                open_files.append(f)
                nconn += 1
                state = {"f": f, "peer": {}}
                state["peer"][client] = (server, b">")
                state["peer"][server] = (client, b"<")
                sel.register(client, selectors.EVENT_READ, state)
                sel.register(server, selectors.EVENT_READ, state)
                continue
            st = key.data
            sock = key.fileobj
            if sock not in st["peer"]:
                continue
            other, d = st["peer"][sock]
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (sock, other):
                    if s in st["peer"]:
                        sel.unregister(s)
                        del st["peer"][s]
                        s.close()
                st["f"].flush()
                continue
            now = time.monotonic_ns() - t0
            st["f"].write(b"%s %d %d\n" % (d, now, len(data)) + data + b"\n")
            other.sendall(data)
    for f in open_files:
        f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
