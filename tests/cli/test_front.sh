# The front command: --version, --help, help <cmd>, unknown commands (exit 2), dispatch to
# membench-<cmd> found beside the executable.
source "$MB_SOURCE_DIR/tests/lib.sh"

mb_expect_status 0 "$MB_BIN/membench" --version
grep -Eq '^membench [0-9]+\.[0-9]+\.[0-9]+' "$MB_TMP/out" || mb_fail "--version printed: $(cat "$MB_TMP/out")"

mb_expect_status 0 "$MB_BIN/membench" --help
for cmd in record analyze replay; do
  grep -q "^  $cmd " "$MB_TMP/out" || mb_fail "--help does not list $cmd"
done

mb_expect_status 2 "$MB_BIN/membench"
mb_expect_status 2 "$MB_BIN/membench" nosuch
grep -q "'nosuch' is not a membench command" "$MB_TMP/err" || mb_fail "unclear error: $(cat "$MB_TMP/err")"
mb_expect_status 2 "$MB_BIN/membench" --bogus
mb_expect_status 2 "$MB_BIN/membench" help nosuch

for cmd in record analyze replay; do
  mb_expect_status 0 "$MB_BIN/membench" help "$cmd"
  grep -q "usage: membench $cmd" "$MB_TMP/out" || mb_fail "help $cmd: $(cat "$MB_TMP/out")"
  mb_expect_status 0 "$MB_BIN/membench" "$cmd" --version
  grep -q "^membench-$cmd " "$MB_TMP/out" || mb_fail "$cmd --version: $(cat "$MB_TMP/out")"
done

# Dispatch from a copy of the front command in another directory falls back to PATH.
mkdir -p "$MB_TMP/elsewhere"
cp "$MB_BIN/membench" "$MB_TMP/elsewhere/"
PATH="$MB_BIN:$PATH" mb_expect_status 0 "$MB_TMP/elsewhere/membench" help analyze
PATH=/usr/bin:/bin mb_expect_status 127 "$MB_TMP/elsewhere/membench" analyze --help
echo "front command: ok"
