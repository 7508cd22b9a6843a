#!/usr/bin/python3
"""Drives one pymemcache (text protocol) connection through every command it has, with and
without noreply. Usage: drive_pymemcache.py PORT. Outcomes are fixed by the order (the server is
flushed first), so the transcript's expected statuses are known."""
import sys

from pymemcache.client.base import Client

port = int(sys.argv[1])
c = Client(("127.0.0.1", port), default_noreply=False)
c.flush_all()
c.set("k1", b"v1", expire=100)                    # STORED
c.set("k2", b"value2", noreply=True)              # noreply
assert c.get("k1") == b"v1"                       # hit
assert c.get("missing") is None                   # miss
got = c.get_many(["k1", "k2", "missing", "k3"])   # hit hit miss miss
assert set(got) == {"k1", "k2"}
v, cas = c.gets("k1")
assert c.cas("k1", b"x", cas) is True             # STORED
assert c.cas("k1", b"y", cas) is False            # EXISTS
assert c.cas("nokey", b"y", cas) is None          # NOT_FOUND
assert c.add("k1", b"a") is False                 # NOT_STORED
assert c.add("k4", b"a") is True                  # STORED
assert c.replace("nokey", b"r") is False          # NOT_STORED
assert c.append("k1", b"++") is True
assert c.prepend("k1", b"--") is True
assert c.incr("n", 1) is None                     # NOT_FOUND
c.set("n", b"10", flags=3)
assert c.incr("n", 5) == 15
assert c.decr("n", 3) == 12
assert c.touch("k1", 50) is True                  # TOUCHED
assert c.touch("nokey", 50) is False              # NOT_FOUND
assert c.delete("k4") is True                     # DELETED
assert c.delete("k4") is False                    # NOT_FOUND
c.delete("k2", noreply=True)
c.set_many({"m1": b"1", "m2": b"22", "m3": b"333"}, noreply=False)
assert len(c.get_multi(["m1", "m2", "m3"])) == 3
c.stats()
c.stats("settings")
c.version()
c.flush_all(noreply=True)
c.quit()
