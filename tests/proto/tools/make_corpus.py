#!/usr/bin/python3
"""Seeds the fuzz corpora (tests/proto/corpus/{request,response}/) from the recorded
transcripts: each seed is one selector byte and the first bytes of one direction's stream."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
tdir = os.path.join(here, "..", "transcripts")
cdir = os.path.join(here, "..", "corpus")


def streams(path):
    d = open(path, "rb").read()
    out = {b">": b"", b"<": b""}
    i = 0
    while i < len(d):
        j = d.index(b"\n", i)
        line = d[i:j]
        if line.startswith(b"#") or not line:
            i = j + 1
            continue
        dr, _, n = line.split()
        n = int(n)
        out[dr] += d[j + 1:j + 1 + n]
        i = j + 2 + n
    return out


seeds = {"text_pymemcache-0": 0, "text_raw-0": 0, "meta_raw-0": 1, "binary_raw-0": 2,
         "binary_memcslap-0": 2, "text_memcslap-1": 0}
for name, sel in seeds.items():
    s = streams(os.path.join(tdir, name + ".mct"))
    for dr, sub in ((b">", "request"), (b"<", "response")):
        os.makedirs(os.path.join(cdir, sub), exist_ok=True)
        with open(os.path.join(cdir, sub, "seed-" + name), "wb") as f:
            f.write(bytes([sel + 3 * 7]) + s[dr][:1500])
