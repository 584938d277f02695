# assert.sh: assertions for the CLI tests (test_contract, test_bad_input,
# test_tenants, test_sql).  Each check prints "ok <what>" or
# fails the test file with a message.  A run that dies by a signal, or with
# a sanitizer's exit code (86), always fails.
R="$REMDB_BIN"
DB=db
OUT=.out
ERR=.err

die() { echo "FAILED: $*"; echo "--- stdout"; head -c 2000 "$OUT"; echo "--- stderr"; head -c 2000 "$ERR"; exit 1; }

# run CMD...: run remdb with the test database, capture output and status
run() { "$R" -d "$DB" "$@" >"$OUT" 2>"$ERR"; RC=$?; }

check_alive() {
  [ "$RC" -lt 128 ] || die "killed by signal $((RC - 128)): $*"
  [ "$RC" -ne 86 ] || die "sanitizer report: $*"
}

# ok CMD...: must succeed
ok() { run "$@"; check_alive "$@"; [ "$RC" -eq 0 ] || die "expected success: $*"; echo "ok $*"; }

# fails "substring" CMD...: must fail with an error: line containing substring
fails() {
  want=$1; shift
  run "$@"; check_alive "$@"
  [ "$RC" -ne 0 ] || die "expected failure: $*"
  grep -q '^error: ' "$ERR" || die "no 'error:' line: $*"
  grep -qF -- "$want" "$ERR" || die "error does not mention '$want': $*"
  echo "ok fails: $*"
}

# out_has "substring": the last command's stdout contains it
out_has() { grep -qF -- "$1" "$OUT" || die "stdout lacks '$1'"; echo "ok stdout has $1"; }
out_is() { [ "$(cat "$OUT")" = "$1" ] || die "stdout is '$(cat "$OUT")', expected '$1'"; echo "ok stdout is $1"; }

# count TABLE N [--deleted]
count_is() { ok count "$1" ${3:-}; out_is "$2"; }

# verify_ok: entities, indexes, counters agree
verify_ok() { ok verify; out_has "ok:"; }

# a schema used by several tests
issues_schema() {
  cat > issues.json <<'JSON'
{"name":"issues","properties":{
  "key":{"type":"string","maxLength":16},
  "title":{"type":"string","maxLength":60},
  "status":{"enum":["open","closed"]},
  "priority":{"type":"integer","minimum":1,"maximum":5},
  "due":{"type":["string","null"],"format":"date-time"},
  "tags":{"type":"array","items":{"type":"string"}}},
 "required":["key","title","status"],
 "key_field":"key",
 "indexed_fields":["status","priority"]}
JSON
}
