# Bug: membench-record took the first non-option word as the source, so an option's value
# before the source (`--ops 5 synth:zipf`) or -o's file name was reported as an unknown source.
source "$MB_SOURCE_DIR/tests/lib.sh"

mb_expect_status 0 "$MB_BIN/membench" record --ops 50 --seed 3 synth:zipf -o "$MB_TMP/a.mbp"
[ -s "$MB_TMP/a.mbp" ] || mb_fail "no profile written"
mb_expect_status 0 "$MB_BIN/membench" record -o "$MB_TMP/b.mbp" --ops 50 --seed 3 synth:zipf
cmp -s "$MB_TMP/a.mbp" "$MB_TMP/b.mbp" || mb_fail "argument order changed the profile"

mb_expect_status 2 "$MB_BIN/membench" record -o "$MB_TMP/c.mbp"
grep -q "no source given" "$MB_TMP/err" || mb_fail "wrong message: $(cat "$MB_TMP/err")"
mb_expect_status 2 "$MB_BIN/membench" record bogus:1 -o "$MB_TMP/c.mbp"
grep -q "unknown source 'bogus:1'" "$MB_TMP/err" || mb_fail "wrong message: $(cat "$MB_TMP/err")"
echo "record source detection: ok"
