# lib.sh: shell helpers of the bench/run*.sh scripts (sourced).

# run_bench OUT CMD [ARG...]: run a benchmark with its output on the
# terminal and in OUT; if it fails, say so and exit 1, so that the caller
# leaves BENCHMARKS.md as it was.
run_bench() {
  _out=$1
  shift
  # the exit status of the benchmark, not of tee
  { "$@"; echo $? > "$_out.rc"; } | tee "$_out"
  _rc=$(cat "$_out.rc" 2>/dev/null || echo 1)
  rm -f "$_out.rc"
  if [ "$_rc" -ne 0 ]; then
    echo "error: $1 failed (exit $_rc); BENCHMARKS.md not updated" >&2
    exit 1
  fi
}
