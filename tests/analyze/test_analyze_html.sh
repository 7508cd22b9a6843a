# membench analyze --html: the page is self-contained (no script, no URL to fetch) and renders in
# headless Chromium (Debian's chromium) without console errors, with every chart drawn: each
# <svg class="chart"> has at least one series path of 2+ points inside the plot area. Skips (77)
# when chromium is not installed.
source "$MB_SOURCE_DIR/tests/lib.sh"

AN="$MB_BIN/membench-analyze"
FIX="$MB_BINARY_DIR/tests/analyze/analyze_fixture"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || mb_skip "chromium not installed (scripts/install-deps.sh)"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
cd "$MB_TMP"

"$FIX" known known.mbp
"$FIX" zipf zipf.mbp 1.0 1000 50000

# render PAGE EXPECTED_CHARTS: loads the page, dumps the DOM after load, checks console and charts.
render() {
  local page=$1 want=$2
  mb_expect_status 0 "$AN" --html "$page" "${page%.html}.mbp"
  [ -s "$page" ] || mb_fail "$page not written"
  [ ! -e "$page.tmp" ] || mb_fail "temporary file left behind"
  grep -Eq 'https?:|<script|<link|<img|@import|url\(' "$page" && mb_fail "$page is not self-contained"
  local prof="$MB_TMP/chromium-${page%.html}"
  rm -rf "$prof"
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$prof" --enable-logging=stderr --v=0 \
    --dump-dom "file://$MB_TMP/$page" >"${page}.dom" 2>"${page}.log" ||
    { tail -20 "${page}.log"; mb_fail "chromium failed on $page"; }
  if grep -E ':CONSOLE[:(]' "${page}.log"; then
    mb_fail "console messages while rendering $page"
  fi
  $PY - "${page}.dom" "$want" <<'PY' || mb_fail "charts of $page"
import re, sys
from html.parser import HTMLParser

class Charts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts = []        # per chart: list of series point lists
        self.labels = []
        self.view = None
        self.depth = 0
        self.nodata = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "chart" in (a.get("class") or "").split():
            self.charts.append([])
            self.labels.append(a.get("aria-label"))
            self.view = [float(v) for v in a["viewbox"].split()]
        elif tag == "path" and self.charts and a.get("class") == "series":
            nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", a.get("d", ""))]
            self.charts[-1].append(list(zip(nums[0::2], nums[1::2])))
        elif tag == "p" and a.get("class") == "nodata":
            self.nodata += 1

p = Charts()
p.feed(open(sys.argv[1]).read())
want = int(sys.argv[2])
if len(p.charts) < want:
    sys.exit(f"{len(p.charts)} charts drawn, expected {want} (and {p.nodata} without data)")
for i, series in enumerate(p.charts):
    if not series:
        sys.exit(f"chart {i} has no series")
    for pts in series:
        if len(pts) < 2:
            sys.exit(f"chart {i}: a series with {len(pts)} points")
        xs = {round(x) for x, _ in pts}
        ys = {round(y) for _, y in pts}
        if len(xs) < 2 and len(ys) < 2:
            sys.exit(f"chart {i}: every point at the same place")
        for x, y in pts:
            if not (0 <= x <= 680 and 0 <= y <= 300):
                sys.exit(f"chart {i}: point ({x}, {y}) outside the viewBox")
rank = [s for s, l in zip(p.charts, p.labels) if l == "Rank-frequency"]
if not rank or len(rank[0]) != 2:
    sys.exit("rank-frequency chart without the observed points and the fitted line")
print(f"{len(p.charts)} charts, {sum(len(s) for s in p.charts)} series, {p.nodata} without data")
PY
}

# known: responses captured -> key/value CDF, rank-frequency, rate, hit ratio, inter-arrival,
# reuse time, reuse distance, latency
render known.html 9
grep -q "Server latency CDF" known.html || mb_fail "no latency chart although responses exist"
# zipf: no responses and no values -> the latency and value-size cards say so instead of drawing
# empty charts
render zipf.html 6
grep -q "Responses were not captured" zipf.html || mb_fail "missing no-latency note"
# an --html FILE that cannot be written fails before the profile is read (issue 16): here the
# profile is not even a profile, and the message is about the page (it was exit 1 only after
# the whole analysis)
echo "not a profile" > text.mbp
mb_expect_status 1 "$AN" --html "$MB_TMP/no/such/dir/x.html" text.mbp
grep -q -- "--html $MB_TMP/no/such/dir/x.html: cannot write" "$MB_TMP/err" ||
  mb_fail "--html unwritable: $(cat "$MB_TMP/err")"
mb_expect_status 1 "$AN" --html "$MB_TMP" known.mbp
[ ! -e "$MB_TMP.tmp" ] || mb_fail "the check left $MB_TMP.tmp behind"
echo ok
