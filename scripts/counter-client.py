#!/usr/bin/python3
"""A client mix that depends on what the server holds, for the end-to-end fidelity test.

Usage: counter-client.py PORT OPS [SEED]

Two connections to 127.0.0.1:PORT from one thread, each on keys of its own (so the outcomes depend only on each
connection's own order, which a replay keeps):
- pymemcache (Debian's python3-pymemcache): counters set by the client to decimal numbers then
  incr/decr'd, documents read with gets then updated with cas (now and then with a unique made
  stale by a set in between: exists, as a race in production would be), touch, sets with an
  absolute expiration time (a unix time an hour ahead: memcached reads exptime > 30 days so),
  gets that hit and miss;
- raw meta lines: ma with N0 J13 (creates the counter with 13 when missing), ma MD D2, mg v c
  then ms ... C<unique> with a number.
OPS operations in all, with a fixed seed and a think time (exponential, mean 1 ms) after each
and between the two halves of a pair (gets then cas, touch then get, mg then ms, ...).
"""
import random
import socket
import sys
import time

from pymemcache.client.base import Client

port, ops = int(sys.argv[1]), int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
rnd = random.Random(seed)
c = Client(("127.0.0.1", port), default_noreply=False)
m = socket.create_connection(("127.0.0.1", port))
mf = m.makefile("rb")


def think():
    time.sleep(rnd.expovariate(1000.0))


def meta(line, data=None):
    """Sends one meta command (and its data block); returns the response line's tokens and the
    value of a VA response."""
    m.sendall(line.encode() + b"\r\n" + (data + b"\r\n" if data is not None else b""))
    tok = mf.readline().decode().split()
    val = None
    if tok and tok[0] == "VA":
        val = mf.read(int(tok[1]) + 2)[:-2]
    return tok, val


NK = 40
for k in range(NK):
    c.set("ctr:%d" % k, str(rnd.randint(0, 10**6)))
    c.set("doc:%d" % k, b"d" * rnd.choice([10, 100, 1000]))
    c.set("tch:%d" % k, b"t" * 50, expire=600)
for _ in range(ops):
    k = rnd.randrange(NK)
    r = rnd.random()
    if r < 0.25:
        c.incr("ctr:%d" % k, rnd.randint(1, 5))
    elif r < 0.35:
        c.decr("ctr:%d" % k, 1)
    elif r < 0.40:
        c.set("ctr:%d" % k, str(rnd.randint(0, 99)))
    elif r < 0.55:
        key = "doc:%d" % k
        v, unique = c.gets(key)
        think()
        if rnd.random() < 0.2:  # someone else wrote in between: the unique is stale
            c.set(key, b"x" * 20)
            think()
        c.cas(key, b"d" * rnd.choice([10, 100, 1000]), unique)
    elif r < 0.65:
        c.touch("tch:%d" % k, expire=rnd.choice([300, 600]))
        think()
        c.get("tch:%d" % k)
    elif r < 0.75:
        c.set("abs:%d" % k, b"a" * 30, expire=int(time.time()) + 3600)
        think()
        c.get("abs:%d" % k)
    elif r < 0.82:
        meta("ma mctr:%d N0 J13 v" % k)
    elif r < 0.87:
        meta("ma mctr:%d MD D2 v" % k)
    elif r < 0.93:
        tok, val = meta("mg mctr:%d v c" % k)
        if tok[0] == "VA":
            unique = [t[1:] for t in tok if t.startswith("c")][0]
            n = str(rnd.randint(0, 999)).encode()
            think()
            meta("ms mctr:%d %d C%s T0" % (k, len(n), unique), n)
    else:
        c.get("nokey:%d" % rnd.randrange(10**6))  # a miss
    think()
c.close()
m.close()
