#!/bin/sh
# run_fts.sh BENCH_FTS_BIN: run the full-text benchmark (bench_fts.c) and
# write its tables into BENCHMARKS.md between the markers
# <!-- fts:begin --> and <!-- fts:end -->, keeping every other section.
# BENCHMARKS.md is left untouched if the benchmark fails.
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out" "$out.rc" "$out.md"' EXIT
. "$HERE/lib.sh"
run_bench "$out" "$BIN"
ver=$(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null || echo "?")
{
  echo "<!-- fts:begin -->"
  echo "## Full-text search: the src/text library vs SQLite FTS5 (issue 12)"
  echo
  echo "\`make bench\` (\`bench/bench_fts.c\`): the Debian manual pages of"
  echo "sections 2, 3, 5 and 7 (packages manpages, manpages-dev and what else"
  echo "is installed), roff stripped crudely, chunked as \`remdb ingest\` does"
  echo "(1000 characters, 100 of overlap); each chunk a document of two fields"
  echo "(page name, text).  Both engines in memory, one thread: remdb's"
  echo "fts_memindex (analysis, postings, blocks of 128 with impacts) and an"
  echo "FTS5 table in an in-memory SQLite database (libsqlite3 $ver), both"
  echo "tokenizing as unicode61 (no stemming, no stop words).  Build: the"
  echo "best of 3 alternating rounds each.  Queries: 300 of each kind from"
  echo "the tokens of random chunks (term-frequency weighted, so common words"
  echo "are common); remdb parses, prepares (idf, cursors) and runs top-10"
  echo "with block-max skipping and MaxScore; FTS5 runs a prepared"
  echo "\`SELECT rowid, rank FROM t WHERE t MATCH ? ORDER BY rank LIMIT 10\`,"
  echo "which scores every match.  This is the library alone: the storage"
  echo "layer (RocksDB reads and writes) is not in these figures."
  echo
  cat "$out"
  echo
  echo "Reproduce: \`make build/bench/bench_fts && bench/run_fts.sh"
  echo "build/bench/bench_fts\`; \`REMDB_BENCH_FTS_PAGES=n\` for fewer pages,"
  echo "\`REMDB_BENCH_MAN=dir:dir\` for other directories."
  echo "<!-- fts:end -->"
} > "$out.md"
python3 "$HERE/put_section.py" "$ROOT/BENCHMARKS.md" "$out.md" fts
echo "BENCHMARKS.md: fts section updated"
