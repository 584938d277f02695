#!/bin/bash
# export TABLE --format parquet FILE: typed Parquet streamed from the
# columns, read back with DuckDB's read_parquet and compared value for
# value with what `remdb sql` returns for the same rows (both sides as
# canonical JSON lines, sorted by id); the schema types DuckDB reports;
# several row groups (> COL_SEG_ROWS rows) with statistics; zstd, snappy
# and none; --where; bad input.  DuckDB comes from the npm registry
# (@duckdb/node-api, installed into build/duckdb as bench/run_sql.sh
# does).  Without it the test fails, unless REMDB_TEST_NO_DUCKDB=1: then
# an independent reader in Python (tests/cli/parquet_check.py) checks the
# uncompressed file instead.
. "${0%/*}/lib.sh"

HERE=$(cd "${0%/*}" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PQ="python3 $HERE/parquet_check.py"
DUCK=${REMDB_DUCKDB_DIR:-$ROOT/build/duckdb}
NROWS=${PARQUET_ROWS:-70000}

# ---- DuckDB (npm), installed once; a lock keeps parallel runs apart ----
have_duck=0
if command -v node >/dev/null 2>&1; then
  mkdir -p "$DUCK"
  (
    flock 9
    if [ ! -d "$DUCK/node_modules/@duckdb/node-api" ]; then
      npm install --prefix "$DUCK" --no-audit --no-fund --silent \
        @duckdb/node-api@1.5.6-r.1 >/dev/null 2>&1
    fi
  ) 9>"$DUCK.lock"
  [ -d "$DUCK/node_modules/@duckdb/node-api" ] && have_duck=1
fi
if [ $have_duck = 0 ]; then
  echo "******************************************************************" >&2
  echo "test_parquet: DuckDB (@duckdb/node-api from npm) is NOT available" >&2
  echo "(no node, or npm could not install it: no network?)" >&2
  if [ "${REMDB_TEST_NO_DUCKDB:-}" != 1 ]; then
    echo "set REMDB_TEST_NO_DUCKDB=1 to check with the Python reader only" >&2
    echo "******************************************************************" >&2
    fail_check "DuckDB is not available to read the Parquet files back"
    finish
  fi
  echo "REMDB_TEST_NO_DUCKDB=1: checking with the Python reader only" >&2
  echo "******************************************************************" >&2
fi
duck() { NODE_PATH="$DUCK/node_modules" node "$HERE/parquet_duck.cjs" "$@"; }

expect_ok remdb init
cat >kinds.json <<'JSON'
{"name": "kinds", "type": "object",
 "properties": {
   "n": {"type": "integer"},
   "i": {"type": ["integer", "null"]},
   "x": {"type": ["number", "null"]},
   "b": {"type": ["boolean", "null"]},
   "s": {"type": ["string", "null"]},
   "t": {"type": ["string", "null"], "format": "date-time"},
   "tags": {"type": "array", "items": {"type": "string"}}
 },
 "required": ["n"]}
JSON
expect_ok remdb schema add kinds.json
$PQ gen "$NROWS" >rows.jsonl
expect_ok remdb import kinds rows.jsonl
# soft deletes (one by id, some by SQL), a hard delete and updates: the
# columns then hold unmerged deltas and invisible positions
expect_ok remdb sql "SELECT id FROM kinds WHERE n = 5" --format csv
gone=$(tail -n 1 <<<"$OUT")
expect_ok remdb delete "$gone"
expect_ok remdb sql "DELETE FROM kinds WHERE n % 9973 = 1"
expect_ok remdb sql "SELECT id FROM kinds WHERE n = 66000" --format csv
expect_ok remdb delete "$(tail -n 1 <<<"$OUT")" --hard
expect_ok remdb sql "UPDATE kinds SET s = 'changed ✓', x = -0.0, i = NULL WHERE n % 1009 = 3"
live=$((NROWS - 1 - (NROWS + 9971) / 9973 - 1))
COLS="id, created_at, modified_at, n, i, x, b, s, t"

# sql_rows WHERE: the oracle, `remdb sql` as JSON lines
sql_rows() {
  "$REMDB_BIN" -d "$DB" sql "SELECT $COLS FROM kinds WHERE $1" --format jsonl
}

want_types='[["id", "VARCHAR"], ["created_at", "TIMESTAMP WITH TIME ZONE"], ["modified_at", "TIMESTAMP WITH TIME ZONE"], ["n", "BIGINT"], ["i", "BIGINT"], ["x", "DOUBLE"], ["b", "BOOLEAN"], ["s", "VARCHAR"], ["t", "TIMESTAMP WITH TIME ZONE"]]'

# check FILE WHERE CODEC: FILE holds exactly the rows WHERE selects
check() {
  local f=$1 where=$2 codec=$3 reader=duck
  if [ $have_duck = 0 ]; then
    [ "$codec" = UNCOMPRESSED ] || return 0
    reader=$PQ
  fi
  sql_rows "$where" >want.jsonl || fail_check "$f: remdb sql failed"
  expect_ok $reader describe "$f"
  expect_eq "$(jq_py "json.dumps(j)" "$OUT")" "$want_types" "$f: the Parquet types (DESCRIBE)"
  cp /dev/null desc.json
  printf '%s' "$OUT" >desc.json
  $reader rows "$f" >got.jsonl 2>got.err || fail_check "$f: reading it back: $(cat got.err)"
  expect_ok $PQ compare want.jsonl got.jsonl desc.json
  expect_eq "$OUT" "ok $(wc -l <want.jsonl)" "$f: every value equals remdb sql's"
  expect_ok $reader meta "$f"
  expect_eq "$(jq_py "json.dumps(j['codecs'])" "$OUT")" "[\"$codec\"]" "$f: compression"
}

# ---- the whole table, three compressions ----
for z in zstd snappy none; do
  expect_ok remdb export kinds --format parquet "all_$z.parquet" --compression "$z"
  expect_contains "$ERR" "exported $live rows" "export $z reports its rows"
done
expect_ok remdb export kinds --format parquet default.parquet
cmp -s default.parquet all_zstd.parquet
expect_eq "$?" 0 "zstd is the default compression"
check all_zstd.parquet 1 ZSTD
check all_snappy.parquet 1 SNAPPY
check all_none.parquet 1 UNCOMPRESSED
expect_eq "$(wc -l <want.jsonl)" "$live" "the oracle holds the live rows"
expect_not_contains "$(cat got.jsonl)" "$gone" "a soft-deleted row is not exported"
for f in all_zstd.parquet all_none.parquet; do
  if [ $have_duck = 1 ]; then
    expect_ok duck meta "$f"
  else
    expect_ok $PQ meta "$f"
  fi
  expect_eq "$(jq_py "j['groups']" "$OUT")" 2 "$f: a row group per column segment"
  expect_eq "$(jq_py "j['rows']" "$OUT")" "$live" "$f: rows"
done
if [ $have_duck = 1 ]; then
  for f in all_zstd.parquet all_snappy.parquet; do
    expect_ok duck stats "$f" id created_at modified_at n i x b s t
    expect_eq "$OUT" ok "$f: row group statistics (null count, min, max) match the data"
    expect_eq "$ERR" "(group 1 s: min/max left out)" \
      "$f: no min/max for a chunk with a string over 4096 bytes"
  done
fi
# the independent reader agrees with DuckDB on the uncompressed file
if [ $have_duck = 1 ]; then
  expect_ok $PQ rows all_none.parquet
  printf '%s\n' "$OUT" >py.jsonl
  expect_ok $PQ compare want.jsonl py.jsonl desc.json
  expect_eq "$OUT" "ok $live" "the Python reader reads the same values"
fi

# ---- --where ----
w="n % 3 = 0 AND (s IS NULL OR s > 'p') AND n < 68000"
expect_ok remdb export kinds --format parquet where.parquet --where "$w" --compression none
check where.parquet "$w" UNCOMPRESSED
[ $have_duck = 1 ] && check where.parquet "$w" UNCOMPRESSED
expect_ok remdb export kinds --format parquet none.parquet --where "n < 0"
expect_contains "$ERR" "exported 0 rows" "a WHERE that selects nothing"
if [ $have_duck = 1 ]; then
  expect_ok duck meta none.parquet
  expect_eq "$(jq_py "[j['groups'], int(j['rows'])]" "$OUT")" "[0, 0]" "an empty export is a valid file"
fi

# ---- bad input: clear errors, nothing left behind ----
expect_fail 'unknown table "nosuch"' remdb export nosuch --format parquet x.parquet
expect_fail "--format must be jsonl, csv or parquet" remdb export kinds --format orc x.parquet
expect_fail "--compression must be zstd, snappy or none" remdb export kinds --format parquet x.parquet --compression lz4
expect_fail "expected 2 arguments" remdb export kinds --format parquet
expect_fail "live rows only" remdb export kinds --format parquet x.parquet --deleted
expect_fail "cannot write nodir/x.parquet.tmp" remdb export kinds --format parquet nodir/x.parquet
expect_fail "no such column: nosuchcol" remdb export kinds --format parquet x.parquet --where "nosuchcol = 1"
expect_fail "--where" remdb export kinds --format parquet x.parquet --where "n = 1) OR (1 = 1"
expect_fail "--where" remdb export kinds --format parquet x.parquet --where "n ="
expect_eq "$(ls x.parquet* 2>/dev/null)" "" "a failed export leaves no file behind"
# a directory in the way of the rename: the temporary file is removed
mkdir dir.parquet
expect_fail "cannot rename" remdb export kinds --format parquet dir.parquet
expect_eq "$(ls dir.parquet.tmp 2>/dev/null)" "" "no temporary file after a failed rename"
cat >flat.json <<'JSON'
{"name": "flat", "type": "object", "columnar": false,
 "properties": {"a": {"type": "integer"}}}
JSON
expect_ok remdb schema add flat.json
expect_fail '"columnar": false' remdb export flat --format parquet x.parquet

finish
