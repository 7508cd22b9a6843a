"""jsondiff.py A.json B.json [--skip PREFIX ...] [--only PREFIX ...]: compares two
`membench analyze --json` outputs field by field (flattened paths like .value_size.p99), prints
every difference and exits 1 if there is one. --skip leaves out paths starting with a prefix;
--only compares just the paths starting with one of the prefixes. Used by the round-trip tests
(test_export_roundtrip.sh) to state exactly which figures a format carries."""
import json
import sys


def flat(x, p, out):
    if isinstance(x, dict):
        for k, v in x.items():
            flat(v, p + "." + k, out)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            flat(v, "%s[%d]" % (p, i), out)
    else:
        out[p] = x
    return out


def main():
    a = flat(json.load(open(sys.argv[1])), "", {})
    b = flat(json.load(open(sys.argv[2])), "", {})
    skip, only, mode = [], [], None
    for arg in sys.argv[3:]:
        if arg in ("--skip", "--only"):
            mode = arg
        elif mode == "--skip":
            skip.append(arg)
        elif mode == "--only":
            only.append(arg)
    keep = lambda k: not any(k.startswith(s) for s in skip) and (
        not only or any(k.startswith(o) for o in only))
    keys = sorted(k for k in set(a) | set(b) if keep(k))
    bad = [k for k in keys if a.get(k, "<absent>") != b.get(k, "<absent>")]
    for k in bad[:40]:
        print("differs: %s: %r vs %r" % (k, a.get(k, "<absent>"), b.get(k, "<absent>")))
    print("%d fields compared, %d differ" % (len(keys), len(bad)))
    if not keys:
        print("nothing compared")
        return 1
    return 1 if bad else 0


sys.exit(main())
