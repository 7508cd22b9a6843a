# membench analyze end to end: profiles with known content written by analyze_fixture through the
# profile writer, analyzed by the real binary; figures asserted from the JSON report, which is
# validated against docs/analyze-json-schema.json; text, --compare, --info and every error path.
source "$MB_SOURCE_DIR/tests/lib.sh"

AN="$MB_BIN/membench-analyze"
FIX="$MB_BINARY_DIR/tests/analyze/analyze_fixture"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
$PY -c 'import jsonschema' 2>/dev/null || mb_skip "python3-jsonschema not installed (scripts/install-deps.sh)"
cd "$MB_TMP"

"$FIX" known known.mbp
"$FIX" zipf zipf.mbp 0.9 2000 300000

# validate FILE SCHEMA: JSON Schema validation with the Debian jsonschema module.
validate() {
  $PY - "$1" "$MB_SOURCE_DIR/docs/$2" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[2]))
jsonschema.Draft7Validator.check_schema(schema)
jsonschema.validate(json.load(open(sys.argv[1])), schema)
PY
}

# ---- the known profile: every figure computed by hand in analyze_fixture.c's comment ----
mb_expect_status 0 "$AN" --json known.mbp
cp out known.json
validate known.json analyze-json-schema.json || mb_fail "known.json does not match the schema"
$PY - known.json <<'PY' || mb_fail "known profile figures"
import json, sys
r = json.load(open(sys.argv[1]))
def eq(name, got, want, tol=0.0):
    ok = abs(got - want) <= tol if isinstance(want, float) else got == want
    if not ok:
        sys.exit(f"{name}: got {got!r}, want {want!r}")
eq("schema", r["schema"], "membench-analyze/1")
eq("requests", r["requests"], 2400)          # 1400 gets + 200 * 3 multiget keys + 200 + 200
eq("commands", r["commands"], 2000)
eq("ops", r["ops"], {"get": 2000, "set": 200, "delete": 200})
eq("op_commands.get", r["op_commands"]["get"], 1600)
eq("connections", r["connections"], 5)
eq("duration_s", r["duration_s"], 19.99, 1e-9)
eq("mean_rps", r["rate"]["mean_rps"], 2400 / 19.99, 1e-3)
eq("peak_rps", r["rate"]["peak_rps"], 120.0, 1e-9)   # 100 commands = 120 requests each second
eq("twitter writes", r["reads_writes"]["twitter"]["writes"], 400)
eq("libcachesim writes", r["reads_writes"]["libcachesim"]["writes"], 200)
eq("unique keys", r["keys"]["unique"], 246)       # 40 user: + 6 sess: + 200 tmp:
eq("one-hit", r["popularity"]["one_hit_fraction"], 200 / 246, 1e-6)
eq("compulsory", r["popularity"]["compulsory_miss_ratio"], 246 / 2400, 1e-6)
eq("seen once", r["popularity"]["seen_times"]["1"], 200)
eq("top key share", r["keys"]["top"][0]["share"], 100 / 2400, 1e-6)
assert r["keys"]["top"][0]["key"].startswith("sess:"), r["keys"]["top"][0]
eq("prefixes", [(p["prefix"], p["requests"], p["keys"]) for p in r["keys"]["prefixes"]],
   [("user:", 1600, 40), ("sess:", 600, 6), ("tmp:", 200, 200)])
v = r["value_size"]   # 1500 hits of 200 B, sets 100..400 B 50 each
eq("value count", v["count"], 1700)
eq("value mean", v["mean"], 350000 / 1700, 1e-3)
eq("value p50", v["p50"], 200)
eq("value p99", v["p99"], 400)
eq("value max", v["max"], 400)
eq("value objects", v["by_object"]["count"], 46)
eq("key max", r["key_size"]["max"], 8)
eq("ttl", (r["ttl_s"]["relative"]["count"], r["ttl_s"]["relative"]["p50"]), (200, 300))
eq("multiget", (r["multiget_keys"]["count"], r["multiget_keys"]["p50"], r["multiget_keys"]["max"]), (1600, 1, 3))
eq("hit_ratio", r["hit_ratio"], 0.75, 1e-12)
o = r["outcomes"]
eq("hits", (o["hits"], o["misses"], o["responses"]), (1500, 500, 2000))
eq("latency min/max", (o["latency_ns"]["min"], o["latency_ns"]["max"]), (100000, 190000))
eq("latency p50", o["latency_ns"]["p50"], 140000.0, 140.0)   # 3 significant digits
eq("iat p50", r["inter_arrival_ns"]["global"]["p50"], 10e6, 10e6 / 100)
eq("capture", [r["capture"][k] for k in ("drops", "gaps", "protocol_errors", "truncated_bytes")], [3, 2, 1, 100])
eq("exact", (r["exact"], r["estimated"]), (True, []))
PY

# ---- Zipf popularity with a known exponent (sampled by the fixture) ----
mb_expect_status 0 "$AN" --json zipf.mbp
cp out zipf.json
validate zipf.json analyze-json-schema.json || mb_fail "zipf.json does not match the schema"
$PY - zipf.json <<'PY' || mb_fail "Zipf estimates"
import json, sys
p = json.load(open(sys.argv[1]))["popularity"]
print("alpha 0.9: OLS %.4f (R^2 %.4f) MLE %.4f" % (p["zipf_alpha_ols"], p["zipf_r2"], p["zipf_alpha_mle"]))
assert abs(p["zipf_alpha_mle"] - 0.9) < 0.02, p
assert abs(p["zipf_alpha_ols"] - 0.9) < 0.06, p
assert p["zipf_r2"] > 0.9, p
r = json.load(open(sys.argv[1]))
assert r["hit_ratio"] is None and r["outcomes"] is None, "no responses in this profile"
PY

# more keys than --exact-keys: sketches, and the report says which figures are estimates
mb_expect_status 0 "$AN" --json --exact-keys 200 zipf.mbp
$PY - "$MB_TMP/out" <<'PY' || mb_fail "sketch mode"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exact"] is False and "keys.unique" in r["estimated"] and "popularity" in r["estimated"], r["estimated"]
assert r["keys"]["sample_every"] == 10, r["keys"]["sample_every"]
assert abs(r["keys"]["unique"] - 2000) < 100, r["keys"]["unique"]
assert abs(r["popularity"]["zipf_alpha_mle"] - 0.9) < 0.1, r["popularity"]
PY
mb_expect_status 0 "$AN" --exact-keys 200 zipf.mbp
grep -q "are estimates" out || mb_fail "text report does not flag estimates"

# a profile that kept only key prefixes: same breakdown, top keys named by prefix and id
"$FIX" known prefix.mbp prefix
mb_expect_status 0 "$AN" --json prefix.mbp
validate out analyze-json-schema.json || mb_fail "prefix-mode JSON does not match the schema"
$PY - out <<'PY' || mb_fail "prefix mode"
import json, sys
r = json.load(open(sys.argv[1]))
assert [(p["prefix"], p["requests"], p["keys"]) for p in r["keys"]["prefixes"]] == \
    [("user:", 1600, 40), ("sess:", 600, 6), ("tmp:", 200, 200)], r["keys"]["prefixes"]
t = r["keys"]["top"][0]
assert t["key"] is None and t["prefix"] == "sess:", t
PY

# an empty profile (no records) still gives a valid report
"$FIX" zipf empty.mbp 1.0 10 0
mb_expect_status 0 "$AN" --json empty.mbp
validate out analyze-json-schema.json || mb_fail "empty-profile JSON does not match the schema"
grep -q '"requests": 0,' out || mb_fail "empty profile: $(head -c 300 out)"
mb_expect_status 0 "$AN" empty.mbp

# prefixes in sketch mode: estimated from 1 key in 3 (246 keys > --exact-keys 100)
mb_expect_status 0 "$AN" --json --exact-keys 100 known.mbp
$PY - out <<'PY' || mb_fail "prefixes in sketch mode"
import json, sys
r = json.load(open(sys.argv[1]))
assert "keys.prefixes" in r["estimated"] and r["keys"]["sample_every"] == 3, r["estimated"]
p = {x["prefix"]: x for x in r["keys"]["prefixes"]}
assert set(p) == {"user:", "sess:", "tmp:"}, p
assert abs(p["tmp:"]["keys"] - 200) <= 20 and abs(p["user:"]["requests"] - 1600) < 400, p
PY

# --top, --window, --delim
mb_expect_status 0 "$AN" --json --top 3 --window 5s --delim s known.mbp
$PY - out <<'PY' || mb_fail "--top/--window/--delim"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["keys"]["top"]) == 3, r["keys"]["top"]
w = r["rate"]["windows"]
assert r["rate"]["window_s"] == 5 and len(w) == 4 and [x["requests"] for x in w] == [600] * 4, w
# split at the first 's': "us" (user:...), "s" (sess:...), "tmp:..." has none -> "(none)" bucket ""
assert [p["prefix"] for p in r["keys"]["prefixes"]] == ["us", "s", ""], r["keys"]["prefixes"]
PY

# --threads: the same report from parallel block decoding (the fixture has 5 blocks)
mb_expect_status 0 "$AN" --json --threads 3 known.mbp
cmp -s out known.json || mb_fail "--threads 3 changed the report"

# ---- a profile from the recorder's own generator (membench record synth:zipf) ----
mb_expect_status 0 "$MB_BIN/membench-record" synth:zipf -o synth.mbp --ops 200000 --keys 5000 \
  --alpha 0.8 --rate 10000 --connections 4 --key-size fixed:20 --value-size fixed:300 --seed 3
mb_expect_status 0 "$AN" --json synth.mbp
validate out analyze-json-schema.json || mb_fail "synth JSON does not match the schema"
$PY - out <<'PY' || mb_fail "synth:zipf figures"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["popularity"]
print("synth:zipf alpha 0.8: OLS %.4f MLE %.4f, %.1f req/s" % (p["zipf_alpha_ols"], p["zipf_alpha_mle"], r["rate"]["mean_rps"]))
assert r["requests"] == 200000 and r["connections"] == 4, (r["requests"], r["connections"])
assert abs(p["zipf_alpha_mle"] - 0.8) < 0.03, p
assert abs(r["rate"]["mean_rps"] - 10000) / 10000 < 0.02, r["rate"]
assert abs(r["ops"]["get"] / r["requests"] - 0.9) < 0.01, r["ops"]
assert r["key_size"]["p50"] == 20 and r["key_size"]["max"] == 20, r["key_size"]
assert r["value_size"]["by_object"]["p50"] == 300, r["value_size"]
PY

# ---- text report ----
# value bytes past the recorder's cap lose no request: reported, but the capture is complete
mb_expect_status 0 "$AN" zipf.mbp
grep -q "capture       complete: 0 drops" out || mb_fail "truncated value bytes made a capture incomplete"
grep -q "5,000 value bytes past the per-event cap" out || mb_fail "truncated value bytes not reported"
mb_expect_status 0 "$AN" known.mbp
for s in "Op mix" "Sizes (bytes)" "Popularity" "Zipf alpha, MLE" "Rate" "Inter-arrival" "Reuse" \
         "TTL of writes" "Multiget" "Connections" "Key prefixes" "Outcomes" "Server latency"; do
  grep -qF "$s" out || mb_fail "text report lacks '$s'"
done
grep -q "INCOMPLETE: 3 drops" out || mb_fail "capture losses not reported"
grep -q "hit ratio 75.0%" out || mb_fail "hit ratio not reported"
grep -q '█' out || mb_fail "no Unicode bars"
mb_expect_status 0 "$AN" --ascii known.mbp
grep -q '█' out && mb_fail "--ascii still draws Unicode bars"
# the front command dispatches to it
mb_expect_status 0 "$MB_BIN/membench" analyze --json known.mbp
grep -q '"requests": 2400' out || mb_fail "membench analyze --json"

# ---- progress bar: only when stderr is a terminal (zipf.mbp has 600 blocks) ----
mb_expect_status 0 "$AN" zipf.mbp
grep -q "analyzing" err && mb_fail "progress bar drawn although stderr is not a terminal"
if command -v script >/dev/null; then
  script -qec "'$AN' zipf.mbp >/dev/null" /dev/null >tty.out
  grep -q "analyzing zipf.mbp" tty.out || mb_fail "no progress bar on a terminal"
  script -qec "'$AN' --no-progress zipf.mbp >/dev/null" /dev/null >tty.out
  grep -q "analyzing" tty.out && mb_fail "--no-progress still draws the bar"
fi

# ---- --compare ----
mb_expect_status 0 "$AN" --compare known.mbp known.mbp --max-distance 0
grep -q "op mix (total variation)  *0.0000" out || mb_fail "self-comparison not 0: $(cat out)"
# different profiles: the fidelity checks fail (exit 6), the JSON is still complete
mb_expect_status 6 "$AN" --compare --json known.mbp zipf.mbp
cp out cmp.json
validate cmp.json analyze-compare-json-schema.json || mb_fail "compare JSON does not match its schema"
$PY - cmp.json "$MB_SOURCE_DIR/docs/analyze-json-schema.json" <<'PY' || mb_fail "compare distances"
import json, sys, jsonschema
c = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
jsonschema.validate(c["a"], s)
jsonschema.validate(c["b"], s)
d = c["distances"]
# known: 2000 get + 200 set + 200 delete of 2400; zipf: all get -> TVD = 400/2400
assert abs(d["op_mix_tvd"] - 400 / 2400) < 1e-6, d
assert d["ks_key_size"] == 1.0, d         # key sizes 5..8 vs 16: disjoint
assert d["ks_value_size"] == 1.0, d       # zipf carries no values
assert d["max_distance"] == 1.0, d
PY
mb_expect_status 6 "$AN" --compare known.mbp zipf.mbp --max-distance 0.5
grep -q "exceeds --max-distance" err || mb_fail "unclear mismatch message"
# fidelity flags (docs/fidelity.md): verdict in text, thresholds and --speed parsed, misuse
grep -q "^verdict: PASS" <("$AN" --compare known.mbp known.mbp) || mb_fail "self-comparison verdict"
mb_expect_status 0 "$AN" --compare known.mbp known.mbp --speed 1x --max-iat-ks 0.1
mb_expect_status 6 "$AN" --compare known.mbp known.mbp --speed 2x
grep -q "fidelity check mean_rate_error failed" err || mb_fail "unclear fidelity message: $(cat err)"
mb_expect_status 2 "$AN" --compare known.mbp known.mbp --speed 0
mb_expect_status 2 "$AN" --compare known.mbp known.mbp --max-rate-error -1
mb_expect_status 2 "$AN" known.mbp --speed 2

# ---- --info ----
mb_expect_status 0 "$AN" --info known.mbp
grep -q "record blocks" out || mb_fail "--info: $(cat out)"

# ---- errors: exit codes and messages naming the file (and offset) ----
mb_expect_status 1 "$AN" nosuch.mbp
grep -q "cannot open nosuch.mbp: No such file or directory" err || mb_fail "missing file: $(cat err)"
echo "not a profile" > text.mbp
mb_expect_status 3 "$AN" text.mbp
grep -q "text.mbp" err && grep -qi "not a membench profile" err || mb_fail "not a profile: $(cat err)"
cp known.mbp newer.mbp   # format major version 9 (little-endian u16 after the 8-byte magic)
printf '\x09' | dd of=newer.mbp bs=1 seek=8 conv=notrunc status=none
mb_expect_status 3 "$AN" newer.mbp
grep -q "newer.mbp" err && grep -q "version 9" err || mb_fail "newer version: $(cat err)"
size=$(stat -c %s known.mbp)
cp known.mbp corrupt.mbp
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of=corrupt.mbp bs=1 seek=$((size / 2)) conv=notrunc status=none
mb_expect_status 3 "$AN" corrupt.mbp
grep -q "corrupt.mbp" err && grep -q "offset" err || mb_fail "corrupt block: $(cat err)"
mb_expect_status 3 "$AN" --threads 3 corrupt.mbp
grep -q "corrupt.mbp" err && grep -q "offset" err || mb_fail "corrupt block, threads: $(cat err)"
mb_expect_status 0 "$AN" --allow-damaged --json corrupt.mbp
grep -q "corrupt.mbp is damaged" err || mb_fail "corrupt block, --allow-damaged: $(cat err)"
head -c $((size * 3 / 4)) known.mbp > cut.mbp
mb_expect_status 3 "$AN" cut.mbp
grep -q "cut.mbp is damaged: cut short" err && grep -q -- "--allow-damaged" err ||
  mb_fail "cut profile without --allow-damaged: $(cat err)"
mb_expect_status 0 "$AN" --allow-damaged --json cut.mbp
grep -q "cut.mbp is damaged" err || mb_fail "no damage warning: $(cat err)"
$PY - out <<'PY' || mb_fail "truncated profile"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["profile"]["truncated"] is True and 0 < r["requests"] < 2400, (r["profile"], r["requests"])
PY
mb_expect_status 2 "$AN"
mb_expect_status 2 "$AN" --bogus known.mbp
mb_expect_status 2 "$AN" --top 0 known.mbp
mb_expect_status 2 "$AN" --compare known.mbp
mb_expect_status 2 "$AN" --info --json known.mbp
mb_expect_status 0 "$AN" --help
grep -q "usage: membench analyze" out || mb_fail "--help"
echo "ok"
