#!/bin/sh
# run.sh: runs the libFuzzer targets built by fuzz/fuzz.mk.
#
#   fuzz/run.sh fuzz BUILD_DIR SECONDS NAME...
#       Fuzz each target for SECONDS, starting from its committed seeds
#       (fuzz/corpus/NAME, read only) and the inputs earlier runs found
#       (BUILD_DIR/corpus-NAME, where new inputs go).  Crashing inputs are
#       written to BUILD_DIR/artifacts/NAME/.
#   fuzz/run.sh test BUILD_DIR SECONDS NAME...
#       For each target: run every committed seed and every saved crash
#       (fuzz/regress/NAME) once, then fuzz SECONDS from the seeds in a
#       scratch corpus that is thrown away.
#
# Both print the executions of each target and exit non-zero if any
# target crashed, leaked, timed out or broke a property.  FUZZ_JOBS targets
# run at a time (default 2); every target runs even after one fails.
# Run from the top of the repository.
set -u

mode=$1 B=$2 secs=$3
shift 3
jobs=${FUZZ_JOBS:-2}
mkdir -p "$B/tmp" "$B/logs"
# the sql target makes its scratch database under TMPDIR
TMPDIR=$(cd "$B/tmp" && pwd)
export TMPDIR
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

# one target; writes its log and a one-line result to $B/logs/NAME.result
run_one() {
  name=$1
  bin=$B/fuzz_$name
  log=$B/logs/$name.log
  res=$B/logs/$name.result
  art=$B/artifacts/$name
  mkdir -p "$art"
  dict=""
  [ -f "fuzz/$name.dict" ] && dict="-dict=fuzz/$name.dict"
  # -timeout: a guard against a hanging input, not a speed limit (a busy
  # machine and the sanitizers slow every input down)
  opts="-timeout=600 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$art/"
  : >"$log"
  if [ "$mode" = test ]; then
    files=$(find "fuzz/corpus/$name" "fuzz/regress/$name" -type f \
      ! -name '.*' ! -name README 2>/dev/null | sort)
    nfiles=$(printf '%s\n' "$files" | grep -c .)
    if [ "$nfiles" -gt 0 ]; then
      # shellcheck disable=SC2086
      if ! "$bin" $opts $files >>"$log" 2>&1; then
        bad=$(sed -n 's/^Running: //p' "$log" | tail -n 1)
        echo "$name FAIL input $bad crashes; log: $log" >"$res"
        return
      fi
    fi
    corpus=$(mktemp -d "$B/test-corpus-$name.XXXXXX")
  else
    corpus=$B/corpus-$name
    mkdir -p "$corpus"
    nfiles=0
  fi
  # shellcheck disable=SC2086
  "$bin" $opts $dict -max_total_time="$secs" "$corpus" "fuzz/corpus/$name" \
    >>"$log" 2>&1
  rc=$?
  [ "$mode" = test ] && rm -rf "$corpus"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    once=""
    [ "$mode" = test ] && once=" (and $nfiles seed/regression inputs run once)"
    echo "$name ok ${execs:-?} executions$once" >"$res"
  else
    crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
    echo "$name FAIL exit $rc after ${execs:-?} executions; input: ${crash:-none}; log: $log" >"$res"
  fi
}

start=$(date +%s)
running=0
for name in "$@"; do
  rm -f "$B/logs/$name.result"
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait
    running=0
  fi
done
wait

pass=0 fail=0
for name in "$@"; do
  r=$(cat "$B/logs/$name.result" 2>/dev/null || echo "$name FAIL no result")
  # shellcheck disable=SC2086 # the result line splits into words
  set -- $r
  n=$1 status=$2
  shift 2
  printf '  fuzz_%-7s %-4s %s\n' "$n" "$status" "$*"
  if [ "$status" = ok ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    # the sanitizer's or the property's own words, and the frames in
    # remdb's code
    grep -E -A1 'property failed' "$B/logs/$n.log" | head -n 2 |
      sed 's/^/      /'
    grep -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error|SUMMARY: [A-Z]|#[0-9]+ .* in .* (/[^ ]*)?(src|fuzz)/[a-z_]+/?[a-z_]*\.c' \
      "$B/logs/$n.log" | grep -v 'libFuzzer: deadly signal' | head -n 12 |
      sed 's/^/      /'
  fi
done
label=fuzz
[ "$mode" = test ] && label=test-fuzz
echo "$label: ${secs}s of fuzzing per target, $(($(date +%s) - start))s wall time"
echo "$label: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
