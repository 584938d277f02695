#!/bin/sh
# run.sh BENCH_CORE_BIN: run the core-engine benchmark (bench_core.c; make
# builds it), show its output, and write its table into BENCHMARKS.md at the
# repository root between the markers <!-- core:begin --> and
# <!-- core:end -->, keeping every other section (the file is created if
# missing).  BENCHMARKS.md is left untouched if the benchmark fails.
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MD="$ROOT/BENCHMARKS.md"
out=$(mktemp)
trap 'rm -f "$out" "$out.rc" "$out.md"' EXIT

. "$HERE/lib.sh"
run_bench "$out" "$BIN"

{
  echo "<!-- core:begin -->"
  echo "## Core engine: bulk insert, get by id, memory"
  echo
  echo "\`bench/bench_core.c\` loads N \"issues\" (default 1,000,000; six"
  echo "properties: title, status, priority, assignee, created, score; three"
  echo "indexed fields: status, priority, assignee; fixed-seed data) and compares"
  echo "remdb with peers measured in the same run:"
  echo
  echo "- **bulk insert**: remdb_batch_insert, commit every 1000 rows without"
  echo "  fsync, final commit with fsync; vs raw RocksDB puts of the same JSON"
  echo "  under random 16-byte keys (write batches of 1000, no fsync, remdb's"
  echo "  entity column-family options: LZ4, 32 MiB write buffer, 64 MiB block"
  echo "  cache, bloom filter, data-block hash index), and vs SQLite (rowid"
  echo "  table with the same six columns and three indexes, prepared"
  echo "  statements, 1000 rows a transaction, WAL, synchronous=NORMAL, 64 MiB"
  echo "  page cache).  Median entities/s of several runs."
  echo "- **get by id**: the same 100,000 random picks of the inserted rows,"
  echo "  remdb_get + remdb_free vs rocksdb_get + rocksdb_free of the same row"
  echo "  in the raw database (both compacted first, caches warm).  Median ns/op"
  echo "  of 5 passes."
  echo "- **peak RSS** of a remdb bulk insert of N rows, in a forked child."
  echo
  echo "Reproduce: \`make bench\`; a smaller run: \`REMDB_BENCH_N=100000 make bench\`"
  echo "(\`REMDB_BENCH_REPS\` sets the insert repetitions, default 3)."
  echo "Figures come from a shared 2-core machine, so expect some noise; the"
  echo "ratios compare engines run back to back in the same process."
  echo
  cat "$out"
  echo "<!-- core:end -->"
} > "$out.md"

python3 "$HERE/put_section.py" "$MD" "$out.md" core
echo "BENCHMARKS.md: core section updated"
