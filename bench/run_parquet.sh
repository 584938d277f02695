#!/bin/sh
# run_parquet.sh REMDB_BIN: time `remdb export TABLE --format parquet` on
# N issues (REMDB_BENCH_N, default 1,000,000; the shape of bench_sql.c's
# issues table) with each compression, beside `remdb export` as JSON
# lines and DuckDB's COPY TO parquet (one thread, from an in-memory table
# loaded from remdb's file) in the same run.  Medians of 3 runs, wall
# time of the whole process (open, export, fsync, rename); prints a
# Markdown table with the load average.
set -eu
BIN=$1
N=${REMDB_BENCH_N:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
DUCK="$HERE/../build/duckdb"
dir=$(mktemp -d /tmp/remdb-bench-parquet-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
python3 - "$N" <<'PY'
import random, sys
r = random.Random(1)
words = ["crash", "login", "slow", "page", "error", "cache", "disk", "memory",
         "timeout", "render"]
st = ["open", "closed", "in_progress", "blocked"]
with open("issues.jsonl", "w") as f:
    for i in range(int(sys.argv[1])):
        d = r.randrange(365)
        f.write('{"title":"issue %d: %s %s","status":"%s","priority":%d,'
                '"assignee":"user%05d","project":%d,"score":%.2f,'
                '"opened":"2025-%02d-%02dT00:00:00Z"}\n'
                % (i, r.choice(words), r.choice(words), r.choice(st),
                   1 + r.randrange(5), r.randrange(10000), r.randrange(100),
                   r.randrange(100000) / 100, 1 + d % 12, 1 + d % 28))
PY
cat >issues.json <<'JSON'
{"name":"issues","properties":{"title":{"type":"string"},"status":{"type":"string"},"priority":{"type":"integer"},"assignee":{"type":"string"},"project":{"type":"integer"},"score":{"type":"number"},"opened":{"type":"string","format":"date-time"}},"indexed_fields":["status","priority","assignee","project"]}
JSON
"$BIN" -d db init >/dev/null
"$BIN" -d db schema add issues.json >/dev/null
"$BIN" -d db import issues issues.jsonl >/dev/null

median3() { sort -n | sed -n 2p; }
mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1e6 }'; }
secs() { # secs CMD...: wall seconds of CMD
  s=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  e=$(date +%s.%N)
  printf '%.2f\n' "$(echo "$e - $s" | bc)"
}
echo "| $N issues (load $(cut -d' ' -f1 /proc/loadavg)) | remdb s | file MB | DuckDB COPY s | file MB |"
echo "|---|---|---|---|---|"
for z in zstd snappy none; do
  t=$(for k in 1 2 3; do secs "$BIN" -d db export issues --format parquet "r_$z.parquet" --compression "$z"; done | median3)
  eval "t_$z=$t"
done
if [ -d "$DUCK/node_modules/@duckdb/node-api" ]; then
  NODE_PATH="$DUCK/node_modules" node "$HERE/parquet_copy.cjs" r_none.parquet >duck.txt
fi
for z in zstd snappy none; do
  eval "t=\$t_$z"
  d=$(grep "^$z " duck.txt 2>/dev/null | cut -d' ' -f2 || true)
  dm=$(grep "^$z " duck.txt 2>/dev/null | cut -d' ' -f3 || true)
  echo "| parquet $z | $t | $(mb "r_$z.parquet") | ${d:--} | ${dm:--} |"
done
t=$(for k in 1 2 3; do secs sh -c "\"$BIN\" -d db export issues >out.jsonl"; done | median3)
echo "| jsonl (for scale) | $t | $(mb out.jsonl) | | |"
echo "(load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
