#!/usr/bin/python3
"""Drives one raw binary-protocol connection through every opcode, quiet variants included.
Each batch ends with a noop, whose reply marks the end. Usage: drive_binary.py PORT."""
import socket
import struct
import sys

port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
opaque = 0


def pkt(op, key=b"", extras=b"", value=b"", cas=0):
    global opaque
    opaque += 1
    body = len(extras) + len(key) + len(value)
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0, body, opaque,
                       cas) + extras + key + value


def batch(data):
    s.sendall(data + pkt(0x0a))
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("server closed")
        buf += chunk
        # walk the packets; stop after the noop reply
        off = 0
        done = False
        while off + 24 <= len(buf):
            body = struct.unpack(">I", buf[off + 8:off + 12])[0]
            if off + 24 + body > len(buf):
                break
            if buf[off + 1] == 0x0a:
                done = True
            off += 24 + body
        if done:
            return buf


SETX = struct.pack(">II", 7, 0)
batch(pkt(0x08))                                                  # flush
batch(pkt(0x01, b"a", SETX, b"alpha") + pkt(0x01, b"b", SETX, b"beta") +
      pkt(0x11, b"c", SETX, b"gamma"))                            # set, set, setq
batch(pkt(0x00, b"a") + pkt(0x00, b"zz") + pkt(0x0c, b"b"))       # get hit, get miss, getk
batch(pkt(0x0d, b"a") + pkt(0x0d, b"nope") + pkt(0x0d, b"c") +
      pkt(0x09, b"nope2"))                                        # getkq x3, getq miss
batch(pkt(0x02, b"a", SETX, b"x") + pkt(0x03, b"nokey", SETX, b"x") +
      pkt(0x12, b"d", SETX, b"delta"))                            # add exists, replace miss, addq
batch(pkt(0x0e, b"a", b"", b"++") + pkt(0x0f, b"a", b"", b"--") +
      pkt(0x19, b"b", b"", b"!"))                                 # append, prepend, appendq
batch(pkt(0x05, b"n", struct.pack(">QQI", 5, 10, 0)) +            # incr creates 10
      pkt(0x05, b"n", struct.pack(">QQI", 5, 10, 0)) +            # 15
      pkt(0x06, b"n", struct.pack(">QQI", 20, 0, 0)) +            # decr -> 0
      pkt(0x05, b"m", struct.pack(">QQI", 1, 0, 0xffffffff)) +    # not found
      pkt(0x15, b"n", struct.pack(">QQI", 1, 0, 0)))              # incrq
batch(pkt(0x1c, b"a", struct.pack(">I", 100)) + pkt(0x1d, b"b", struct.pack(">I", 100)) +
      pkt(0x1e, b"nope", struct.pack(">I", 100)) + pkt(0x23, b"a", struct.pack(">I", 0)))
batch(pkt(0x01, b"a", SETX, b"cas", cas=12345))                  # cas mismatch: exists
batch(pkt(0x04, b"a") + pkt(0x04, b"a") + pkt(0x14, b"b") + pkt(0x14, b"nope"))
# (no verbosity: memcached 1.6 answers it "unknown command" and then misreads its extras)
batch(pkt(0x0b) + pkt(0x10) + pkt(0x10, b"settings"))
batch(pkt(0x42))                                                 # unknown opcode
batch(pkt(0x18) + pkt(0x01, b"big", SETX, bytes(range(256)) * 100))
s.sendall(pkt(0x07))                                              # quit: answered, then closed
s.recv(100)
s.close()
