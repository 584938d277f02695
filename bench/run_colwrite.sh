#!/bin/sh
# run_colwrite.sh BENCH_COLWRITE_BIN: the write cost of the columnar copy
# (issue 11): single-row inserts and updates and a bulk insert into the same
# table with columns on and with "columnar": false, interleaved in one
# process, rows per CPU second (the machine is shared: wall-clock swings).
# Writes the section between <!-- colwrite:begin --> and <!-- colwrite:end -->
# of BENCHMARKS.md.
set -e
BIN=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$BIN" ] || { echo "usage: run_colwrite.sh BENCH_COLWRITE_BIN" >&2; exit 2; }
T=$(mktemp)
trap 'rm -f "$T" "$T.table"' EXIT
REMDB_BENCH_CPU=1 "$BIN" >"$T.table"
{
  echo "<!-- colwrite:begin -->"
  echo "## Columnar copy: what it costs a write (issue 11)"
  echo
  echo "\`make bench\` (\`bench/run_colwrite.sh\`, \`bench/bench_colwrite.c\`):"
  echo "the same table with its columnar copy on and with \`\"columnar\": false\`,"
  echo "runs interleaved in one process; rows per CPU second.  Target: at"
  echo "most 15% slower with columns (on / off >= 0.85)."
  echo "Run on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average"
  echo "$(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  cat "$T.table"
  echo
  echo "Reproduce: \`make build/bench/bench_colwrite && bench/run_colwrite.sh"
  echo "build/bench/bench_colwrite\` (\`REMDB_BENCH_N\`, \`REMDB_BENCH_REPS\`)."
  echo "<!-- colwrite:end -->"
} >"$T"
python3 "$ROOT/bench/put_section.py" "$ROOT/BENCHMARKS.md" "$T" colwrite
cat "$T"
echo "BENCHMARKS.md: colwrite section updated" >&2
