#!/bin/sh
# run_graph.sh BENCH_GRAPH_BIN: run the graph benchmark (bench_graph.c) and
# write its table into BENCHMARKS.md between the markers
# <!-- graph:begin --> and <!-- graph:end -->, keeping every other section.
# BENCHMARKS.md is left untouched if the benchmark fails (for example when
# the engines disagree).
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out" "$out.rc" "$out.md"' EXIT
. "$HERE/lib.sh"
run_bench "$out" "$BIN"
{
  echo "<!-- graph:begin -->"
  echo "## Graph traversal (issue 5)"
  echo
  echo "\`make bench\` (\`bench/bench_graph.c\`): a fixed-seed random graph of"
  echo "E = N edges over V = N/10 entities (default N = 1,000,000;"
  echo "\`REMDB_BENCH_N\` sets it), loaded into remdb (entities with a key_field"
  echo "in batches of 1000, edges with remdb_edge_put) and into a native SQLite"
  echo "file database: \`edges(src TEXT, dst TEXT, type TEXT)\` with indexes on"
  echo "(src, dst) and (dst, src), WAL, synchronous=NORMAL, page cache as large"
  echo "as remdb's block cache.  The same random start nodes (and targets) for"
  echo "both engines; medians per call, caches warm (one-hop and BFS: an"
  echo "untimed first pass over the same starts; shortest path: one untimed"
  echo "pair).  The SQLite side is a recursive CTE that de-duplicates by"
  echo "(node, depth) and limits the depth:"
  echo "\`WITH RECURSIVE r(id, d) AS (SELECT ?, 0 UNION SELECT e.dst, r.d + 1"
  echo "FROM r JOIN edges e ON e.src = r.id WHERE r.d < 3)"
  echo "SELECT count(DISTINCT id) FROM r\`; for the shortest path the same CTE"
  echo "with \`SELECT min(d) FROM r WHERE id = ?\`, run with depth limit 1, 2, ..."
  echo "until it finds the target.  One-hop is \`SELECT dst, type FROM edges"
  echo "WHERE src = ?\`.  remdb returns more per call (edges as JSON with"
  echo "weight and created_at; BFS nodes with their entity and path) and checks"
  echo "that each edge's far end is a live entity.  Every answer is checked"
  echo "(outside the timing): edge counts, distinct nodes reached and path"
  echo "lengths must agree, and each remdb path must chain from start to target."
  echo
  cat "$out"
  echo "<!-- graph:end -->"
} > "$out.md"
python3 "$HERE/put_section.py" "$ROOT/BENCHMARKS.md" "$out.md" graph
echo "BENCHMARKS.md: graph section updated"
