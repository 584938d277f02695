#!/bin/sh
# run-unit.sh BIN...: run each unit-test program, report and fail if any did.
failed=0
for t in "$@"; do
  if ! "$t"; then
    echo "FAILED: $t (exit $?)" >&2
    failed=$((failed + 1))
  fi
done
echo "unit test programs: $# run, $failed failed"
[ "$failed" -eq 0 ]
