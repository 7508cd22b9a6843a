#!/usr/bin/env python3
"""Checks a membench analyze page as Chromium rendered it (test_analyze_html.sh).

usage: html_check.py DOM GEOMETRY_DOM [--charts N] [--panel ID]... [--maybe ID]...
                     [--first ID] [--compare] [--small-keys] [--contains ID:TEXT]...
                     [--series ID:N]

DOM is chromium --dump-dom of the page; GEOMETRY_DOM the dump of a copy with html_geometry.js,
whose <pre id="geometry"> holds the measured legend and series boxes.
- every <svg class="chart">: at least one series, each of 2+ points, not all at one place,
  inside the viewBox; at least N charts;
- --panel ID: a card data-panel=ID exists and is not empty: a chart with a drawn series or a
  table with a data row, and no "nodata" sentence; --maybe ID: the card exists (may say nodata);
- --first ID: the first card of the page is ID;
- --compare: every chart has series of both profiles ("A: ..." and "B: ...");
- --contains ID:TEXT: the card's text contains TEXT; --series ID:N: its chart has N series;
- geometry: no legend key overlaps the frame, another key or a series point, or leaves the
  chart; --small-keys: the key-size curves span >= 80% of the frame width and start inside it.
"""
import argparse
import json
import re
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.panels = {}   # id -> {"text", "nodata", "charts": [[(title, pts)]], "rows"}
        self.order = []
        self.charts = []   # (label, viewBox, [(title, pts)])
        self.cur = None
        self.in_path = False
        self.in_td_row = False
        self.geometry = None
        self.in_geo = False
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "data-panel" in a:
            self.cur = {"text": "", "nodata": False, "charts": [], "rows": 0}
            self.panels[a["data-panel"]] = self.cur
            self.order.append(a["data-panel"])
        elif tag == "svg" and "chart" in (a.get("class") or "").split():
            view = [float(v) for v in a["viewbox"].split()]
            self.charts.append((a.get("aria-label"), view, []))
            if self.cur is not None:
                self.cur["charts"].append(self.charts[-1][2])
        elif tag == "path" and a.get("class") == "series" and self.charts:
            nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", a.get("d", ""))]
            self.charts[-1][2].append(["", list(zip(nums[0::2], nums[1::2]))])
            self.in_path = True
        elif tag == "p" and a.get("class") == "nodata" and self.cur is not None:
            self.cur["nodata"] = True
        elif tag == "td" and self.cur is not None and not self.in_td_row:
            self.cur["rows"] += 1
            self.in_td_row = True
        elif tag == "tr":
            self.in_td_row = False
        elif tag == "pre" and a.get("id") == "geometry":
            self.in_geo = True

    def handle_endtag(self, tag):
        if tag == "section":
            self.cur = None
        elif tag == "path":
            self.in_path = False
        elif tag == "pre" and self.in_geo:
            self.geometry = json.loads("".join(self.text))
            self.in_geo = False

    def handle_data(self, data):
        if self.in_geo:
            self.text.append(data)
            return
        if self.cur is not None:
            self.cur["text"] += data
        if self.in_path and self.charts and self.charts[-1][2]:
            self.charts[-1][2][-1][0] += data


def fail(msg):
    sys.exit("html_check: " + msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dom")
    ap.add_argument("geometry")
    ap.add_argument("--charts", type=int, default=1)
    ap.add_argument("--panel", action="append", default=[])
    ap.add_argument("--maybe", action="append", default=[])
    ap.add_argument("--first")
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--small-keys", action="store_true")
    ap.add_argument("--contains", action="append", default=[])
    ap.add_argument("--series", action="append", default=[])
    o = ap.parse_args()

    p = Page()
    p.feed(open(o.dom).read())
    if len(p.charts) < o.charts:
        fail(f"{len(p.charts)} charts drawn, expected at least {o.charts}")
    for label, view, series in p.charts:
        if not series:
            fail(f"chart {label!r} has no series")
        for title, pts in series:
            if len(pts) < 2:
                fail(f"chart {label!r}: series {title!r} with {len(pts)} points")
            if len({round(x) for x, _ in pts}) < 2 and len({round(y) for _, y in pts}) < 2:
                fail(f"chart {label!r}: every point of {title!r} at the same place")
            for x, y in pts:
                if not (view[0] <= x <= view[2] and view[1] <= y <= view[3]):
                    fail(f"chart {label!r}: point ({x}, {y}) outside the viewBox {view}")
        if o.compare:
            names = [t for t, _ in series]
            if not any(t.startswith("A: ") for t in names) or \
               not any(t.startswith("B: ") for t in names):
                fail(f"chart {label!r} does not overlay both profiles: {names}")
    for pid in o.panel + o.maybe:
        if pid not in p.panels:
            fail(f"no {pid!r} card (cards: {p.order})")
    for pid in o.panel:
        c = p.panels[pid]
        drawn = any(len(pts) >= 2 for ch in c["charts"] for _, pts in ch)
        if c["nodata"] or not (drawn or c["rows"]):
            fail(f"card {pid!r} is empty: {c['text'].strip()[:200]!r}")
    if o.first and p.order[:1] != [o.first]:
        fail(f"first card is {p.order[:1]}, expected {o.first!r}")
    for spec in o.contains:
        pid, text = spec.split(":", 1)
        if pid not in p.panels or text not in p.panels[pid]["text"]:
            fail(f"card {pid!r} does not say {text!r}: "
                 f"{p.panels.get(pid, {}).get('text', '')[:300]!r}")
    for spec in o.series:
        pid, n = spec.split(":", 1)
        got = [len(ch) for ch in p.panels.get(pid, {}).get("charts", [])]
        if got != [int(n)]:
            fail(f"card {pid!r}: series per chart {got}, expected [{n}]")

    g = Page()
    g.feed(open(o.geometry).read())
    if g.geometry is None:
        fail("no geometry measured (the script did not run)")
    if len(g.geometry) != len(p.charts):
        fail(f"geometry of {len(g.geometry)} charts, the page has {len(p.charts)}")
    for c in g.geometry:
        if c["bad"]:
            fail(f"chart {c['label']!r}: " + "; ".join(c["bad"][:5]))
        if not c["sampled"] or not c["keys"]:
            fail(f"chart {c['label']!r}: nothing measured ({c})")
    if o.small_keys:
        k = [c for c in g.geometry if c["label"] == "Key size CDF"]
        if not k:
            fail("no key size chart")
        k = k[0]
        left, right = k["frame"]
        span = (k["xmax"] - k["xmin"]) / (right - left)
        if span < 0.8 or k["xmin"] < left + 4:
            fail(f"key sizes squeezed: curves span {span:.0%} of the frame from "
                 f"{k['xmin'] - left:.1f} px past its left edge")
        print(f"key sizes span {span:.0%} of the frame, from {k['xmin'] - left:.1f} px")
    print(f"{len(p.charts)} charts, {sum(len(s) for _, _, s in p.charts)} series, "
          f"{len(p.panels)} cards; legends clear of "
          f"{sum(c['sampled'] for c in g.geometry)} sampled series points")


main()
