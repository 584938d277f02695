#!/bin/sh
# run_fts.sh BENCH_FTS_BIN [BENCH_FTSDB_BIN]: run the full-text benchmarks
# (bench_fts.c: the library in memory; bench_ftsdb.c: remdb end to end)
# and write their tables into BENCHMARKS.md between the markers
# <!-- fts:begin --> and <!-- fts:end --> (and ftsdb:begin/end), keeping
# every other section.  BENCHMARKS.md is left untouched for a benchmark
# that fails.
set -eu
BIN=$1
DBBIN=${2:-}
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

[ -n "$DBBIN" ] || exit 0
run_bench "$out" "$DBBIN"
{
  echo "<!-- ftsdb:begin -->"
  echo "## Full-text search end to end: remdb vs SQLite FTS5 (issue 12)"
  echo
  echo "\`make bench\` (\`bench/bench_ftsdb.c\`): the same manual-page chunks as"
  echo "above, through the real storage: a remdb table whose schema declares"
  echo "\`\"fulltext\": {\"fields\": [\"title\", \"content\"], \"language\": \"none\","
  echo "\"stemmer\": false, \"tokenizer\": \"unicode61\"}\` (the index written in each"
  echo "entity's RocksDB batch), loaded in batches of 1000 without fsync, and"
  echo "queried with \`remdb_search_ex\` in keyword mode (top 10, entities"
  echo "returned as JSON); against an on-disk FTS5 table (libsqlite3 $ver,"
  echo "synchronous=OFF, a transaction per 1000 rows) queried with"
  echo "\`SELECT rowid, rank, title, content ... ORDER BY rank LIMIT 10\`.  FTS5"
  echo "builds on one thread; remdb with its defaults analyses a batch's"
  echo "documents (its second on), and builds a commit's new segment entries,"
  echo "on workers beside the writer, one per core"
  echo "(\`remdb_options.exec_threads\`), so its CPU time is given too.  The"
  echo "same process alternates between the two.  remdb's build"
  echo "time includes making each row's JSON (with the library's escaper);"
  echo "FTS5 binds the strings as they are."
  echo
  cat "$out"
  echo
  echo "Reproduce: \`make build/bench/bench_ftsdb && bench/run_fts.sh"
  echo "build/bench/bench_fts build/bench/bench_ftsdb\`;"
  echo "\`REMDB_BENCH_HYBRID_ROWS=n\` for another hybrid table size."
  echo "<!-- ftsdb:end -->"
} > "$out.md"
python3 "$HERE/put_section.py" "$ROOT/BENCHMARKS.md" "$out.md" ftsdb
echo "BENCHMARKS.md: ftsdb section updated"
