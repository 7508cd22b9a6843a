# Helpers of the --metrics tests (sourced after tests/lib.sh).
#   prom_check PREFIX JSON FILE...   every FILE (a /metrics scrape) passes tests/util/promcheck.py,
#                                    the strict exposition checker; their samples go to JSON (a
#                                    list, one {series: value} per FILE); and the families they
#                                    serve are exactly the PREFIX* families docs/metrics.md lists
prom_check() {
  local prefix=$1 json=$2; shift 2
  /usr/bin/python3 "$MB_SOURCE_DIR/tests/util/promcheck.py" --json "$json" "$@" ||
    mb_fail "an exposition failed the checker (above)"
  cat "$@" | awk '$1=="#" && $2=="TYPE" {print $3}' | sort -u >"$MB_TMP/served.txt"
  grep -o "^| \`${prefix}[a-z_]*\`" "$MB_SOURCE_DIR/docs/metrics.md" | tr -d '|` ' |
    sort -u >"$MB_TMP/documented.txt"
  diff "$MB_TMP/served.txt" "$MB_TMP/documented.txt" ||
    mb_fail "families served (<) and documented in docs/metrics.md (>) differ"
  echo "ok: $# scrapes pass the checker; $(wc -l <"$MB_TMP/served.txt") families, all documented"
}
