#!/bin/sh
# run_sql.sh BENCH_SQL_BIN: run the SQL benchmark (bench_sql.c) with its
# DuckDB peer and write its table into BENCHMARKS.md between the markers
# <!-- sql:begin --> and <!-- sql:end -->, keeping every other section.
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DUCK="$ROOT/build/duckdb"
# DuckDB for the peer column, from the npm registry (bench only)
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  if [ ! -d "$DUCK/node_modules/@duckdb/node-api" ]; then
    mkdir -p "$DUCK"
    npm install --prefix "$DUCK" --no-audit --no-fund --silent \
      @duckdb/node-api@1.5.6-r.1 >/dev/null 2>&1 ||
      echo "warning: could not install @duckdb/node-api; DuckDB column empty" >&2
  fi
fi
out=$(mktemp)
trap 'rm -f "$out" "$out.md"' EXIT
# a failed run leaves BENCHMARKS.md as it was
if [ -d "$DUCK/node_modules/@duckdb/node-api" ]; then
  NODE_PATH="$DUCK/node_modules" "$BIN" "$HERE/duck_sql.cjs" > "$out" || {
    cat "$out"; exit 1; }
else
  "$BIN" > "$out" || { cat "$out"; exit 1; }
fi
cat "$out"
{
  echo "<!-- sql:begin -->"
  echo "## SQL (issues 3 and 11)"
  echo
  echo "\`make bench\` (\`bench/bench_sql.c\`): N issues (default 1,000,000;"
  echo "\`REMDB_BENCH_N\` sets it) and 10,000 users, loaded into remdb, into a"
  echo "native SQLite file database with the same indexes, and into DuckDB"
  echo "(\`@duckdb/node-api\`) from CSV.  Medians of repeated runs in one"
  echo "process per engine, caches warm; every result is checked to agree"
  echo "between remdb and SQLite before it is timed.  remdb runs each query on"
  echo "its default route (aggregations on the columnar executor, reading the"
  echo "columnar copy: EXPLAIN's route is listed below) with one thread and"
  echo "with the default thread setting (\`exec_threads\` 0: one thread per"
  echo "core where that pays, which excludes SUM/TOTAL/AVG, whose exact"
  echo "row-order sums make the merge sequential, and fewer than 4 segments a"
  echo "thread; EXPLAIN says \"2 threads\" when it runs so), against DuckDB"
  echo "with one thread and with one per core (\`SET threads\`).  Also on the SQLite route (\`sql_route\` ="
  echo "sqlite: SQLite over the virtual tables, as before issue 11) and on the"
  echo "executor reading row scans instead of the columns (\`sql_route\` ="
  echo "rows, the route of tables without a columnar copy), single-threaded."
  echo "The parallel executor merges per-thread partial results in segment"
  echo "order and adds SUM/TOTAL/AVG values in row order, so its results equal"
  echo "the single thread's exactly.  On a 2-core box shared with other work"
  echo "the thread columns are noisy: the load average is given below the table."
  echo "Run on $(date -u +%Y-%m-%d), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo
  cat "$out"
  echo "<!-- sql:end -->"
} > "$out.md"
python3 "$HERE/put_section.py" "$ROOT/BENCHMARKS.md" "$out.md" sql
echo "BENCHMARKS.md: SQL section updated"
