#!/usr/bin/python3
"""A real memcached client workload for the demo and the end-to-end tests.

Usage: mixed-client.py PORT OPS [SEED]

pymemcache (Debian's python3-pymemcache, hence /usr/bin/python3) against 127.0.0.1:PORT, OPS
operations with a fixed seed: 60% get, 20% set (10 B - 5 KB values, 300 s TTL), 10% 8-key
multiget, 10% delete, over 501 keys "user:N", with a random think time between operations
(exponential, mean 1 ms: a client waits for its user, not for a metronome). The same seed
(default 1) gives the same traffic; clients started together with different seeds make a
mixed, moderate-rate load.
"""
import random
import sys
import time

from pymemcache.client.base import Client

port, ops = int(sys.argv[1]), int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
c = Client(("127.0.0.1", port))
rnd = random.Random(seed)
for _ in range(ops):
    k = "user:%d" % rnd.randint(0, 500)
    r = rnd.random()
    if r < 0.6:
        c.get(k)
    elif r < 0.8:
        c.set(k, b"x" * rnd.choice([10, 100, 1000, 5000]), expire=300)
    elif r < 0.9:
        c.get_many(["user:%d" % rnd.randint(0, 500) for _ in range(8)])
    else:
        c.delete(k)
    time.sleep(rnd.expovariate(1000.0))
c.close()
