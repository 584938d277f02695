# lib.sh: assertion helpers for the bash CLI tests (sourced, not run).
# (assert.sh serves the POSIX-sh tests test_contract, test_bad_input,
# test_tenants and test_sql; the two can live side by side.)
#
# Each test file runs in a fresh temporary directory (run.sh makes it and
# removes it) with REMDB_BIN set to the absolute path of the binary.  The
# test's database is $DB (./db).  Helpers record a failure and go on, so one
# run reports every broken check; `finish` (the last line of every test)
# verifies the databases left behind and sets the exit status.
#
#   remdb ARGS...            the binary on $DB:  $REMDB_BIN -d $DB ARGS...
#   run CMD...               run CMD; $OUT, $ERR, $RC hold stdout, stderr,
#                            exit code.  A crash is always a failure.
#   expect_ok CMD...         CMD exits 0 (and did not crash)
#   expect_fail TEXT CMD...  CMD exits non-zero (< 128, not a sanitizer's 86)
#                            and stderr has a line starting with `error:`
#                            that contains TEXT
#   expect_eq ACTUAL WANT DESC, expect_ne, expect_contains HAY NEEDLE DESC,
#   expect_not_contains, expect_lines N TEXT DESC, expect_uuid TEXT DESC
#   expect_count N CMD...    CMD (a `count`) succeeds and prints N
#   verify_db [DIR [TENANT...]]  `verify` passes on DIR for each TENANT
#   reject_batch TABLE NAME  many bad entities (TEXT<TAB>JSON lines on
#                            stdin) in one `import --skip-bad`
#   json_ids JSONL           the ids of JSON-lines output, one per line
#   jq_py EXPR JSON          evaluate a python expression over j = the
#                            parsed JSON text (t = the text), print it
#   jsonl_array JSONL        JSON-lines text as one JSON array
#   finish                   verify $DB (tenants in $VERIFY_TENANTS), report
#
# Only bash, coreutils and python3 are used.

set -u

if [ -z "${REMDB_BIN:-}" ] || [ ! -x "$REMDB_BIN" ]; then
  echo "lib.sh: REMDB_BIN must name the remdb binary" >&2
  exit 2
fi

unset REMDB_PATH REMDB_TENANT
DB="$PWD/db"
VERIFY_TENANTS="default"
T_NAME=${0##*/}
T_CHECKS=0
T_FAILS=0
OUT=""
ERR=""
RC=0
_T_OUTF="$PWD/.lib.out"
_T_ERRF="$PWD/.lib.err"

remdb() { "$REMDB_BIN" -d "$DB" "$@"; }

# A string cut to n characters, for messages (outputs may be megabytes).
_clip() {
  local s=$1 n=${2:-400}
  if [ "${#s}" -gt "$n" ]; then
    printf '%s...[%d chars]' "${s:0:n}" "${#s}"
  else
    printf '%s' "$s"
  fi
}

# file:line of the test that called the helper.
_where() {
  local i
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    if [ "${BASH_SOURCE[$i]##*/}" != lib.sh ]; then
      echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
      return
    fi
  done
  echo "$T_NAME"
}

_LAST_CMD=""
fail_check() {
  T_FAILS=$((T_FAILS + 1))
  {
    echo "FAIL $(_where): $1"
    if [ -n "$_LAST_CMD" ]; then
      echo "    command: $(_clip "$_LAST_CMD" 300)"
      echo "    exit:    $RC"
      [ -n "$OUT" ] && echo "    stdout:  $(_clip "$OUT")"
      [ -n "$ERR" ] && echo "    stderr:  $(_clip "$ERR")"
    fi
  } >&2
  return 1
}

pass_check() {
  T_CHECKS=$((T_CHECKS + 1))
  return 0
}

# Run a command, capture it, and flag crashes: a signal (exit >= 128), the
# sanitizer exit code 86, or a sanitizer report on stderr.
run() {
  _LAST_CMD="$*"
  "$@" >"$_T_OUTF" 2>"$_T_ERRF"
  RC=$?
  OUT=$(cat "$_T_OUTF")
  ERR=$(cat "$_T_ERRF")
  rm -f "$_T_OUTF" "$_T_ERRF"
  T_CHECKS=$((T_CHECKS + 1))
  if [ "$RC" -ge 128 ]; then
    fail_check "killed by signal $((RC - 128)) (exit $RC)"
    return 1
  fi
  if [ "$RC" -eq 86 ]; then
    fail_check "sanitizer error (exit 86)"
    return 1
  fi
  case $ERR in
    *"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | \
      *"runtime error:"* | *"SUMMARY: UndefinedBehaviorSanitizer"*)
      fail_check "sanitizer report on stderr"
      return 1
      ;;
  esac
  return 0
}

expect_ok() {
  run "$@" || return 1
  if [ "$RC" -ne 0 ]; then
    fail_check "expected success, got exit $RC"
    return 1
  fi
  return 0
}

# Does $ERR have a line that starts with "error:" and contains $1?
_has_error_line() {
  local want=$1 line
  while IFS= read -r line; do
    case $line in
      "error:"*"$want"*) return 0 ;;
    esac
  done <<<"$ERR"
  return 1
}

expect_fail() {
  local want=$1
  shift
  run "$@" || return 1
  if [ "$RC" -eq 0 ]; then
    fail_check "expected failure mentioning '$want', got exit 0"
    return 1
  fi
  if ! _has_error_line "$want"; then
    fail_check "stderr has no line 'error: ...$want...'"
    return 1
  fi
  return 0
}

expect_eq() {
  if [ "$1" != "$2" ]; then
    fail_check "${3:-value}: got '$(_clip "$1")', want '$(_clip "$2")'"
    return 1
  fi
  pass_check
}

expect_ne() {
  if [ "$1" = "$2" ]; then
    fail_check "${3:-value}: got '$(_clip "$1")', want anything else"
    return 1
  fi
  pass_check
}

expect_contains() {
  case $1 in
    *"$2"*) pass_check ;;
    *)
      fail_check "${3:-text}: '$(_clip "$1")' does not contain '$(_clip "$2" 200)'"
      ;;
  esac
}

expect_not_contains() {
  case $1 in
    *"$2"*)
      fail_check "${3:-text}: '$(_clip "$1")' contains '$(_clip "$2" 200)'"
      ;;
    *) pass_check ;;
  esac
}

# Number of non-empty lines of a text.
nlines() {
  local n=0 line
  if [ -z "$1" ]; then
    echo 0
    return
  fi
  while IFS= read -r line; do
    [ -n "$line" ] && n=$((n + 1))
  done <<<"$1"
  echo "$n"
}

expect_lines() {
  expect_eq "$(nlines "$2")" "$1" "${3:-line count}"
}

is_uuid() {
  [[ $1 =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
}

expect_uuid() {
  if is_uuid "$1"; then
    pass_check
  else
    fail_check "${2:-id}: '$(_clip "$1")' is not a lowercase UUID"
  fi
}

# expect_count N CMD...: a count command succeeds and prints N.
expect_count() {
  local want=$1
  shift
  expect_ok "$@" || return 1
  expect_eq "$OUT" "$want" "$*"
}

# verify_db [DIR [TENANT...]]: `verify` passes for each tenant.
verify_db() {
  local dir=${1:-$DB} t
  shift || true
  [ $# -eq 0 ] && set -- default
  for t in "$@"; do
    expect_ok "$REMDB_BIN" -d "$dir" -t "$t" verify || continue
    expect_contains "$OUT" "ok" "verify output ($dir, tenant $t)"
  done
}

# jq_py EXPR TEXT: evaluate the python expression EXPR with t = TEXT and
# j = json.loads(TEXT) (None if TEXT is not JSON), print the result (strings
# bare, anything else as JSON).  One python3 coprocess serves every call of
# a test file, so a check costs well under a millisecond, not a python
# start-up.  Call it from $(...), not from inside ( ... ) or a pipeline.
_PY_SRC='
import json, sys
inp = sys.stdin.buffer
while True:
    head = inp.readline()
    if not head:
        break
    expr = inp.read(int(head)).decode("utf-8")
    n = int(inp.readline())
    t = inp.read(n).decode("utf-8", "surrogateescape")
    try:
        j = json.loads(t)
        jerr = None
    except Exception as e:
        j, jerr = None, e
    try:
        r = eval(expr.strip())
        out = r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
    except Exception as e:
        out = "EVAL-ERROR: %r%s" % (e, " (input is not JSON: %s)" % jerr if jerr else "")
    sys.stdout.write(out.replace("\x01", "?") + "\n\x01\n")
    sys.stdout.flush()
'
coproc _PY { exec python3 -u -c "$_PY_SRC"; }
# plain descriptors, unlike a coprocess's, reach subshells and pipelines
exec {_PY_TO}>&"${_PY[1]}" {_PY_FROM}<&"${_PY[0]}"
jq_py() {
  local expr=$1 text=$2 line res=""
  local LC_ALL=C
  printf '%d\n%s%d\n%s' "${#expr}" "$expr" "${#text}" "$text" >&"$_PY_TO" || {
    echo "EVAL-ERROR: the python coprocess is gone"
    return 1
  }
  while IFS= read -r line <&"$_PY_FROM"; do
    [ "$line" = $'\x01' ] && break
    res+="$line"$'\n'
  done
  printf '%s\n' "${res%$'\n'}"
}

# A field of a JSON object, as jq_py prints it.
jfield() { jq_py "j.get('$1')" "$2"; }

# The "id" of each JSON-lines object of a text, one per line, in order.
json_ids() {
  jq_py "'\\n'.join(json.loads(l)['id'] for l in t.splitlines() if l.strip())" "$1"
}

# A JSON-lines text as one JSON array (for jq_py over many rows).
jsonl_array() {
  jq_py "json.dumps([json.loads(l) for l in t.splitlines() if l.strip()], ensure_ascii=False)" "$1"
}

# reject_batch TABLE NAME <<< "TEXT<TAB>JSON" lines: many bad entities
# checked in one process (one CLI start each would be slow under ASan):
# `import TABLE NAME.jsonl --skip-bad` must import none of them and report
# each line's problem with its TEXT.
reject_batch() {
  local table=$1 name=$2 text json n=0 line
  local -a want=() lines=()
  : >"$name.jsonl"
  while IFS=$'\t' read -r text json; do
    [ -z "$text" ] && continue
    n=$((n + 1))
    want[n]=$text
    lines[n]=$json
    printf '%s\n' "$json" >>"$name.jsonl"
  done
  expect_ok remdb import "$table" "$name.jsonl" --skip-bad || return 1
  expect_contains "$OUT" "imported 0 entities" "$name: nothing imported"
  local plural=s
  [ "$n" -eq 1 ] && plural=""
  expect_contains "$OUT" "skipped $n bad line$plural" "$name: every line skipped"
  local -A got=()
  while IFS= read -r line; do
    [[ $line =~ ^skipped\ $name\.jsonl\ line\ ([0-9]+):\ (.*)$ ]] &&
      got[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  done <<<"$ERR"
  for ((line = 1; line <= n; line++)); do
    expect_contains "${got[$line]:-<not reported>}" "${want[line]}" \
      "$name line $line: $(_clip "${lines[line]}" 120)"
  done
}

finish() {
  if [ -d "$DB" ]; then
    # shellcheck disable=SC2086
    verify_db "$DB" $VERIFY_TENANTS
  fi
  if [ "$T_FAILS" -gt 0 ]; then
    echo "$T_NAME: $T_FAILS of $T_CHECKS checks failed" >&2
    exit 1
  fi
  echo "$T_NAME: $T_CHECKS checks passed"
  exit 0
}
