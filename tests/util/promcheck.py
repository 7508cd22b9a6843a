#!/usr/bin/python3
"""Strict checker of a Prometheus text exposition (format 0.0.4), for the --metrics tests.

usage: promcheck.py [--json OUT] FILE...   checks every FILE; with --json, writes
                                           [{"series": value, ...} per FILE] (series as
                                           'name{a="x",b="y"}', labels sorted)
       promcheck.py --self-test            shows that each rule below rejects a broken input

Rules (beyond what Prometheus itself tolerates, so that a slip in membench's writer fails):
  - only "# HELP name text" and "# TYPE name type" comments; HELP then TYPE, once per family,
    before the family's samples; no blank lines; the text ends with a newline
  - metric and label names valid ([a-zA-Z_:][a-zA-Z0-9_:]*, [a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)
  - every sample belongs to the family declared last (families contiguous) and has a name its
    type allows: counter NAME (NAME ends in _total), gauge NAME, summary NAME{quantile} /
    NAME_sum / NAME_count, histogram NAME_bucket{le} / NAME_sum / NAME_count
  - label values properly quoted and escaped; no label twice; no series twice
  - values are floats (NaN, +Inf, -Inf allowed); counters and _count are finite and >= 0;
    quantile labels are in [0, 1]; a histogram's buckets come in increasing le with counts
    that never decrease, and its _count equals its le="+Inf" bucket
Then, when python3-prometheus-client is installed, its parser must read the text too, to the
same number of samples.
"""
import json
import math
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*$')
SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$')
TYPES = ("counter", "gauge", "summary", "histogram", "untyped")


def parse_labels(text, where):
    """'{a="x",b="y"}' -> dict; raises ValueError on any malformation."""
    body = text[1:-1]
    labels = {}
    i = 0
    while i < len(body):
        m = re.match(r'([^=]*)="', body[i:])
        if not m:
            raise ValueError(f"{where}: malformed labels {text}")
        name = m.group(1)
        if not LABEL.match(name) or name.startswith("__"):
            raise ValueError(f"{where}: bad label name '{name}'")
        i += m.end()
        val = []
        while True:
            if i >= len(body):
                raise ValueError(f"{where}: unterminated label value in {text}")
            c = body[i]
            if c == "\\":
                nxt = body[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError(f"{where}: bad escape \\{nxt} in {text}")
                val.append({"n": "\n"}.get(nxt, nxt))
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError(f"{where}: raw newline in a label value")
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise ValueError(f"{where}: label {name} twice")
        labels[name] = "".join(val)
        if i < len(body):
            if body[i] != ",":
                raise ValueError(f"{where}: expected ',' in {text}")
            i += 1
            if i == len(body):
                raise ValueError(f"{where}: trailing ',' in {text}")
    return labels


def parse_value(s, where):
    if s in ("NaN", "+Inf", "-Inf"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.match(r'-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$', s):
        raise ValueError(f"{where}: bad value '{s}'")
    return float(s)


def series_key(name, labels):
    return name + "{" + ",".join(f'{k}="{labels[k]}"' for k in sorted(labels)) + "}" \
        if labels else name


def check(text):
    """Returns {series: value}; raises ValueError naming the line of the first violation."""
    if text and not text.endswith("\n"):
        raise ValueError("the text does not end with a newline")
    helped, typed = set(), {}
    family = None  # (name, type) declared last
    seen_samples = set()
    buckets = {}  # histogram series without le -> (le, count) of its last bucket
    out = {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}"
        if line == "":
            raise ValueError(f"{where}: blank line")
        if line.startswith("#"):
            m = re.match(r'# (HELP|TYPE) (\S+) (.*)$', line)
            if not m:
                raise ValueError(f"{where}: a comment that is neither HELP nor TYPE: {line}")
            kind, name, rest = m.groups()
            if not NAME.match(name):
                raise ValueError(f"{where}: bad metric name '{name}'")
            if kind == "HELP":
                if name in helped:
                    raise ValueError(f"{where}: second HELP for {name}")
                if not rest.strip():
                    raise ValueError(f"{where}: empty HELP for {name}")
                helped.add(name)
            else:
                if name in typed:
                    raise ValueError(f"{where}: second TYPE for {name}")
                if name not in helped:
                    raise ValueError(f"{where}: TYPE {name} without a HELP before it")
                if rest not in TYPES:
                    raise ValueError(f"{where}: unknown type '{rest}'")
                if rest == "counter" and not name.endswith("_total"):
                    raise ValueError(f"{where}: counter {name} does not end in _total")
                typed[name] = rest
                family = (name, rest)
                if seen_samples & {name, name + "_sum", name + "_count", name + "_bucket"}:
                    raise ValueError(f"{where}: TYPE {name} after samples of it")
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError(f"{where}: not a sample line: {line}")
        name, ltext, vtext, _ts = m.groups()
        labels = parse_labels(ltext, where) if ltext else {}
        value = parse_value(vtext, where)
        if family is None:
            raise ValueError(f"{where}: sample {name} before any TYPE")
        fname, ftype = family
        allowed = {"counter": {fname: None}, "gauge": {fname: None}, "untyped": {fname: None},
                   "summary": {fname: "quantile", fname + "_sum": None, fname + "_count": None},
                   "histogram": {fname + "_bucket": "le", fname + "_sum": None,
                                 fname + "_count": None}}[ftype]
        if name not in allowed:
            raise ValueError(f"{where}: sample {name} is not of the family {fname} ({ftype}) "
                             "declared last (no TYPE, or families interleaved)")
        need = allowed[name]
        if need and need not in labels:
            raise ValueError(f"{where}: {name} without its '{need}' label")
        if need == "quantile" and not 0 <= float(labels["quantile"]) <= 1:
            raise ValueError(f"{where}: quantile {labels['quantile']} outside [0, 1]")
        if (ftype == "counter" or name.endswith("_count")) and \
                (math.isnan(value) or math.isinf(value) or value < 0):
            raise ValueError(f"{where}: counter {name} = {vtext}")
        if ftype == "histogram":
            rest = series_key(fname, {k: v for k, v in labels.items() if k != "le"})
            if name.endswith("_bucket"):
                le = parse_value(labels["le"], where)
                last = buckets.get(rest)
                if last and (le <= last[0] or value < last[1]):
                    raise ValueError(f"{where}: bucket le={labels['le']} not after the last "
                                     "one, or its count smaller")
                buckets[rest] = (le, value)
            elif name.endswith("_count"):
                last = buckets.get(rest)
                if not last or last[0] != math.inf or last[1] != value:
                    raise ValueError(f"{where}: {name} {value} is not its +Inf bucket {last}")
        key = series_key(name, labels)
        if key in out:
            raise ValueError(f"{where}: series {key} twice")
        seen_samples.add(name)
        out[key] = value
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        print("promcheck: note: python3-prometheus-client not installed, its parser not run",
              file=sys.stderr)
        return out
    n = sum(len(f.samples) for f in text_string_to_metric_families(text))
    if n != len(out):
        raise ValueError(f"prometheus_client read {n} samples, promcheck {len(out)}")
    return out


BROKEN = {
    "sample without TYPE": "# HELP a_total x\na_total 1\n",
    "TYPE without HELP": "# TYPE a_total counter\na_total 1\n",
    "counter without _total": "# HELP a x\n# TYPE a counter\na 1\n",
    "interleaved families": "# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\nb 1\na 1\n",
    "bad metric name": "# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",
    "unescaped quote": '# HELP a x\n# TYPE a gauge\na{l="x"y"} 1\n',
    "duplicate series": '# HELP a x\n# TYPE a gauge\na{l="x"} 1\na{l="x"} 2\n',
    "summary without quantile": "# HELP a x\n# TYPE a summary\na 1\n",
    "negative counter": "# HELP a_total x\n# TYPE a_total counter\na_total -1\n",
    "bad value": "# HELP a x\n# TYPE a gauge\na 1,5\n",
    "no final newline": "# HELP a x\n# TYPE a gauge\na 1",
    "blank line": "# HELP a x\n# TYPE a gauge\n\na 1\n",
    "histogram buckets decreasing": '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 5\n'
                                    'h_bucket{le="+Inf"} 4\nh_sum 1\nh_count 4\n',
    "histogram count not +Inf": '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 2\n'
                                'h_bucket{le="+Inf"} 4\nh_sum 1\nh_count 5\n',
}
GOOD = ('# HELP a_total x\n# TYPE a_total counter\na_total{op="get"} 3\n'
        '# HELP s x\n# TYPE s summary\ns{quantile="0.5"} NaN\ns_sum 0\ns_count 0\n'
        '# HELP g x\n# TYPE g gauge\ng{l="a\\"b\\\\c\\nd"} 1.5e-06\n'
        '# HELP h x\n# TYPE h histogram\nh_bucket{op="get",le="0.1"} 1\n'
        'h_bucket{op="get",le="+Inf"} 3\nh_sum{op="get"} 1\nh_count{op="get"} 3\n')


def self_test():
    check(GOOD)
    for what, text in BROKEN.items():
        try:
            check(text)
        except ValueError as e:
            print(f"ok: rejected {what}: {e}")
            continue
        print(f"FAIL: accepted {what}")
        return 1
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    out_path = None
    if len(argv) > 2 and argv[1] == "--json":
        out_path, files = argv[2], argv[3:]
    else:
        files = argv[1:]
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    results = []
    for f in files:
        try:
            results.append(check(open(f, encoding="utf-8").read()))
        except ValueError as e:
            print(f"promcheck: {f}: {e}", file=sys.stderr)
            return 1
    if out_path:
        json.dump(results, open(out_path, "w"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
