#!/usr/bin/env python3
"""memcached's time inside BPF programs, from a perf profile of its CPU (bench/record).

usage: perf script -F comm,ip,sym -i perf.data | perf_bpf.py OPS
  perf.data: `perf record -F 4000 -e cpu-clock -C <memcached's CPU> -g` (a sample is 250 us of
  CPU); OPS: memcached's requests over the profiled interval.
prints, in ns per request:
  total MC_NS BPF_NS     memcached's threads (comm mc-* or memcached), and the part of it in
                         samples with a bpf_prog_ frame on their stack
  prog NAME NS           that part by outermost BPF program, largest first
  leaf NAME NS           and by leaf function (where the programs spend or wait)
"""
import collections
import re
import sys

ops = max(int(sys.argv[1]), 1)
samples, cur = [], None
for line in sys.stdin:
    if not line.strip():
        if cur:
            samples.append(cur)
        cur = None
    elif not line[0].isspace():
        cur = (line.split()[0], [])
    elif cur is not None and len(line.split()) >= 2:
        cur[1].append(line.split()[1])
if cur:
    samples.append(cur)


def name(frame):
    return re.sub(r"^bpf_prog_[0-9a-f]+_", "", frame)


def ns(n):
    return n * 250000.0 / ops


mc = [st for comm, st in samples if comm.startswith("mc-") or comm == "memcached"]
bpf = [st for st in mc if any(f.startswith("bpf_prog_") for f in st)]
print("total %.0f %.0f" % (ns(len(mc)), ns(len(bpf))))
progs = collections.Counter(name([f for f in st if f.startswith("bpf_prog_")][-1]) for st in bpf)
for k, n in progs.most_common():
    print("prog %s %.0f" % (k, ns(n)))
for k, n in collections.Counter(name(st[0]) for st in bpf).most_common():
    print("leaf %s %.0f" % (k, ns(n)))
