#!/bin/sh
# run_clisql.sh REMDB_BIN: the analytic queries of bench/bench_sql.c as a
# user runs them, whole processes timed with hyperfine (issue 11): `remdb
# sql DB "..."` against `sqlite3 file.db "..."` on the same rows with the
# same indexes, N issues (REMDB_BENCH_CLISQL_N, default 200,000) and 10,000
# users.  Target: remdb's median <= 0.5x sqlite3's for the aggregation
# (GROUP BY + HAVING) and the join.  Every answer is checked to agree
# before anything is timed.  Writes the section between <!-- clisql:begin
# --> and <!-- clisql:end --> of BENCHMARKS.md (left as it was if anything
# fails).  The databases live in a scratch directory under build/.
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
N=${REMDB_BENCH_CLISQL_N:-200000}
RUNS=${REMDB_BENCH_CLISQL_RUNS:-20}
for tool in hyperfine sqlite3 python3; do
  command -v $tool >/dev/null 2>&1 || {
    echo "error: run_clisql.sh needs $tool (scripts/install-deps.sh --bench)" >&2
    exit 1
  }
done
mkdir -p "$ROOT/build"
W=$(mktemp -d "$ROOT/build/bench-clisql.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

# ---- the rows: bench_sql.c's shapes (4 statuses, 5 priorities, 10k
# assignees, 1000 projects, a day of 2025 opened, a score), the same in
# both: remdb imports them as a user would, SQLite gets remdb's export ----
cat >users.json <<'EOF'
{"name": "users",
 "properties": {"handle": {"type": "string"}, "team": {"type": "string"},
                "level": {"type": "integer"}},
 "key_field": "handle", "indexed_fields": ["team"]}
EOF
cat >issues.json <<'EOF'
{"name": "issues",
 "properties": {"title": {"type": "string"}, "status": {"type": "string"},
                "priority": {"type": "integer"}, "assignee": {"type": "string"},
                "project": {"type": "integer"}, "score": {"type": "number"},
                "opened": {"type": "string", "format": "date-time"}},
 "indexed_fields": ["status", "priority", "assignee", "project"]}
EOF
awk 'BEGIN { for (u = 0; u < 10000; u++)
  printf "{\"handle\":\"user%05d\",\"team\":\"team%02d\",\"level\":%d}\n",
    u, u % 20, u % 7 }' >users.jsonl
awk -v n="$N" 'BEGIN { srand(11);
  split("open in_progress closed blocked", st, " ");
  split("login timeout index cache vector schema crash memory", wd, " ");
  split("31 28 31 30 31 30 31 31 30 31 30 31", ml, " ");
  for (i = 0; i < n; i++) {
    d = int(rand() * 365); m = 1; while (d >= ml[m]) { d -= ml[m]; m++ }
    printf "{\"title\":\"issue %d: %s %s\",\"status\":\"%s\",\"priority\":%d,\"assignee\":\"user%05d\",\"project\":%d,\"score\":%.2f,\"opened\":\"2025-%02d-%02dT12:00:00Z\"}\n",
      i, wd[1 + int(rand() * 8)], wd[1 + int(rand() * 8)], st[1 + int(rand() * 4)],
      1 + int(rand() * 5), int(rand() * 10000), int(rand() * 1000),
      int(rand() * 100000) / 100, m, d + 1 } }' >issues.jsonl
echo "run_clisql: loading $N issues and 10000 users into remdb and SQLite" >&2
"$BIN" -d db init >/dev/null
"$BIN" -d db schema add users.json >/dev/null
"$BIN" -d db schema add issues.json >/dev/null
"$BIN" -d db import users users.jsonl >/dev/null
"$BIN" -d db import issues issues.jsonl >/dev/null
"$BIN" -d db export users --format csv >users.csv
"$BIN" -d db export issues --format csv >issues.csv
# SQLite's tables: the id and the properties of the export (not remdb's
# system fields, which no query reads: as bench_sql.c's peer), typed as
# remdb's SQL declares them
python3 - >schema.sql <<'EOF'
import csv
types = {"level": "INTEGER", "priority": "INTEGER", "project": "INTEGER",
         "score": "REAL"}
system = {"type", "created_at", "modified_at", "deleted_at"}
for t in ("users", "issues"):
    rows = csv.reader(open(t + ".csv"))
    cols = next(rows)
    keep = [i for i, c in enumerate(cols) if c not in system]
    with open(t + ".sq.csv", "w", newline="") as f:
        w = csv.writer(f)
        for r in rows:
            w.writerow([r[i] for i in keep])
    print("CREATE TABLE %s(%s);" % (t, ", ".join(
        cols[i] + " " + ("TEXT PRIMARY KEY" if cols[i] == "id"
                         else types.get(cols[i], "TEXT")) for i in keep)))
EOF
sqlite3 sq.db "$(cat schema.sql)" ".import --csv users.sq.csv users" \
  ".import --csv issues.sq.csv issues" \
  "CREATE INDEX users_team ON users(team);" \
  "CREATE UNIQUE INDEX users_handle ON users(handle);" \
  "CREATE INDEX issues_status ON issues(status);" \
  "CREATE INDEX issues_priority ON issues(priority);" \
  "CREATE INDEX issues_assignee ON issues(assignee);" \
  "CREATE INDEX issues_project ON issues(project);" "ANALYZE;" "VACUUM;"
l0=$(find db -name '*.sst' | wc -l)

# name | target | SQL (bench_sql.c's five queries)
cat >queries.txt <<'EOF'
indexed equality, 0.1% selectivity||SELECT count(*), avg(score) FROM issues WHERE project = 7
GROUP BY + HAVING|<= 0.5x|SELECT status, priority, count(*) AS n, avg(score) FROM issues GROUP BY status, priority HAVING n > 10
join 10k users x issues + GROUP BY|<= 0.5x|SELECT u.team, count(*) AS n, avg(i.score) FROM users u JOIN issues i ON i.assignee = u.handle GROUP BY u.team
count(*) WHERE opened BETWEEN (4 months)||SELECT count(*) FROM issues WHERE opened BETWEEN '2025-03-01' AND '2025-07-01'
date-bucketed GROUP BY (month)||SELECT strftime('%Y-%m', opened) AS m, count(*), avg(score) FROM issues GROUP BY m
EOF

# the answers agree (rows as sets, numbers to 1e-9 relative), and the route
# remdb's EXPLAIN names
i=0
while IFS='|' read -r name target sql; do
  i=$((i + 1))
  sqlite3 -csv sq.db "$sql" >want.$i
  "$BIN" -d db sql "$sql" --format csv | tail -n +2 >got.$i
  python3 - want.$i got.$i "$name" <<'EOF'
import csv, sys
def rows(p):
    out = []
    for r in csv.reader(open(p)):
        row = []
        for c in r:
            try:
                row.append(float(c))
            except ValueError:
                row.append(c)
        out.append(row)
    return sorted(out, key=repr)
a, b = rows(sys.argv[1]), rows(sys.argv[2])
def same(x, y):
    if isinstance(x, float) and isinstance(y, float):
        return abs(x - y) <= 1e-9 * max(1.0, abs(x))
    return x == y
if not a or len(a) != len(b) or not all(
        len(r) == len(s) and all(same(x, y) for x, y in zip(r, s))
        for r, s in zip(a, b)):
    sys.exit("error: run_clisql: remdb and sqlite3 disagree on %s:\n%s\n%s"
             % (sys.argv[3], a[:5], b[:5]))
EOF
  "$BIN" -d db sql "EXPLAIN $sql" --format csv | sed -n 2p |
    python3 -c 'import csv,sys; r = next(csv.reader(sys.stdin)); print(r[1])' >route.$i
  sqlite3 sq.db "EXPLAIN QUERY PLAN $sql" | sed -n 's/^[|`]--//p' |
    paste -sd ';' - | sed 's/;/; /g' >plan.$i
done <queries.txt

# ---- timing: sqlite3 then remdb, per query, in the same run ----
i=0
while IFS='|' read -r name target sql; do
  i=$((i + 1))
  hyperfine -N -w 3 -r "$RUNS" --export-json t.$i.json \
    -n "sqlite3" "sqlite3 sq.db \"$sql\"" \
    -n "remdb sql" "$BIN -d db sql \"$sql\"" >&2
done <queries.txt

python3 - "$N" <<'EOF' >tables.md
import json, sys
qs = [l.rstrip("\n").split("|", 2) for l in open("queries.txt")]
print("| query (whole process, %s issues, 10k users) | sqlite3 median | remdb sql median | ratio | CPU ratio | remdb route | sqlite3 plan | target | met? |" % format(int(sys.argv[1]), ","))
print("|---|---|---|---|---|---|---|---|---|")
for i, (name, target, sql) in enumerate(qs, 1):
    sq, rd = json.load(open("t.%d.json" % i))["results"]
    ratio = rd["median"] / sq["median"]
    cpu = (rd["user"] + rd["system"]) / (sq["user"] + sq["system"])
    route = open("route.%d" % i).read().strip()
    plan = open("plan.%d" % i).read().strip()
    met = ""
    if target:
        met = "yes" if ratio <= 0.5 else "**no**"
    print("| %s | %.1f ms | %.1f ms | %.2fx | %.2fx | %s | %s | %s | %s |" % (
        name, sq["median"] * 1e3, rd["median"] * 1e3, ratio, cpu,
        route.replace("|", "/"), plan.replace("|", "/"), target or "-", met))
EOF

{
  echo "<!-- clisql:begin -->"
  echo "## Analytic SQL from the CLI, whole process (issue 11)"
  echo
  echo "\`make bench\` (\`bench/run_clisql.sh\`): bench_sql.c's five queries as a"
  echo "user runs them, \`remdb sql DB \"...\"\` against \`sqlite3 file.db \"...\"\`,"
  echo "each a new process timed with hyperfine ($RUNS runs after 3 warm-ups,"
  echo "page cache warm, medians; CPU ratio: hyperfine's mean user + sys)."
  echo "The rows: $N issues (4 statuses, 5 priorities, 10k assignees, 1000"
  echo "projects, \`opened\` a date-time of 2025, a score) and 10,000 users,"
  echo "loaded with \`remdb import\` ($l0 table files, no compaction); SQLite"
  echo "holds remdb's CSV export of them (the id and the properties; not"
  echo "remdb's system fields, which no query reads), with the same indexes"
  echo "(status, priority, assignee, project; team, handle), ANALYZE and"
  echo "VACUUM ($(du -k sq.db | cut -f1) KiB; remdb's directory $(du -sk db | cut -f1) KiB).  The answers"
  echo "of both are checked to agree before timing.  remdb runs on its"
  echo "default route (the route column is its EXPLAIN's; sqlite3's plan is"
  echo "its EXPLAIN QUERY PLAN)."
  echo "Run on $(date -u +%Y-%m-%d), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
  echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo
  cat tables.md
  echo
  echo "Reproduce: \`make build/remdb && bench/run_clisql.sh build/remdb\`;"
  echo "smaller: \`REMDB_BENCH_CLISQL_N=50000\`, fewer runs:"
  echo "\`REMDB_BENCH_CLISQL_RUNS=10\`."
  echo "<!-- clisql:end -->"
} >section.md
python3 "$HERE/put_section.py" "$ROOT/BENCHMARKS.md" section.md clisql
cat section.md
echo "BENCHMARKS.md: clisql section updated" >&2
