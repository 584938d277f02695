#!/bin/bash
# run.sh [NAME...]: run the CLI tests against $REMDB_BIN.
#
#   REMDB_BIN=/abs/path/to/remdb tests/cli/run.sh          every test_*.sh
#   REMDB_BIN=... tests/cli/run.sh ids tenant_isolation     a selection
#
# Each test file runs in a fresh scratch directory (mktemp -d, removed
# afterwards; KEEP=1 keeps those of failed tests), with bash if its first
# line names bash and with sh otherwise.  One line per file, the failures'
# details, then "N passed, N failed"; the exit status is non-zero if any
# test failed.  A test that runs longer than TEST_TIMEOUT seconds (1800)
# fails: a guard against a hang only, far above any test's running time on
# a busy machine under ASan (no test may depend on the machine's speed).  JOBS=N runs N test files at a time (default: CPUs, at most 4).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${REMDB_BIN:-}" ]; then
  echo "run.sh: set REMDB_BIN to the remdb binary" >&2
  exit 2
fi
case $REMDB_BIN in
  /*) ;;
  *) REMDB_BIN=$PWD/$REMDB_BIN ;;
esac
if [ ! -x "$REMDB_BIN" ]; then
  echo "run.sh: REMDB_BIN=$REMDB_BIN is not an executable" >&2
  exit 2
fi
export REMDB_BIN
export SAMPLE="$HERE/../../sample"
unset REMDB_PATH REMDB_TENANT
limit=${TEST_TIMEOUT:-1800}

tests=()
if [ $# -eq 0 ]; then
  tests=("$HERE"/test_*.sh)
else
  for a in "$@"; do
    a=${a##*/}
    a=${a%.sh}
    a=${a#test_}
    if [ ! -f "$HERE/test_$a.sh" ]; then
      echo "run.sh: no test named $a" >&2
      exit 2
    fi
    tests+=("$HERE/test_$a.sh")
  done
fi

# run_one I: run test I in its directory; leave .log, .rc and .ms there
run_one() {
  local t=${tests[$1]} dir=${dirs[$1]} shell=sh first="" start rc
  IFS= read -r first <"$t" || true
  case $first in '#!'*bash*) shell=bash ;; esac
  start=$(date +%s%N)
  (cd "$dir" && timeout "$limit" "$shell" "$t") </dev/null >"$dir/.log" 2>&1
  rc=$?
  echo $((($(date +%s%N) - start) / 1000000)) >"$dir/.ms"
  echo "$rc" >"$dir/.rc"
}

# report I: the result line of test I (and the details of a failure)
report() {
  local name=${tests[$1]##*/} dir=${dirs[$1]} rc ms checks=0 last="" line n=0 why
  rc=$(cat "$dir/.rc")
  ms=$(cat "$dir/.ms")
  # lib.sh tests end with "NAME: N checks passed"; assert.sh tests print
  # "ok ..." per check
  while IFS= read -r line; do
    case $line in "ok "*) checks=$((checks + 1)) ;; esac
    [ -n "$line" ] && last=$line
  done <"$dir/.log"
  case $last in *": "*" checks passed") checks=${last#*: } checks=${checks%% *} ;; esac
  if [ "$rc" -eq 0 ]; then
    pass=$((pass + 1))
    printf 'ok    %-28s (%d checks, %d ms)\n' "$name" "$checks" "$ms"
  else
    fail=$((fail + 1))
    why="exit $rc"
    [ "$rc" -eq 124 ] && why="timed out after ${limit}s"
    printf 'FAIL  %-28s (%s, %d ms)\n' "$name" "$why" "$ms"
    while IFS= read -r line; do
      case $line in "ok "*) continue ;; esac
      n=$((n + 1))
      [ "$n" -le 80 ] && printf '      %s\n' "$line"
    done <"$dir/.log"
    [ "$n" -gt 80 ] && printf '      ... (%d more lines)\n' $((n - 80))
  fi
  if [ "$rc" -ne 0 ] && [ "${KEEP:-0}" = 1 ]; then
    echo "      (kept $dir)"
  else
    rm -rf "$dir"
  fi
}

# Tests run JOBS at a time (default: the number of CPUs, at most 4);
# results are printed in file order.
jobs_max=${JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs_max" -gt 4 ] && [ -z "${JOBS:-}" ] && jobs_max=4
[ "$jobs_max" -ge 1 ] 2>/dev/null || jobs_max=1
pass=0
fail=0
dirs=()
suite_start=$(date +%s%N)
next=0 # the next test to report
for i in "${!tests[@]}"; do
  dirs[i]=$(mktemp -d) || exit 2
  run_one "$i" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
    wait -n
    while [ "$next" -le "$i" ] && [ -f "${dirs[next]}/.rc" ]; do
      report "$next"
      next=$((next + 1))
    done
  done
done
wait
while [ "$next" -lt "${#tests[@]}" ]; do
  report "$next"
  next=$((next + 1))
done
echo "cli tests took $((($(date +%s%N) - suite_start) / 1000000)) ms"
echo "cli test files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
