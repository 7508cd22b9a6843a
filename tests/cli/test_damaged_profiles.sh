# One rule for damaged profiles in every binary (issue 16; README "Exit codes"; profile.h):
# analyze, analyze --info, replay and record profile: refuse a profile with a corrupt middle
# block, and one cut short (a recorder killed), with exit 3 and a message naming the file and
# --allow-damaged; with --allow-damaged they use the complete, valid blocks and warn. Before,
# replay ran a corrupt profile with exit 0, analyze ran a cut one with exit 0, and --info said
# "truncated: no" for a corrupt middle block.
# The damaged files are the reader's corpus (tests/profile/corpus, 6 record blocks, 384 records):
# record-flipped.mbp (a flipped byte in the second record block), cut-3499.mbp (cut in the last).
source "$MB_SOURCE_DIR/tests/lib.sh"
C="$MB_SOURCE_DIR/tests/profile/corpus"
AN="$MB_BIN/membench-analyze"
cd "$MB_TMP"
mb_start_memcached
S=127.0.0.1:$MC_PORT

# refused CMD...: exit 3, the file and the flag named
refused() {
  mb_expect_status 3 "$@"
  grep -q "$(basename "$F")" "$MB_TMP/err" && grep -q -- "--allow-damaged" "$MB_TMP/err" ||
    { cat "$MB_TMP/err"; mb_fail "'$*': message without the file or --allow-damaged"; }
}
# allowed CMD...: exit 0 with a warning naming the damage
allowed() {
  mb_expect_status 0 "$@"
  grep -q "warning: .*$(basename "$F") is damaged" "$MB_TMP/err" ||
    { cat "$MB_TMP/err"; mb_fail "'$*': no damage warning"; }
}

for name in record-flipped cut-3499; do
  F="$C/$name.mbp"
  refused "$AN" "$F"
  refused "$AN" --threads 3 "$F"
  refused "$AN" --info "$F"
  grep -q "^damaged: *yes" "$MB_TMP/out" || { cat "$MB_TMP/out"; mb_fail "--info $name: no damage line"; }
  refused "$MB_BIN/membench-replay" "$F" --server "$S" --rate max
  refused "$MB_BIN/membench-record" "profile:$F" -o copy.mbp
  [ ! -e copy.mbp ] || mb_fail "record profile: left copy.mbp behind for a refused input"

  allowed "$AN" --allow-damaged --json "$F"
  python3 - "$MB_TMP/out" "$name" <<'PY' || mb_fail "analyze --allow-damaged $name"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["profile"]
print(sys.argv[2], "requests", r["requests"], "damaged_blocks", p["damaged_blocks"], "truncated", p["truncated"])
if sys.argv[2] == "record-flipped":
    assert p["damaged_blocks"] == 1 and p["damaged_records"] == 64 and not p["truncated"], p
else:
    assert p["truncated"] and p["damaged_blocks"] == 0, p
PY
  allowed "$AN" --info --allow-damaged "$F"
  allowed "$MB_BIN/membench-replay" "$F" --server "$S" --rate max --allow-damaged --json r.json
  python3 -c 'import json,sys; j=json.load(open("r.json")); assert 0 < j["requests_sent"] < 384 and "damaged" in j["profile_warning"], j["profile_warning"]' ||
    mb_fail "replay --allow-damaged $name"
  allowed "$MB_BIN/membench-record" "profile:$F" --allow-damaged -o copy.mbp
  # the copy is whole: no damage of its own, the records of the valid blocks
  mb_expect_status 0 "$AN" --info copy.mbp
  grep -q "^damaged: *no" "$MB_TMP/out" || mb_fail "the copy of $name is damaged"
  rm -f copy.mbp
  echo "ok: $name"
done

# an undamaged profile: no flag needed, --info says so
F="$C/golden-v1.mbp"
mb_expect_status 0 "$AN" --info "$F"
grep -q "^damaged: *no" "$MB_TMP/out" && grep -q "^truncated: *no" "$MB_TMP/out" || mb_fail "golden --info"
echo "ok: undamaged"
