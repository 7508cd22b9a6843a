# membench analyze --html: every page is self-contained (no script, no URL to fetch) and renders
# in headless Chromium (Debian's chromium) without console errors, with every chart drawn: each
# <svg class="chart"> has series of 2+ points inside its viewBox (html_check.py). A copy of each
# page with html_geometry.js measures the rendered charts: no legend over the plot frame or over
# any series point. Pages: one profile (every card, including top keys, TTL, multigets,
# connections, statuses, prefixes; a key-size axis where 1-20 byte keys fill the width), a
# --compare of two profiles from the recorder (verdict first, both overlaid on every chart), and
# a replay's --json report from a real replay against memcached on loopback (--replay-json).
# Skips (77) when chromium is not installed.
source "$MB_SOURCE_DIR/tests/lib.sh"

AN="$MB_BIN/membench-analyze"
REC="$MB_BIN/membench-record"
FIX="$MB_BINARY_DIR/tests/analyze/analyze_fixture"
CHECK="$MB_SOURCE_DIR/tests/analyze/html_check.py"
GEOM="$MB_SOURCE_DIR/tests/analyze/html_geometry.js"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || mb_skip "chromium not installed (scripts/install-deps.sh)"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
cd "$MB_TMP"

# dump PAGE OUT: the DOM of PAGE after load, console messages in OUT.log.
dump() {
  local prof="$MB_TMP/chromium-$(basename "$2")"
  rm -rf "$prof"
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$prof" --enable-logging=stderr --v=0 --window-size=1300,1000 \
    --virtual-time-budget=5000 --dump-dom "file://$MB_TMP/$1" >"$2" 2>"$2.log" ||
    { tail -20 "$2.log"; mb_fail "chromium failed on $1"; }
  rm -rf "$prof"
}

# check PAGE [html_check.py options]: self-contained, renders without console messages, charts,
# cards and geometry as the options say.
check() {
  local page=$1; shift
  [ -s "$page" ] || mb_fail "$page not written"
  [ ! -e "$page.tmp" ] || mb_fail "temporary file left behind"
  grep -Eq 'https?:|<script|<link|<img|@import|url\(' "$page" && mb_fail "$page is not self-contained"
  dump "$page" "$page.dom"
  if grep -E ':CONSOLE[:(]' "$page.dom.log"; then
    mb_fail "console messages while rendering $page"
  fi
  # the same page with the measuring script (the page itself has none)
  { sed 's#</body></html>##' "$page"; printf '<script>\n'; cat "$GEOM"; printf '</script></body></html>\n'; } \
    >"geo-$page"
  dump "geo-$page" "$page.geo"
  if grep -E ':CONSOLE[:(]' "$page.geo.log"; then
    mb_fail "console messages while measuring $page"
  fi
  $PY "$CHECK" "$page.dom" "$page.geo" "$@" || mb_fail "$page (above)"
}

# ---- one profile ----
"$FIX" known known.mbp
"$FIX" zipf zipf.mbp 1.0 1000 50000
# known: responses captured, keys kept (user:, sess:, tmp:), TTLs, 3-key multigets
mb_expect_status 0 "$AN" --html known.html known.mbp
check known.html --charts 13 --first overview \
  --panel overview --panel op-mix --panel key-size --panel value-size --panel rank \
  --panel rate --panel hit-ratio --panel inter-arrival --panel reuse-time \
  --panel reuse-distance --panel latency --panel ttl --panel multiget --panel conn-rate \
  --panel top-keys --panel prefixes --panel connections --panel statuses --panel depth \
  --series rank:2 --series key-size:2 \
  --contains top-keys:user: --contains prefixes:sess --contains prefixes:tmp \
  --contains statuses:not_found --contains statuses:stored --contains statuses:miss \
  --contains 'ttl:no expiry 0' --contains 'connections:conn 4'
grep -q 'data-panel="multiget"' known.html || mb_fail "no multiget card"
# zipf: no responses, no values, anonymized keys -> the latency, value-size, prefixes and
# statuses cards say so instead of drawing empty charts
mb_expect_status 0 "$AN" --html zipf.html zipf.mbp
check zipf.html --charts 6 --panel key-size --panel rank --panel top-keys --panel connections \
  --maybe latency --maybe prefixes --maybe statuses --maybe value-size \
  --contains 'latency:Responses were not captured' --contains 'top-keys:#'

# the geometry check itself: legends moved into the plot frame must be caught
sed 's#<g class="legend">#<g class="legend" transform="translate(40 60)">#' known.html >moved.html
dump moved.html moved.dom
{ sed 's#</body></html>##' moved.html; printf '<script>\n'; cat "$GEOM"; printf '</script></body></html>\n'; } >geo-moved.html
dump geo-moved.html moved.geo
if $PY "$CHECK" moved.dom moved.geo >moved.out 2>&1; then
  mb_fail "legends moved over the data were not detected"
fi
grep -q "overlaps the plot frame" moved.out || { cat moved.out; mb_fail "wrong complaint about moved legends"; }

# small keys: 1-20 byte keys fill the key-size axis (they used to sit in the left two thirds of
# a 1-100 decade axis, the smallest on the frame's border)
mb_expect_status 0 "$REC" synth:etc -o small.mbp --ops 4000 --keys 400 --key-size uniform:1,20 \
  --connections 3 --seed 7
mb_expect_status 0 "$AN" --html small.html small.mbp
check small.html --small-keys --panel key-size
echo "ok: single-profile pages"

# ---- --compare A B: verdict on top, both profiles on every chart ----
mb_expect_status 0 "$REC" synth:etc -o a.mbp --ops 6000 --keys 500 --connections 4 --seed 1
mb_expect_status 0 "$REC" synth:etc -o b.mbp --ops 6000 --keys 500 --connections 4 --seed 2 \
  --key-size uniform:1,20
# different workloads: the page is written, then exit 6 as without --html
mb_expect_status 6 "$AN" --compare a.mbp b.mbp --html cmp.html
[ ! -s "$MB_TMP/out" ] || mb_fail "--compare --html printed a text report"
grep -q "fidelity check key_size_ks failed" "$MB_TMP/err" || mb_fail "no failed check named"
check cmp.html --compare --first verdict --charts 9 --panel verdict --panel distances \
  --panel overview --panel op-mix --panel key-size --panel rate --panel inter-arrival \
  --panel top-keys --panel connections --series key-size:4 --series rate:2 \
  --contains 'verdict:verdict: FAIL' --contains 'verdict:key_size_ks' \
  --contains 'overview:requests6000' --maybe latency --maybe statuses \
  --contains 'verdict:outcomes: not compared, neither profile carries responses' \
  --contains 'latency:not captured in either profile' \
  --contains 'statuses:not captured in either profile'
[ "$(grep -c 'data-panel="top-keys"' cmp.html)" -eq 2 ] || mb_fail "top keys of A and B expected"
# a profile against itself: PASS, exit 0; --json still goes to stdout with the page
mb_expect_status 0 "$AN" --compare known.mbp known.mbp --html same.html --json
$PY -c 'import json,sys; assert json.load(open(sys.argv[1]))["fidelity"]["pass"]' "$MB_TMP/out" ||
  mb_fail "--compare --html --json: no JSON on stdout"
check same.html --compare --first verdict --panel verdict --panel latency --panel statuses \
  --series latency:2 --contains 'verdict:verdict: PASS'
echo "ok: compare pages"

# ---- a replay's JSON report: a real replay against memcached on loopback ----
mb_start_memcached -m 64
# 3 s at 1000 req/s; a few values beyond memcached's 1 MB item limit make server errors
mb_expect_status 0 "$REC" synth:etc -o rp.mbp --ops 3000 --rate 1000 --keys 300 \
  --connections 4 --seed 3 --get-ratio 0.9 --value-size pareto:300,0.35 --max-value 3000000
mb_expect_status 0 "$MB_BIN/membench-replay" rp.mbp --server "127.0.0.1:$MC_PORT" --json rp.json -q
read -r secs errs < <($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(len(j["timeseries"]), j["errors"]["total"])' rp.json)
[ "$secs" -ge 3 ] || mb_fail "replay series of $secs seconds"
[ "$errs" -gt 0 ] || mb_fail "the replay had no errors to show (values > 1 MB expected to fail)"
mb_expect_status 0 "$AN" --replay-json rp.json --html rp.html
check rp.html --first replay-summary --charts 5 --panel replay-summary --panel replay-latency \
  --panel replay-commands --panel replay-errors --panel replay-rate --panel replay-commands-time \
  --panel replay-latency-time --panel replay-lag --panel replay-errors-time \
  --series replay-rate:2 --series replay-latency-time:3 --series replay-commands-time:2 \
  --contains replay-commands:get --contains replay-commands:set \
  --contains replay-commands:stored --contains replay-errors:server_error \
  --contains "replay-summary:127.0.0.1:$MC_PORT"
# the sent/s steps are the JSON's seconds: two points per second
$PY - rp.html.dom rp.json <<'PY' || mb_fail "sent rate series does not follow the JSON"
import json, re, sys
dom, j = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
card = dom.split('data-panel="replay-rate"', 1)[1].split("</section>", 1)[0]
d = re.search(r'<path class="series"[^>]* d="([^"]*)"><title>sent/s', card).group(1)
n = len(re.findall(r"[ML]", d))
assert n == 2 * len(j["timeseries"]), (n, len(j["timeseries"]))
PY
[ "$(grep -c 'class="warmup"' rp.html)" = 0 ] || mb_fail "warm-up band drawn for a run without --warmup"
# --loop 2 --warmup 1s: the summary says what the warm-up was, the charts over time shade its
# seconds (those the JSON's timeseries marks "warmup": true)
mb_expect_status 0 "$MB_BIN/membench-replay" rp.mbp --server "127.0.0.1:$MC_PORT" --rate 3x \
  --loop 2 --warmup 1s --json rpw.json -q
mb_expect_status 0 "$AN" --replay-json rpw.json --html rpw.html
wreq=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["warmup"]["requests_sent"])' rpw.json)
check rpw.html --first replay-summary --charts 5 \
  --contains "replay-summary:the first 1.000 s: $wreq requests sent"
$PY - rpw.html.dom rpw.json <<'PY' || mb_fail "warm-up seconds not shaded as the JSON marks them"
import json, re, sys
dom, j = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
marked = [s["t"] for s in j["timeseries"] if s.get("warmup")]
assert marked, "the JSON marks no warm-up second"
for panel in ("replay-rate", "replay-commands-time", "replay-latency-time", "replay-lag"):
    card = dom.split('data-panel="%s"' % panel, 1)[1].split("</section>", 1)[0]
    band = re.search(r'<rect class="warmup" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"', card)
    assert band, panel + ": no warm-up band"
    # the band ends where the sent/s or first series reaches second max(marked) + 1: compare
    # with the frame's width and the x axis ticks' positions
    ticks = [(float(v), float(x)) for x, v in re.findall(
        r'<text x="([0-9.]+)" y="[0-9.]+" text-anchor="middle">([0-9.]+)</text>', card)]
    assert len(ticks) >= 2, panel + ": no x ticks"
    (v0, x0), (v1, x1) = ticks[0], ticks[-1]
    end = x0 + (max(marked) + 1 - v0) * (x1 - x0) / (v1 - v0)
    got = float(band.group(1)) + float(band.group(2))
    assert abs(got - end) < 1.5, (panel, got, end)
PY
echo '{"schema": "membench.replay/1", "requests_sent": 1, "timeseries": [{"t": 0, "sent": 1, "warmup": 1}]}' >badwarm.json
mb_expect_status 3 "$AN" --replay-json badwarm.json --html x.html
grep -q 'badwarm.json: timeseries\[0\].warmup: not a boolean' "$MB_TMP/err" || mb_fail "bad warmup mark: $(cat "$MB_TMP/err")"
# errors that the page must refuse, each naming the file or the member
echo '{"schema": "membench.replay/1", "requests_sent": 1, "timeseries": [{"t": 0, "sent": "x"}]}' >badtype.json
mb_expect_status 3 "$AN" --replay-json badtype.json --html x.html
grep -q 'badtype.json: timeseries\[0\].sent: not a number' "$MB_TMP/err" || mb_fail "bad member: $(cat "$MB_TMP/err")"
printf '{"schema": "membench.replay/1",\n "requests_sent": }\n' >notjson.json
mb_expect_status 3 "$AN" --replay-json notjson.json --html x.html
grep -q 'notjson.json:2:[0-9]*: not JSON' "$MB_TMP/err" || mb_fail "not JSON: $(cat "$MB_TMP/err")"
mb_expect_status 0 "$AN" --json known.mbp
cp "$MB_TMP/out" analyze.json
mb_expect_status 3 "$AN" --replay-json analyze.json --html x.html
grep -q 'not a membench replay report (schema "membench-analyze/1"' "$MB_TMP/err" ||
  mb_fail "analyze JSON taken for a replay: $(cat "$MB_TMP/err")"
mb_expect_status 1 "$AN" --replay-json no-such.json --html x.html
grep -q 'cannot open no-such.json' "$MB_TMP/err" || mb_fail "missing file: $(cat "$MB_TMP/err")"
[ ! -e x.html ] || mb_fail "a page was written for bad input"
mb_expect_status 2 "$AN" --replay-json rp.json
mb_expect_status 2 "$AN" --replay-json rp.json --html x.html known.mbp
echo "ok: replay page"

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
