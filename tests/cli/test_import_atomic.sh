#!/bin/bash
# An import is all or nothing at any size, across a crash too.  An import
# larger than its memory budget commits in parts (--max-memory makes the
# parts small here); the parts are one journaled batch.  A test hook
# (REMDB_TEST_IMPORT_KILL_AFTER=N: SIGKILL right after part N committed)
# stands for a crash at a known point: no sleeps, no timing.  After it,
# the next open rolls the parts back: no row of the import is left, every
# row it replaced is as it was (record, vector, indexes), verify passes,
# and importing again gives every row exactly once.  Also: peak memory of
# an import stays within its budget.
. "${0%/*}/lib.sh"

expect_ok remdb init
cat >docs.json <<'EOF'
{"name": "docs", "properties": {"k": {"type": "string"}, "n": {"type": "integer"},
 "body": {"type": "string"}},
 "required": ["k"], "key_field": "k", "indexed_fields": ["n"],
 "embedding_fields": ["body"],
 "embedding": {"dim": 16, "metric": "cosine", "provider": "hash"}}
EOF
cat >logs.json <<'EOF'
{"name": "logs", "properties": {"msg": {"type": "string"}, "n": {"type": "integer"}},
 "indexed_fields": ["n"]}
EOF
expect_ok remdb schema add docs.json
expect_ok remdb schema add logs.json
for i in 0 1 2 3 4; do
  expect_ok remdb insert docs "{\"k\":\"k$i\",\"n\":$i,\"body\":\"old text $i\"}"
done
expect_ok remdb insert logs '{"msg":"before","n":-1}'
expect_ok remdb export docs
docs_before=$OUT
expect_ok remdb search docs "old text 3" -k 1
expect_contains "$OUT" '"k":"k3"' "search before"

# 3000 rows: k0..k4 replaced, the rest new; logs has no key_field
python3 -c '
import json
for i in range(3000):
    print(json.dumps({"k": "k%d" % i, "n": i, "body": "new text %d with some words" % i}))
' >docs.jsonl
python3 -c '
import json
for i in range(3000): print(json.dumps({"msg": "line %d" % i, "n": i}))
' >logs.jsonl

# killed after its second part: $? is 128 + SIGKILL (9)
crash() {
  REMDB_TEST_IMPORT_KILL_AFTER=2 "$REMDB_BIN" -d "$DB" import "$1" "$2" \
    --max-memory 1M >crash.out 2>crash.err
  expect_eq "$?" 137 "the import of $2 was killed after its second part"
}

# ---- a crash, then a reader opens first: it has the import rolled back
crash docs docs.jsonl
expect_count 5 remdb count docs
verify_db
expect_ok remdb export docs
expect_eq "$OUT" "$docs_before" "every replaced row is back as it was"
expect_ok remdb find docs n 4
expect_lines 1 "$OUT" "the index of a restored row"
expect_ok remdb find docs n 2999
expect_eq "$OUT" "" "no index entry of a new row"
expect_ok remdb search docs "old text 3" -k 1
expect_contains "$OUT" '"k":"k3"' "the restored row's vector"
expect_ok remdb lookup k2999
expect_eq "$OUT" "" "no key-index entry of a new row"

# ---- a crash, then a writer opens first (logs: no key_field)
crash logs logs.jsonl
expect_ok remdb insert logs '{"msg":"after the crash","n":-2}'
expect_count 2 remdb count logs
verify_db

# ---- importing again gives every row exactly once
expect_ok remdb import docs docs.jsonl --max-memory 1M
expect_contains "$OUT" "imported 3000 entities into docs" "re-import"
expect_ok remdb import logs logs.jsonl --max-memory 1M
expect_count 3000 remdb count docs
expect_count 3002 remdb count logs
expect_ok remdb sql "SELECT count(*) AS c, count(DISTINCT msg) AS d FROM logs" --format json
expect_eq "$(jq_py "[j[0]['c'], j[0]['d']]" "$OUT")" "[3002, 3002]" "no duplicate line"
expect_ok remdb get "$(remdb lookup k3 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["entity"]["id"])')"
expect_eq "$(jfield body "$OUT")" "new text 3 with some words" "the replaced row is the new one"
verify_db

# ---- a bad line after some parts: the parts written are taken back
python3 -c '
import json
for i in range(3000): print(json.dumps({"msg": "again %d" % i, "n": i}))
print("{not json")
' >bad.jsonl
expect_fail 'nothing was imported' remdb import logs bad.jsonl --max-memory 1M
expect_contains "$ERR" "bad.jsonl line 3001" "the bad line is named"
expect_count 3002 remdb count logs
verify_db
expect_ok remdb import logs bad.jsonl --max-memory 1M --skip-bad
expect_contains "$OUT" "imported 3000 entities into logs, skipped 1 bad line" "skip-bad"
expect_count 6002 remdb count logs

# ---- memory: an import stays within its budget (min(3 x file, --max-memory))
# plus what the process needs anyway.  (Not under a sanitizer: its shadow
# memory counts too.)
if [ -n "${ASAN_OPTIONS:-}" ]; then
  echo "(memory bound not checked under a sanitizer)"
else
  python3 -c '
import json
for i in range(120000):
    print(json.dumps({"msg": "a line of about one hundred and fifty bytes, number %d, %s" % (i, "x" * 60), "n": i}))
' >big.jsonl
  # the row path's bound: a table without columns (a table with columns
  # is measured below)
  expect_ok remdb schema add - <<'EOF'
{"name": "big", "properties": {"msg": {"type": "string"}, "n": {"type": "integer"}},
 "indexed_fields": ["n"], "columnar": false}
EOF
  # peak RSS (KiB) of one import, by getrusage of the child
  peak() {
    python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$@"
  }
  size_kib=$(($(stat -c %s big.jsonl) / 1024))
  read -r rc base <<<"$(peak "$REMDB_BIN" -d "$DB" count big)"
  expect_eq "$rc" 0 "count big"
  read -r rc rss <<<"$(peak "$REMDB_BIN" -d "$DB" import big big.jsonl --max-memory 8M)"
  expect_eq "$rc" 0 "import big --max-memory 8M"
  # budget 8 MiB, plus 24 MiB of slack for allocator and RocksDB overheads
  if [ "$rss" -le $((base + 8 * 1024 + 24 * 1024)) ]; then
    pass_check
  else
    fail_check "peak RSS ${rss} KiB for an 8 MiB budget (idle process: ${base} KiB, file ${size_kib} KiB)"
  fi
  read -r rc rss <<<"$(REMDB_IMPORT_MAX_MEMORY=8M peak "$REMDB_BIN" -d "$DB" import big big.jsonl)"
  expect_eq "$rc" 0 "import big with REMDB_IMPORT_MAX_MEMORY=8M"
  if [ "$rss" -le $((base + 8 * 1024 + 24 * 1024)) ]; then
    pass_check
  else
    fail_check "peak RSS ${rss} KiB with REMDB_IMPORT_MAX_MEMORY=8M (idle: ${base} KiB)"
  fi
  expect_count 240000 remdb count big
  # with columns, a commit that merges a segment's deltas holds that
  # segment (65,536 rows) decoded, encoded and in the write batch: here
  # 7 MiB of unique text a copy, so 48 MiB more is allowed
  expect_ok remdb schema add - <<'EOF'
{"name": "bigc", "properties": {"msg": {"type": "string"}, "n": {"type": "integer"}},
 "indexed_fields": ["n"]}
EOF
  read -r rc rss <<<"$(peak "$REMDB_BIN" -d "$DB" import bigc big.jsonl --max-memory 8M)"
  expect_eq "$rc" 0 "import bigc --max-memory 8M"
  if [ "$rss" -le $((base + 8 * 1024 + 24 * 1024 + 48 * 1024)) ]; then
    pass_check
  else
    fail_check "peak RSS ${rss} KiB for an 8 MiB budget with columns (idle: ${base} KiB)"
  fi
  expect_count 120000 remdb count bigc
  verify_db
fi
expect_fail '--max-memory must be a size' remdb import big big.jsonl --max-memory lots
expect_fail '--max-memory must be a size' remdb import big big.jsonl --max-memory 10K

finish
