#!/bin/sh
# run.sh: run every tests/cli/test_*.sh against $REMDB_BIN, each in a fresh
# scratch directory; print a line per file and "N passed, N failed".
set -u
: "${REMDB_BIN:?set REMDB_BIN to the remdb binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
for t in "$HERE"/test_*.sh; do
  dir=$(mktemp -d)
  if (cd "$dir" && REMDB_BIN="$REMDB_BIN" \
      SAMPLE="$HERE/../../sample" sh "$t") >"$dir/.log" 2>&1; then
    echo "ok    $(basename "$t") ($(grep -c '^ok ' "$dir/.log") checks)"
    pass=$((pass + 1))
  else
    echo "FAIL  $(basename "$t")"
    grep -v '^ok ' "$dir/.log" | tail -n 30 | sed 's/^/      /'
    fail=$((fail + 1))
  fi
  rm -rf "$dir"
done
echo "cli test files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
