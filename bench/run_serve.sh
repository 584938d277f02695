#!/bin/sh
# run_serve.sh REMDB_BIN: the load test of `remdb serve` on loopback, with
# wrk (Debian's wrk, installed by scripts/install-deps.sh --bench).  It
# builds a database (REMDB_BENCH_SERVE_N items, default 100,000, with three
# indexed fields; a docs table of N/5 rows with 64-dimension hash
# embeddings), starts `remdb serve` with an API key, and measures, each for
# REMDB_BENCH_SERVE_SECONDS (default 10) with 1, 8 and 64 connections:
#   get     GET /v1/entities/ID, random ids
#   search  POST /v1/search: top 10 of docs for two random words, filtered to
#           one of 10 categories
#   sql     POST /v1/sql: SELECT id, title, priority FROM items WHERE
#           owner = ?1 (an indexed equality, 0.1% of the rows)
# then a run that mixes writes (80% get, 10% insert, 10% merge patch, 8
# connections), after which GET /v1/verify and, once the server has stopped
# on SIGTERM, `remdb verify` must both be clean.  The figures go into
# BENCHMARKS.md between <!-- serve:begin --> and <!-- serve:end -->; the
# file is left as it was if anything fails.  Every run is bounded in time,
# and all traffic stays on 127.0.0.1.
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
N=${REMDB_BENCH_SERVE_N:-100000}
SECS=${REMDB_BENCH_SERVE_SECONDS:-10}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/remdb-serve-bench.XXXXXX")
SRV=""
cleanup() {
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "error: wrk is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
cd "$WORK"
DB=$WORK/db
OWNERS=1000 # an owner has 0.1% of the items

echo "serve bench: building a database of $N items and $((N / 5)) docs" >&2
python3 - "$N" "$OWNERS" <<'EOF'
import json, random, sys
n, owners = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(7)
words = ["%s%s" % (a, b) for a in ("ka", "lo", "mi", "nu", "pe", "ra", "si", "tu", "vo", "ze")
         for b in ("dar", "fen", "gol", "hum", "jix", "kor", "lum", "mon", "nix", "pol")]
with open("words.txt", "w") as f:
    f.write("\n".join(words) + "\n")
with open("items.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"key": "item-%d" % i, "title": "item number %d" % i,
                            "status": ("open", "closed", "blocked")[i % 3],
                            "priority": i % 5 + 1, "owner": "u%d" % (i % owners)}) + "\n")
with open("docs.jsonl", "w") as f:
    for i in range(n // 5):
        f.write(json.dumps({"key": "doc-%d" % i, "category": "c%d" % (i % 10),
                            "body": " ".join(rnd.choice(words) for _ in range(12))}) + "\n")
EOF
cat > items.json <<'EOF'
{"name": "items", "properties": {"key": {"type": "string"}, "title": {"type": "string"},
 "status": {"enum": ["open", "closed", "blocked"]}, "priority": {"type": "integer"},
 "owner": {"type": "string"}},
 "required": ["key", "title"], "key_field": "key",
 "indexed_fields": ["status", "priority", "owner"]}
EOF
cat > docs.json <<'EOF'
{"name": "docs", "properties": {"key": {"type": "string"}, "category": {"type": "string"},
 "body": {"type": "string"}},
 "required": ["key", "body"], "key_field": "key", "indexed_fields": ["category"],
 "embedding_fields": ["body"], "embedding": {"dim": 64, "metric": "cosine", "provider": "hash"}}
EOF
"$BIN" -d "$DB" init >/dev/null
"$BIN" -d "$DB" schema add items.json >/dev/null
"$BIN" -d "$DB" schema add docs.json >/dev/null
"$BIN" -d "$DB" import items items.jsonl >/dev/null
"$BIN" -d "$DB" import docs docs.jsonl >/dev/null
"$BIN" -d "$DB" sql "SELECT id FROM items" --format csv | tail -n +2 > ids.txt
KEY=bench-key-0123456789abcdef
printf '%s default\n' "$KEY" > keys.txt
chmod 600 keys.txt

"$BIN" -d "$DB" serve --listen 127.0.0.1:0 --keys keys.txt > serve.out 2> serve.err &
SRV=$!
i=0
until grep -q "listening on" serve.out 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 600 ] || ! kill -0 "$SRV" 2>/dev/null; then # a hang guard
    echo "error: remdb serve did not start: $(cat serve.err)" >&2
    exit 1
  fi
  sleep 0.1
done
URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' serve.out)
THREADS=$(sed -n 's/.*, \([0-9]*\) threads.*/\1/p' serve.out)
export BENCH_KEY=$KEY BENCH_LUA=$HERE/serve BENCH_IDS=$WORK/ids.txt \
  BENCH_WORDS=$WORK/words.txt BENCH_OWNERS=$OWNERS
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# run NAME SCRIPT CONNS: one wrk run; appends "NAME CONNS rps p50 p99 n err"
run() {
  t=2
  [ "$3" -lt 2 ] && t=1
  wrk -t "$t" -c "$3" -d "${SECS}s" --timeout 30s -s "$HERE/serve/$2" "$URL" > wrk.out 2>&1 || {
    cat wrk.out >&2
    exit 1
  }
  r=$(sed -n 's/^RESULT //p' wrk.out)
  [ -n "$r" ] || { cat wrk.out >&2; exit 1; }
  echo "$1 $3 $r" >> results.txt
  echo "serve bench: $1, $3 connections: $r (req/s p50us p99us requests errors)" >&2
}
: > results.txt
for w in get search sql; do
  for c in 1 8 64; do run "$w" "$w.lua" "$c"; done
done
run mixed mixed.lua 8
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
verify_http=$(python3 - "$URL" "$KEY" <<'EOF'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/v1/verify", headers={"Authorization": "Bearer " + sys.argv[2]})
print(json.load(urllib.request.urlopen(req, timeout=600))["problems"])
EOF
)
kill -TERM "$SRV"
wait "$SRV" || { echo "error: remdb serve exited with status $? on SIGTERM" >&2; exit 1; }
SRV=""
"$BIN" -d "$DB" verify > verify.out 2>&1 || { cat verify.out >&2; exit 1; }
items_after=$("$BIN" -d "$DB" count items)

python3 - "$N" "$SECS" "$THREADS" "$load_before" "$load_after" "$verify_http" "$items_after" \
  "$(nproc)" > section.md <<'EOF'
import sys
n, secs, threads, lb, la, vh, items, cpus = sys.argv[1:9]
rows = [l.split() for l in open("results.txt")]
names = {"get": "get by id", "search": "filtered search (k 10)",
         "sql": "indexed SQL (%d rows)" % (int(n) // 1000),
         "mixed": "mixed: 80% get, 10% insert, 10% patch"}
print("<!-- serve:begin -->")
print("## HTTP server: `remdb serve` under load (issue 13)")
print()
print("`make bench-serve` (`bench/run_serve.sh`, part of `make bench`): `remdb serve` with an")
print("API key and its default %s worker threads, loaded by `wrk` over loopback on the same" % threads)
print("%s-core machine (so client and server share the CPUs), %s s per run. Database:" % (cpus, secs))
print("%s items with 3 indexed fields, %d docs with 64-dimension hash embeddings." % (f"{int(n):,}", int(n) // 5))
print("get: `GET /v1/entities/ID` for random ids; search: `POST /v1/search`, top 10 of")
print("docs for two random words filtered to one of 10 categories; sql: `POST /v1/sql`")
print("`SELECT id, title, priority FROM items WHERE owner = ?1` (an indexed equality,")
print("0.1% of the rows) with a random owner. Latencies as wrk reports them; errors are")
print("failed connections, reads, writes, timeouts and responses with a 4xx/5xx status.")
print("The machine is shared with other work: load average %s before, %s after." % (lb, la))
print()
print("| workload | connections | requests/s | p50 | p99 | requests | errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
def us(x):
    x = int(x)
    return "%d us" % x if x < 1000 else "%.2f ms" % (x / 1000)
for name, conns, rps, p50, p99, reqs, errs in rows:
    print("| %s | %s | %s | %s | %s | %s | %s |" % (names[name], conns, f"{float(rps):,.0f}",
                                                   us(p50), us(p99), f"{int(reqs):,}", errs))
best = max(float(r[2]) for r in rows if r[0] == "get")
errors = sum(int(r[6]) for r in rows)
print()
print('Filtered search, profiled (perf on the server under wrk, callgrind in process):')
print("the filter is SQL (`SELECT id FROM docs WHERE (category = 'c3')`, 10% of the")
print("rows), and it took four fifths of a request: the planner counts an equality's")
print('index entries to cost it, stopped counting at 1,000, took the value for a')
print('quarter of the table and tied with a full scan, which won; the count now goes')
print('up to a quarter of the table (without a LIMIT), the filter takes the index')
print('(2,000 entries and their rows instead of 20,000 rows: about half the')
print('instructions), and the search serves about twice the requests it did')
print("(106-156/s before).  What remains is mostly the filter's rows: each matching")
print('row is read and its predicate checked again by SQLite, then the graph search.')
print()
print("Target: get by id over HTTP >= 20,000 requests/s: %s (best %s/s)." %
      ("met" if best >= 20000 else "**missed**", f"{best:,.0f}"))
print("After the mixed run: `GET /v1/verify` found %s problems; the server stopped on" % vh)
print("SIGTERM with exit status 0 and `remdb verify` was clean (%s items at the end);" % f"{int(items):,}")
print("%d errors over all runs." % errors)
print("<!-- serve:end -->")
EOF
cat section.md
python3 "$HERE/put_section.py" "$ROOT/BENCHMARKS.md" section.md serve
echo "BENCHMARKS.md: serve section updated" >&2
